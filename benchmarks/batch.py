"""Benchmark of `edi batch` end to end: a generated drop of 837s and 835s on a fresh claim store.

``python -m benchmarks.batch [--claims 100000] [--files 200]`` (or ``bench_batch()`` from Python) builds a
drop of ``files`` files (half 837, half 835, from ``benchmarks.generate`` pairs whose claim ids are made unique
per pair), cached under benchmarks/data/batch-<claims>-<files>/, copies it to a temporary folder, and runs
``edi batch`` on it in a child process. Prints claims/s (835 claims decided, over the whole run), peak RSS of
the child (``ru_maxrss``) and the store's share of the time (seconds inside the store: SQL, serialisation,
commits, as the run report counts them).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def bench_batch(claims: int = 100_000, files: int = 200) -> dict:
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
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.perf_counter()
        code = subprocess.run(command, cwd=ROOT, env=env).returncode
        seconds = time.perf_counter() - started
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
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
    }
    print(
        f"edi batch: {result['files']} files, {result['claims_837']:,} original claims, "
        f"{result['claims_835']:,} 835 claims -> {result['claims_written']:,} secondary claims in "
        f"{result['outputs']} files: {result['seconds']}s, {result['claims_per_second']:,} claims/s, "
        f"peak RSS {result['peak_rss_mb']} MB, store {result['store_share']:.0%} of the time "
        f"({result['store_seconds']}s)"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    result = bench_batch(args.claims, args.files)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
