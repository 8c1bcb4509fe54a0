"""Benchmark of several workers on one store: `edi batch` on one generated drop by 1 worker on SQLite, then 1
and 2 workers on PostgreSQL (each run on a fresh store: a temporary state directory, or a new schema dropped
afterwards), all started at once on the same folder.

``python -m benchmarks.workers [--claims 10000] [--files 20] [--gate] [--store-url URL]`` prints, per setup, the
wall seconds (first start to last exit) and claims/s (835 claims decided by all workers together), then the
two ratios the targets are about: PostgreSQL 2 workers / 1 worker (target >= 1.7 on two cores) and SQLite 1
worker / PostgreSQL 1 worker (target <= 1.5). The workers' CPU seconds and the load average before each run
are printed too: on a machine shared with other work the wall-clock ratios say more about the neighbours
than about the store (a PostgreSQL round trip waits for the server process to be scheduled). Outputs are not
validated unless ``--gate`` (each worker then
validates in its own process: ``--gate-workers 0``), so the figures are the pipeline's and the store's; the
gate's own cost is `benchmarks.batch`'s. Without a PostgreSQL server (127.0.0.1:5432, database test, or
``--store-url``) only the SQLite figure is printed.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.batch import build_drop

ROOT = Path(__file__).resolve().parents[1]


def server_url(given: str | None) -> str | None:
    """The PostgreSQL server to measure on, or None when none answers."""
    import psycopg

    for url in [given] if given else [f"postgresql://{getpass.getuser()}@127.0.0.1:5432/test"]:
        try:
            with psycopg.connect(url, connect_timeout=3):
                return url
        except psycopg.Error:
            continue
    return None


def run_workers(drop: Path, where: list[str], workers: int, gate: bool, tmp: Path) -> dict:
    """`workers` `edi batch` processes on one copy of `drop` and one store; wall seconds and claims/s."""
    work = tmp / "drop"
    shutil.copytree(drop, work, ignore=shutil.ignore_patterns(".complete"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    gate_args = ["--gate-workers", "0"] if gate else ["--no-gate"]
    processes = []
    load = os.getloadavg()[0]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    for n in range(workers):
        report = tmp / f"report-{n}.json"
        command = [
            sys.executable,
            "-m",
            "edi.cli",
            "--log-level",
            "ERROR",
            "batch",
            str(work),
            "--out",
            str(tmp / "out"),
        ]
        command += where
        command += ["--report", str(report), "--quiet", *gate_args]
        processes.append((subprocess.Popen(command, cwd=ROOT, env=env), report))
    codes = [p.wait() for p, _ in processes]
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    reports = [json.loads(r.read_text()) for _, r in processes]
    decided = sum(
        r["claims"]["total"] - r["claims"]["by_disposition"].get("stored-original", 0) for r in reports
    ) + sum(sum(r["claims"]["resolved_pending"].values()) for r in reports)
    pending = sum(r["claims"]["by_disposition"].get("pending-original", 0) for r in reports)
    return {
        "workers": workers,
        "exit_codes": codes,
        "files": sum(r["totals"]["files"] for r in reports),
        "claims_835": decided - pending,  # a claim decided pending, then again when its original came: once
        "claims_written": sum(r["totals"]["claims_written"] for r in reports),
        "seconds": round(seconds, 2),
        "claims_per_second": round((decided - pending) / seconds),
        "store_seconds": [r["store_seconds"] for r in reports],
        "workers_cpu_seconds": round(cpu, 1),
        "load_average_before": round(load, 2),
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(drop: Path, engine: str, workers: int, gate: bool, url: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if engine == "sqlite":
            result = run_workers(drop, ["--state", str(tmp / "state")], workers, gate, tmp)
        else:
            import psycopg

            schema = f"edi_bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            try:
                location = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
                subprocess.run(
                    [sys.executable, "-m", "edi.cli", "store", "migrate", "--store", location],
                    cwd=ROOT,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                    check=True,
                    capture_output=True,
                )
                result = run_workers(drop, ["--store", location], workers, gate, tmp)
            finally:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    result["engine"] = engine
    print(
        f"  {engine:10} {workers} worker(s): {result['files']} files, {result['claims_835']:,} 835 claims, "
        f"{result['claims_written']:,} written in {result['seconds']}s = {result['claims_per_second']:,} claims/s "
        f"(store seconds per worker {result['store_seconds']}, workers' CPU {result['workers_cpu_seconds']}s, "
        f"load average before {result['load_average_before']}, exits {result['exit_codes']})",
        flush=True,
    )
    return result


def bench_workers(claims: int, files: int, gate: bool, url: str | None) -> dict:
    drop = build_drop(claims, files)
    print(f"edi batch on {files} files ({claims:,} claims in the 835s), {os.cpu_count()} CPU(s), gate {gate}:")
    out: dict = {"claims": claims, "files": files, "gate": gate, "runs": []}
    sqlite = measure(drop, "sqlite", 1, gate, None)
    out["runs"].append(sqlite)
    if url is None:
        print("  postgresql: no server on 127.0.0.1:5432 (database test); --store-url URL names another")
        return out
    one = measure(drop, "postgresql", 1, gate, url)
    two = measure(drop, "postgresql", 2, gate, url)
    out["runs"] += [one, two]
    out["scaling_2_over_1"] = round(two["claims_per_second"] / one["claims_per_second"], 2)
    out["sqlite_over_postgresql"] = round(sqlite["claims_per_second"] / one["claims_per_second"], 2)
    print(
        f"  scaling: 2 workers = {out['scaling_2_over_1']}x one worker (target >= 1.7); SQLite = "
        f"{out['sqlite_over_postgresql']}x PostgreSQL with one worker (target <= 1.5)"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--gate", action="store_true", help="validate every output (each worker in-process)")
    parser.add_argument("--store-url", help="the PostgreSQL server (a schema is made and dropped in it)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    result = bench_workers(args.claims, args.files, args.gate, server_url(args.store_url))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
