"""Benchmark of the billing office's commands on a store of generated claims.

``python -m benchmarks.office [--claims 20000] [--files 20]`` builds a drop (``benchmarks.batch.build_drop``),
posts it with ``edi batch --no-gate`` on a fresh store (not timed), then times, each in a child process:
``edi report write-offs`` (json, by reason; html), ``edi report denials --format json``,
``edi collections run`` and ``edi statements``. Prints the ledger size and, per command, wall seconds and
ledger rows per second.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.batch import build_drop


def edi(*args: str, state: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "edi.cli", *args, "--state", str(state)], capture_output=True, text=True, check=False
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"edi {' '.join(args)}: {done.stderr.strip()}")
    return time.perf_counter() - started, done.stdout


def bench_office(claims: int = 20_000, files: int = 20) -> dict:
    drop = build_drop(claims, files)
    with tempfile.TemporaryDirectory() as tmp:
        work, state = Path(tmp) / "drop", Path(tmp) / "state"
        shutil.copytree(drop, work, ignore=shutil.ignore_patterns(".complete"))
        edi("batch", str(work), "--out", str(Path(tmp) / "out"), "--no-gate", "--quiet", state=state)
        _, ledger = edi("ledger", "export", state=state)
        rows = ledger.count("\n")
        figures = {"claims": claims, "ledger_rows": rows}
        runs = {
            "write-offs json by reason": ("report", "write-offs", "--by", "reason", "--format", "json"),
            "write-offs html": ("report", "write-offs", "--format", "html", "--out", str(Path(tmp) / "r.html")),
            "denials json": ("report", "denials", "--format", "json"),
            "collections run": ("collections", "run", "--today", "2030-01-01"),
            "statements": ("statements", "--out", str(Path(tmp) / "statements")),
        }
        for name, args in runs.items():
            seconds, _ = edi(*args, state=state)
            figures[name] = {"seconds": round(seconds, 2), "ledger_rows_per_s": round(rows / seconds)}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(bench_office(args.claims, args.files), indent=2))


if __name__ == "__main__":
    main()
