"""Benchmark of hostile input (issue 13): the reader stays linear, a zip bomb is refused before it inflates.

``python -m benchmarks.hostile [--mb 10 25 50] [--bomb-gb 6]`` prints, for files of N MB of NUL bytes, of
blanks (spaces and line breaks) and of one endless segment after an ISA, the seconds `edi inspect` takes
(`edi.inspect.inspect_file`, in this process) and the MB/s; linear reading keeps MB/s flat as N grows. Then
it builds a zip (cached under benchmarks/data/) whose one member inflates to --bomb-gb GB of zeros, and
times `edi batch` on it: the member is refused on its declared size, unread.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import zipfile
from pathlib import Path

from benchmarks.generate import DATA_DIR
from edi.config import Settings
from edi.inspect import inspect_file
from edi.runner import run_batch
from parsers.errors import X12Error

ISA = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240120*0900*^*00501*000000501*0*T*:~"
KINDS = {
    "NUL": lambda n: b"\x00" * n,
    "blanks": lambda n: (b" " * 63 + b"\n") * (n // 64),
    "endless segment": lambda n: ISA + b"\nGS*HP*" + b"A" * n,
    "terminators": lambda n: ISA + b"~" * n,
}


def time_inspect(data: bytes, folder: Path) -> tuple[float, str]:
    path = folder / "hostile.x12"
    path.write_bytes(data)
    started = time.perf_counter()
    try:
        inspect_file(path)
        said = "read"
    except X12Error as exc:
        said = exc.message[:60]
    return time.perf_counter() - started, said


def bomb(gigabytes: int) -> Path:
    """A zip whose one member is `gigabytes` GB of zeros (built once, in chunks, and cached)."""
    path = DATA_DIR / f"bomb-{gigabytes}gb.zip"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        chunk = b"\x00" * (1 << 24)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            with zf.open("claims.837", "w", force_zip64=True) as member:
                for _ in range(gigabytes * 64):
                    member.write(chunk)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hostile")
    parser.add_argument("--mb", type=int, nargs="+", default=[10, 25, 50])
    parser.add_argument("--bomb-gb", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for kind, make in KINDS.items():
            for mb in args.mb:
                seconds, said = time_inspect(make(mb << 20), folder)
                print(f"inspect {mb:>4} MB of {kind:<16} {seconds:7.3f} s  {mb / seconds:8.1f} MB/s  ({said})")
        archive = bomb(args.bomb_gb)
        started = time.perf_counter()
        report = run_batch(archive, folder / "out", Settings(state_dir=folder / "state"), quiet=True)
        seconds = time.perf_counter() - started
        [result] = report.files
        print(
            f"batch on a {archive.stat().st_size / 1e6:.1f} MB zip inflating to {args.bomb_gb} GB: {seconds:.2f} s, "
            f"{result.outcome}: {result.report['reason']}"
        )


if __name__ == "__main__":
    main()
