"""Benchmark of `edi batch` end to end: a generated drop of 837s and 835s on a fresh claim store.

``python -m benchmarks.batch [--claims 100000] [--files 200]`` (or ``bench_batch()`` from Python) builds a
drop of ``files`` files (half 837, half 835, from ``benchmarks.generate`` pairs whose claim ids are made unique
per pair), cached under benchmarks/data/batch-<claims>-<files>/, copies it to a temporary folder, and runs
``edi batch`` on it in a child process. Prints claims/s (835 claims decided, over the whole run), peak RSS of
the run (``ru_maxrss`` of its process, or of its largest validation worker if larger: ``os.wait4``, so that
each run of a comparison is measured alone) and the store's share of the time (seconds inside the store: SQL,
serialisation, commits, as the run report counts them).

The outbound gate (pyx12 + COB balancing on every output before it is published, in a process pool) is timed
too: the run is made with the gate and again with ``--no-gate``, and the figures say the seconds the run waited
for the gate (its validation starts as each output is written, beside the main process) and their share of the
gated run, the claims it checked per second of a worker, and claims/s with and without it
(``--gate-workers N`` sets the pool; ``--gate only`` / ``--gate off`` run one of the two).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.generate import DATA_DIR, generate_pair

ROOT = Path(__file__).resolve().parents[1]


def build_drop(claims: int = 100_000, files: int = 200, directory: Path | None = None) -> Path:
    """The drop (cached): files/2 pairs of claims/(files/2) claims each."""
    pairs = max(1, files // 2)
    per_pair = max(1, claims // pairs)
    drop = Path(directory or DATA_DIR / f"batch-{claims}-{files}")
    done = drop / ".complete"
    if done.exists():
        return drop
    drop.mkdir(parents=True, exist_ok=True)
    for seed in range(1, pairs + 1):
        b837, b835 = generate_pair(per_pair, seed)
        tag = f"S{seed:04d}".encode()
        (drop / f"claims-{seed:04d}.837").write_bytes(b837.replace(b"PCN", tag))
        (drop / f"remit-{seed:04d}.835").write_bytes(b835.replace(b"PCN", tag))
    done.write_text("ok\n")
    return drop


def bench_batch(claims: int = 100_000, files: int = 200, gate: bool = True, gate_workers: int | None = None) -> dict:
    drop = build_drop(claims, files)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "drop"
        shutil.copytree(drop, work, ignore=shutil.ignore_patterns(".complete"))
        report_path = Path(tmp) / "report.json"
        command = [
            sys.executable,
            "-m",
            "edi.cli",
            "batch",
            str(work),
            "--out",
            str(Path(tmp) / "out"),
            "--state",
            str(Path(tmp) / "state"),
            "--report",
            str(report_path),
            "--quiet",
        ]
        if not gate:
            command += ["--no-gate", "--log-level", "error"]  # not a warning per output: the run says it is off
        if gate_workers is not None:
            command += ["--gate-workers", str(gate_workers)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, env=env)
        _, status, usage = os.wait4(child.pid, 0)  # this run's own peak (RUSAGE_CHILDREN keeps the largest
        child.returncode = code = os.waitstatus_to_exitcode(status)  # of every run made so far)
        seconds = time.perf_counter() - started
        peak_kb = usage.ru_maxrss
        report = json.loads(report_path.read_text())
    decided = report["claims"]["total"] - report["claims"]["by_disposition"].get("stored-original", 0)
    result = {
        "files": report["totals"]["files"],
        "exit_code": code,
        "claims_835": decided,
        "claims_837": report["claims"]["by_disposition"].get("stored-original", 0),
        "claims_written": report["totals"]["claims_written"],
        "outputs": report["totals"]["outputs"],
        "seconds": round(seconds, 2),
        "claims_per_second": round(decided / seconds),
        "peak_rss_mb": round(peak_kb / 1024),
        "store_seconds": report["store_seconds"],
        "store_share": round(report["store_seconds"] / report["seconds"], 3) if report["seconds"] else 0,
        "gate": report["gate"]["enabled"],
        "gate_workers": report["gate"]["workers"],
        "gate_files": report["gate"]["checked"],
        "gate_claims": report["gate"]["claims_checked"],
        "gate_seconds": report["gate"]["seconds"],
        "gate_share": round(report["gate"]["seconds"] / report["seconds"], 3) if report["seconds"] else 0,
        "gate_validator_seconds": report["gate"]["validator_seconds"],
        "gate_claims_per_second": round(report["gate"]["claims_checked"] / report["gate"]["validator_seconds"])
        if report["gate"]["validator_seconds"] and report["gate"]["checked"]
        else None,
        "gate_rejected": len(report["gate"]["rejected"]),
    }
    print(
        f"edi batch: {result['files']} files, {result['claims_837']:,} original claims, "
        f"{result['claims_835']:,} 835 claims -> {result['claims_written']:,} secondary claims in "
        f"{result['outputs']} files: {result['seconds']}s, {result['claims_per_second']:,} claims/s, "
        f"peak RSS {result['peak_rss_mb']} MB, store {result['store_share']:.0%} of the time "
        f"({result['store_seconds']}s)"
    )
    if result["gate"]:
        print(
            f"  outbound gate ({result['gate_workers']} worker(s)): {result['gate_files']} files, "
            f"{result['gate_claims']:,} claims validated in {result['gate_validator_seconds']}s of a worker = "
            f"{result['gate_claims_per_second']} claims/s; the run waited {result['gate_seconds']}s for it, "
            f"{result['gate_share']:.0%} of the run, "
            f"{result['gate_rejected']} rejected"
        )
    else:
        print("  outbound gate OFF (--no-gate)")
    return result


def bench_gate(claims: int, files: int, gate_workers: int | None = None) -> dict:
    """The same drop with and without the outbound gate: what the gate costs."""
    on = bench_batch(claims, files, True, gate_workers)
    off = bench_batch(claims, files, False)
    cost = {
        "with_gate": on,
        "without_gate": off,
        "claims_per_second_with_gate": on["claims_per_second"],
        "claims_per_second_without_gate": off["claims_per_second"],
        "gate_seconds": on["gate_seconds"],
        "gate_share_of_run": on["gate_share"],
        "gate_claims_per_second": on["gate_claims_per_second"],
        "slowdown": round(on["seconds"] / off["seconds"], 2) if off["seconds"] else None,
    }
    print(
        f"gate cost: {off['claims_per_second']:,} -> {on['claims_per_second']:,} claims/s "
        f"({cost['slowdown']}x the time); the gate is {on['gate_share']:.0%} of the gated run, "
        f"{on['gate_claims_per_second']} claims/s validated"
    )
    return cost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument(
        "--gate",
        choices=["compare", "only", "off"],
        default="compare",
        help="with and without the outbound gate (default), with it only, or without it",
    )
    parser.add_argument("--gate-workers", type=int, default=None)
    args = parser.parse_args(argv)
    if args.gate == "compare":
        result = bench_gate(args.claims, args.files, args.gate_workers)
    else:
        result = bench_batch(args.claims, args.files, args.gate == "only", args.gate_workers)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
