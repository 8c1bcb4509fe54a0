"""Guide validation speed: pyx12 against the guide engine (edi.guide) on the same secondary 837P.

``python -m benchmarks.guide`` generates a matched pair (``benchmarks.generate``, cached under
benchmarks/data/), converts it with ``edi.pipeline.convert`` (the secondary claims the batch job writes
and validates), then times on that one output file:

* pyx12: ``edi.validation.validate_guide`` (how the project runs pyx12: x12n_document with its 999 and
  JSON error tree);
* the guide engine: ``edi.guide.validate_bytes``, first run in the process (tables read from the disk
  cache, compiled if absent) and warm (best of three);

and prints claims/s for each, the ratio, and whether both accept the file. Flags: ``--claims N`` (pair
size, default 4000), ``--pair20k`` (use the 20,000-claim pair of ``make bench``), ``--profile`` (cProfile
of a warm engine run), ``--json PATH``.
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


def time_engine(data: bytes, name: str, runs: int = 3) -> tuple[float, float, bool]:
    """(first run seconds, best warm seconds, accepted) of edi.guide on `data`."""
    from edi.guide import validate_bytes

    t = time.perf_counter()
    result = validate_bytes(data, name)
    first = time.perf_counter() - t
    best = min(_timed(validate_bytes, data, name) for _ in range(runs))
    return first, best, result.ok


def _timed(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def time_pyx12(path: Path) -> tuple[float, bool]:
    from edi.validation import validate_guide

    t = time.perf_counter()
    result = validate_guide(path)
    return time.perf_counter() - t, result.ok


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
    print(f"guide engine: {warm:.3f} s warm ({claims / warm:,.0f} claims/s), first run {first:.3f} s", flush=True)
    pyx12_s, pyx12_ok = time_pyx12(path)
    print(f"pyx12:        {pyx12_s:.3f} s ({claims / pyx12_s:,.0f} claims/s)")
    ratio = pyx12_s / warm
    print(
        f"ratio: {ratio:.1f}x; verdicts: pyx12 {'accepts' if pyx12_ok else 'rejects'}, engine "
        f"{'accepts' if engine_ok else 'rejects'}{'' if pyx12_ok == engine_ok else '  <-- DISAGREE'}"
    )
    if args.profile:
        from edi.guide import validate_bytes

        prof = cProfile.Profile()
        prof.runcall(validate_bytes, data, str(path))
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(15)
    if args.json:
        figures = {
            "file": str(path),
            "bytes": len(data),
            "claims": claims,
            "engine_seconds": warm,
            "engine_first_seconds": first,
            "engine_claims_per_s": claims / warm,
            "pyx12_seconds": pyx12_s,
            "pyx12_claims_per_s": claims / pyx12_s,
            "ratio": ratio,
            "pyx12_ok": pyx12_ok,
            "engine_ok": engine_ok,
        }
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if pyx12_ok == engine_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
