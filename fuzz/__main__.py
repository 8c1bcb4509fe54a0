"""`python -m fuzz [--seconds N] [--engine auto|atheris|hypothesis]` (`make fuzz`; FUZZ_SECONDS, default 600):
the engine in a child process for the time budget, then what it did: cases run, entry-point calls, crashes
found (each minimised into fixtures/hostile/). Exits 1 when it found a crash, 0 when none."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from .engine import ROOT, WORK


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz")
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", "600")))
    parser.add_argument("--engine", choices=("auto", "atheris", "hypothesis"), default="auto")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    summary = WORK / "summary.json"
    summary.unlink(missing_ok=True)
    started = time.monotonic()
    command = [sys.executable, "-m", "fuzz.engine", "--seconds", str(args.seconds), "--engine", args.engine]
    with open(WORK / "engine.log", "wb") as log:
        child = subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    if not summary.exists():
        print(f"fuzz: the engine stopped before it ran (exit {child.returncode}); see {WORK / 'engine.log'}")
        return 2
    found = json.loads(summary.read_text())
    print(
        f"fuzz ({found['engine']}): {found['cases']} cases, {found['calls']} entry-point calls in "
        f"{time.monotonic() - started:.0f} s; {len(found['crashes'])} new crash(es); "
        f"{found['known_reproducers']} known reproducer(s) in fixtures/hostile/"
    )
    for signature, name in found["crashes"].items():
        print(f"  {signature} -> fixtures/hostile/{name}")
    return 1 if found["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
