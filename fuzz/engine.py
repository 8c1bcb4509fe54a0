"""The fuzzers: atheris (libFuzzer, coverage-guided over our packages) when it is installed, else hypothesis
over mutated corpus files. Both feed `Session.one`, which runs the entry points on each input, minimises a
new crash and writes it to fixtures/hostile/ as a reproducer.

Every input runs on the fast entry points (inspect, convert, post); one in `SLOW_EVERY` (by a hash of the
input, so the same input always takes the same path) also runs on validate and batch, which call pyx12.

``python -m fuzz.engine --seconds N [--engine atheris|hypothesis] [--work DIR]``; `python -m fuzz` wraps it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import shutil
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "fixtures" / "hostile"
INDEX = HOSTILE / "INDEX.tsv"
WORK = ROOT / ".fuzz"
SLOW_EVERY = 6
SEED_DIRS = ("fixtures/examples", "fixtures/institutional", "fixtures/tertiary", "fixtures/replacement")
MAX_SEED_BYTES = 60_000
#: Values that broke readers before (issue 13) or sit at the edge of an X12 type: what mutations put in.
NASTY = (
    b"1E+1000000",
    b"2.5E2",
    b"NaN",
    b"-sNaN",
    b"Infinity",
    b"+5",
    b"",
    b"-",
    b".",
    b"1.2.3",
    b"1" * 19,
    b"0" * 40,
    b"-0",
    b"\x00",
    b"\xff\xfe",
    b"ABC",
    b"20241340",
    b"99999999",
    b"*",
    b"~",
    b":",
    b"^",
    b"|",
    b"\n",
    b" " * 20,
    b"\xc3\xa9",
    b"CLP",
    b"SVC",
    b"LX*1",
    b"SE",
    b"IEA",
    b"HL*1**20*1",
    b"CAS*CO*45*",
)


def seeds() -> list[Path]:
    """The corpus the fuzzers start from: our worked examples, the public corpus's small 835/837 files and
    every reproducer found so far."""
    found = [p for d in SEED_DIRS for p in sorted((ROOT / d).glob("*")) if p.suffix in (".835", ".837")]
    corpus = ROOT / "fixtures" / "corpus" / "INDEX.tsv"
    with corpus.open(newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            path = ROOT / "fixtures" / "corpus" / row["saved_path"]
            if row["transaction_set_ST01"] in ("835", "837") and path.stat().st_size <= MAX_SEED_BYTES:
                found.append(path)
    found += sorted(p for p in HOSTILE.glob("*.x12"))
    return found


class Session:
    """One fuzzing run: counts cases, keeps the crashes found (one reproducer per signature)."""

    def __init__(self, work: Path, engine: str, seconds: float):
        from .targets import Workspace

        self.work = work
        self.ws = Workspace(work / "workspace")
        self.engine = engine
        self.seconds = seconds
        self.started = time.monotonic()
        self.cases = 0
        self.calls = 0
        self.crashes: dict[str, str] = {}
        self.known = _known_signatures()

    def one(self, data: bytes) -> None:
        """Run the entry points on `data`; a new crash is minimised and saved."""
        from .targets import FAST, Crash, run_target

        self.cases += 1
        targets = FAST + (("validate", "batch") if zlib.crc32(data) % SLOW_EVERY == 0 else ())
        for target in targets:
            self.calls += 1
            try:
                run_target(self.ws, target, data)
            except Crash as crash:
                if crash.signature not in self.crashes:
                    self._found(target, data, crash)
        if self.cases % 20 == 0:
            self.write_summary()

    def _found(self, target: str, data: bytes, crash) -> None:
        from .minimise import minimise
        from .targets import Crash, run_target

        def check(candidate: bytes) -> Crash | None:
            try:
                run_target(self.ws, target, candidate)
            except Crash as again:
                return again
            return None

        small = minimise(data, crash, check)
        name = f"{target}-{hashlib.sha256(small).hexdigest()[:12]}.x12"
        HOSTILE.mkdir(parents=True, exist_ok=True)
        (HOSTILE / name).write_bytes(small)
        new = not INDEX.exists()
        with INDEX.open("a", newline="") as handle:
            writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
            if new:
                writer.writerow(["file", "target", "signature", "found_by", "status"])
            writer.writerow([name, target, crash.signature, f"make fuzz ({self.engine})", "open"])
        self.crashes[crash.signature] = name
        print(f"fuzz: crash {crash.signature} -> fixtures/hostile/{name} ({len(small)} bytes)", file=sys.stderr)
        self.write_summary()

    def write_summary(self) -> None:
        summary = {
            "engine": self.engine,
            "seconds": round(time.monotonic() - self.started, 1),
            "budget": self.seconds,
            "cases": self.cases,
            "calls": self.calls,
            "crashes": self.crashes,
            "known_reproducers": len(self.known),
        }
        (self.work / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    def out_of_time(self) -> bool:
        return time.monotonic() - self.started >= self.seconds


def _known_signatures() -> set[str]:
    if not INDEX.exists():
        return set()
    with INDEX.open(newline="") as handle:
        return {row["signature"] for row in csv.DictReader(handle, delimiter="\t")}


# ------------------------------------------------------------------------------------------ atheris
def run_atheris(work: Path, seconds: float) -> None:
    import atheris

    with atheris.instrument_imports(include=["parsers", "rules", "writers", "edi"]):
        import edi.cli  # noqa: F401 - everything the targets reach, instrumented
        import edi.runner  # noqa: F401

    session = Session(work, "atheris", seconds)
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for path in seeds():
        shutil.copy(path, corpus / f"seed-{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}")
    dictionary = work / "x12.dict"
    dictionary.write_text("".join(f'"{_dict_escape(v)}"\n' for v in NASTY if v))

    def test_one_input(data: bytes) -> None:
        session.one(data)
        if session.out_of_time():
            session.write_summary()

    args = [
        sys.argv[0],
        str(corpus),
        f"-max_total_time={int(seconds)}",
        f"-dict={dictionary}",
        "-max_len=120000",
        "-rss_limit_mb=6000",
        "-timeout=300",
        "-print_final_stats=1",
    ]
    atheris.Setup(args, test_one_input)
    session.write_summary()
    atheris.Fuzz()


def _dict_escape(value: bytes) -> str:
    return "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\x{b:02X}" for b in value)


# ------------------------------------------------------------------------------------------ hypothesis
def mutate(data: bytes, steps: list[tuple[int, int, int]]) -> bytes:
    """Apply mutation steps (operation, where, what) to X12 bytes: replace, drop, duplicate or cut segments
    and elements, put NASTY values in, flip bytes."""
    term = data[105:106] if data.startswith(b"ISA") and len(data) > 105 else b"~"
    segments = data.split(term)
    for op, where, what in steps:
        if not segments:
            break
        i = where % len(segments)
        fields = segments[i].split(b"*")
        if op == 0:  # an element takes a nasty value
            fields[what % len(fields)] = NASTY[what % len(NASTY)]
            segments[i] = b"*".join(fields)
        elif op == 1:  # a segment dropped
            del segments[i]
        elif op == 2:  # a segment repeated elsewhere
            segments.insert(what % (len(segments) + 1), segments[i])
        elif op == 3:  # an element dropped
            if len(fields) > 1:
                del fields[what % len(fields)]
            segments[i] = b"*".join(fields)
        elif op == 4:  # a byte changed
            seg = bytearray(segments[i] or b" ")
            seg[what % len(seg)] = what % 256
            segments[i] = bytes(seg)
        else:  # the file cut short
            segments = segments[: i + 1]
            segments[-1] = segments[-1][: what % (len(segments[-1]) + 1)]
    return term.join(segments)


def run_hypothesis(work: Path, seconds: float) -> None:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    session = Session(work, "hypothesis", seconds)
    corpus = [p.read_bytes() for p in seeds()]

    class OutOfTime(Exception):
        pass

    step = st.tuples(st.integers(0, 5), st.integers(0, 1 << 20), st.integers(0, 1 << 20))

    @settings(
        max_examples=10**9,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.sampled_from(corpus), st.lists(step, max_size=6))
    def case(seed: bytes, steps: list[tuple[int, int, int]]) -> None:
        if session.out_of_time():
            raise OutOfTime
        session.one(mutate(seed, steps))

    try:
        case()
    except OutOfTime:
        pass
    session.write_summary()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fuzz.engine")
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--engine", choices=("auto", "atheris", "hypothesis"), default="auto")
    parser.add_argument("--work", type=Path, default=WORK)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    engine = args.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401
        except ImportError:
            engine = "hypothesis"
        else:
            engine = "atheris"
    random.seed(0)
    (run_atheris if engine == "atheris" else run_hypothesis)(args.work, args.seconds)


if __name__ == "__main__":
    main()
