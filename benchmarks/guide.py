"""Guide validation speed: pyx12 against the guide engine (edi.validation.fast_engine) on the same secondary 837P.

``python -m benchmarks.guide`` generates a matched pair (``benchmarks.generate``, cached under
benchmarks/data/), converts it with ``edi.pipeline.convert`` (the secondary claims the batch job writes
and validates), then times on that one output file:

* pyx12: ``edi.validation.validate_guide`` (how the project runs pyx12: x12n_document with its 999 and
  JSON error tree);
* the guide engine: ``edi.validation.fast_engine.validate_bytes``, first run in the process (tables read from the disk
  cache, compiled if absent) and warm (best of three);

and prints claims/s for each, the ratio, and whether both accept the file; then the CPU time of `edi
validate`'s whole check of that output (``edi.validation.validate_file``: envelope, our checks, the engine)
against the convert that wrote it (issue 15: validating an output should cost no more than writing it).
Each figure is given in wall time and in CPU time of this process (the machine is shared: CPU time is what
a batch worker spends). Flags: ``--claims N`` (pair size, default 4000), ``--pair20k`` (use the
20,000-claim pair of ``make bench``), ``--profile`` (cProfile of a warm engine run), ``--json PATH``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.generate import DATA_DIR, DEFAULT_SEED, GENERATOR_VERSION, write_pair


def secondary_output(n_claims: int, seed: int = DEFAULT_SEED) -> Path:
    """The secondary 837P `edi convert` writes for the generated pair (cached next to the pair)."""
    out = DATA_DIR / f"secondary-{n_claims}-{seed}-v{GENERATOR_VERSION}.837"
    if out.is_file():
        return out
    from edi.config import Settings
    from edi.pipeline import convert

    p837, p835 = write_pair(DATA_DIR, n_claims, seed)
    with tempfile.TemporaryDirectory(prefix="guide-bench-") as state:
        result = convert(p835, [p837], None, None, Settings(state_dir=Path(state)), keep_claims=False)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(result.text, encoding="ascii")
    os.replace(tmp, out)
    return out


def _claims(data: bytes) -> int:
    return data.count(b"~CLM*") + data.count(b"\nCLM*")


def _timed(fn, *args) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result) of fn(*args)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def time_engine(data: bytes, name: str, runs: int = 3) -> tuple[tuple[float, float], tuple[float, float], bool]:
    """((wall, CPU) of the first run, (wall, CPU) of the best warm run, accepted) of the fast engine on `data`."""
    from edi.validation.fast_engine import validate_bytes

    wall, cpu, result = _timed(validate_bytes, data, name)
    warm = min(_timed(validate_bytes, data, name)[:2] for _ in range(runs))
    return (wall, cpu), warm, result.ok


def time_validate_against_convert(path: Path, n_claims: int, seed: int) -> tuple[float, float]:
    """(CPU seconds of `edi validate`'s whole check of the output: envelope, our checks, the guide engine;
    CPU seconds of the convert that wrote it), each in this process, warm (best of two)."""
    from edi.config import Settings
    from edi.pipeline import convert
    from edi.validation import validate_file

    p837, p835 = write_pair(DATA_DIR, n_claims, seed)

    def converting():
        with tempfile.TemporaryDirectory(prefix="guide-bench-") as state:
            convert(p835, [p837], None, None, Settings(state_dir=Path(state)), keep_claims=False)

    validating = min(_timed(validate_file, path)[1] for _ in range(2))
    converting_cpu = min(_timed(converting)[1] for _ in range(2))
    return validating, converting_cpu


def time_pyx12(path: Path) -> tuple[tuple[float, float], bool]:
    """((wall, CPU), accepted) of pyx12 (edi.validation.validate_guide) on the file."""
    from edi.validation.pyx12_engine import validate_guide

    wall, cpu, result = _timed(validate_guide, path)
    return (wall, cpu), result.ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="pyx12 vs the guide engine on one secondary 837P")
    ap.add_argument("--claims", type=int, default=4000, help="size of the generated pair (default 4000)")
    ap.add_argument("--pair20k", action="store_true", help="use the 20,000-claim pair (make bench's)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--profile", action="store_true", help="cProfile a warm engine run (top 15 by own time)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = ap.parse_args(argv)
    path = secondary_output(20000 if args.pair20k else args.claims, args.seed)
    data = path.read_bytes()
    claims = _claims(data)
    print(f"file: {path} ({len(data):,} bytes, {claims:,} claims)", flush=True)
    first, warm, engine_ok = time_engine(data, str(path))
    print(
        f"guide engine: {warm[0]:.3f} s wall, {warm[1]:.3f} s CPU warm ({claims / warm[0]:,.0f} claims/s wall, "
        f"{claims / warm[1]:,.0f} CPU); first run {first[0]:.3f} s wall, {first[1]:.3f} s CPU",
        flush=True,
    )
    pyx12_t, pyx12_ok = time_pyx12(path)
    print(
        f"pyx12:        {pyx12_t[0]:.3f} s wall, {pyx12_t[1]:.3f} s CPU ({claims / pyx12_t[0]:,.0f} claims/s wall, "
        f"{claims / pyx12_t[1]:,.0f} CPU)"
    )
    ratio = pyx12_t[1] / warm[1]
    print(
        f"ratio (CPU): {ratio:.1f}x, (wall): {pyx12_t[0] / warm[0]:.1f}x; verdicts: pyx12 "
        f"{'accepts' if pyx12_ok else 'rejects'}, engine {'accepts' if engine_ok else 'rejects'}"
        f"{'' if pyx12_ok == engine_ok else '  <-- DISAGREE'}"
    )
    n_claims = 20000 if args.pair20k else args.claims
    validating, converting = time_validate_against_convert(path, n_claims, args.seed)
    print(
        f"edi validate of the output: {validating:.3f} s CPU ({claims / validating:,.0f} claims/s); the convert "
        f"that wrote it: {converting:.3f} s CPU; validate / convert = {validating / converting:.2f} (target <= 1)"
    )
    if args.profile:
        from edi.validation.fast_engine import validate_bytes

        prof = cProfile.Profile()
        prof.runcall(validate_bytes, data, str(path))
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(15)
    if args.json:
        figures = {
            "file": str(path),
            "bytes": len(data),
            "claims": claims,
            "engine_wall_s": warm[0],
            "engine_cpu_s": warm[1],
            "engine_first_wall_s": first[0],
            "engine_claims_per_cpu_s": claims / warm[1],
            "pyx12_wall_s": pyx12_t[0],
            "pyx12_cpu_s": pyx12_t[1],
            "pyx12_claims_per_cpu_s": claims / pyx12_t[1],
            "ratio_cpu": ratio,
            "validate_cpu_s": validating,
            "convert_cpu_s": converting,
            "pyx12_ok": pyx12_ok,
            "engine_ok": engine_ok,
        }
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if pyx12_ok == engine_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
