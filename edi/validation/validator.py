"""Validating files: every check of `edi validate` on a file (the guide, our envelope, balancing and
duplicate checks), on many files (in processes), on X12 held in memory, and on an output before it is
published (the outbound gate)."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .checks import duplicate_interchanges, duplicates_in_file, read_835_checks, read_837_checks, structure
from .guide import fold_guide_findings
from .plain import PLAIN
from .pyx12_engine import temporary_x12
from .verdict import FileVerdict, Issue


def validate_file(path: str | Path, name: str | None = None) -> FileVerdict:
    """Every check of `edi validate` on one file. Never raises, whatever the bytes: a fault of ours on them is
    an "internal-error" issue of the verdict."""
    path = Path(path)
    name = name or str(path)
    verdict = FileVerdict(name)
    started = time.perf_counter()
    if not path.is_file():
        verdict.unreadable = True
        why = "no such file" if not path.exists() else "not a regular file"
        verdict.issues.append(
            Issue(name, "unreadable", "error", f"cannot read the file: {why}", PLAIN["unreadable"], "read")
        )
        return verdict
    try:
        offsets = structure(path, name, verdict)
        duplicates_in_file(verdict, name)
        duplicate_interchanges([verdict])
        if verdict.kind == "835":
            read_835_checks(path, name, verdict)
        elif verdict.kind == "837":
            read_837_checks(path, name, verdict)
        reached_isa = bool(verdict.interchanges)
        if reached_isa or not verdict.unreadable:
            verdict.guide_findings = fold_guide_findings(path, name, verdict, offsets)
    except OSError as exc:
        verdict.unreadable = True
        verdict.issues.append(
            Issue(
                name,
                "unreadable",
                "error",
                f"cannot read the file: {exc.strerror or type(exc).__name__}",
                PLAIN["unreadable"],
                "read",
            )
        )
    except Exception as exc:  # a fault of ours on these bytes: still a verdict (an error), never a raise
        verdict.issues.append(
            Issue(
                name,
                "internal-error",
                "error",
                f"our checks failed on this file ({type(exc).__name__}); the other files are not affected",
                PLAIN["internal-error"],
                "read",
            )
        )
    verdict.issues.sort(key=lambda i: (i.segment, i.source != "read"))
    verdict.seconds = time.perf_counter() - started
    return verdict


def validate_files(paths: Iterable[str | Path], workers: int = 0) -> list[FileVerdict]:
    """validate_file over `paths` (in `workers` processes when > 1), then duplicate ISA13s across them."""
    paths = [Path(p) for p in paths]
    if workers > 1 and len(paths) > 1:
        ctx = multiprocessing.get_context("spawn")  # fork would copy the caller's threads mid-lock
        with ProcessPoolExecutor(max_workers=min(workers, len(paths)), mp_context=ctx) as pool:
            verdicts = list(pool.map(validate_file, paths))
    else:
        verdicts = [validate_file(p) for p in paths]
    duplicate_interchanges(verdicts, across_files_only=True)
    return verdicts


def outbound_gate(text: str, name: str) -> FileVerdict:
    """Validate a file we are about to publish: pyx12 on its guide plus COB balancing on every claim.

    `verdict.ok` is True when nothing is in error (warnings do not stop a file); `verdict.findings` says what
    is wrong. A file pyx12 cannot check (no map for its guide) is not ok: we do not publish unchecked files.

    Cost (measured on a 746-claim secondary 837P written by `edi convert`, 2 cores under load ~5): 31 ms per
    claim, of which pyx12 is ~25 ms (40 claims/s under that load; ~6 ms idle, 160 claims/s) and our own
    checks (tokenizer pass, 837 reader, COB balancing) ~0.7 ms. pyx12 is the whole cost: run it in a
    process pool (one file per worker, `validate_files(workers=N)` shows how) to keep it off the hot path.
    """
    return validate_text(text, name)


def validate_text(text: str | bytes, name: str = "<text>") -> FileVerdict:
    """`validate_file` on X12 held in memory (an output before it is published, a zip member); a str is
    written Latin-1, byte for byte. Top-level and picklable: process pools call it."""
    with temporary_x12(text) as path:
        return validate_file(path, name)
