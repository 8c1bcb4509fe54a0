"""Validating files: every check of `edi validate` on a file (the guide, our envelope, balancing and
duplicate checks), on many files (in processes), on X12 held in memory, and on an output before it is
published (the outbound gate)."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from .checks import duplicate_interchanges, duplicates_in_file, read_835_checks, read_837_checks, structure
from .guide import fold_guide_findings
from .plain import PLAIN
from .pyx12_engine import temporary_x12
from .verdict import FileVerdict, Issue


def validate_file(path: str | Path, name: str | None = None, engine: str = "fast") -> FileVerdict:
    """Every check of `edi validate` on one file, the guide checked by `engine` ("fast" or "pyx12"). Never
    raises, whatever the bytes: a fault of ours on them is an "internal-error" issue of the verdict."""
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
            verdict.guide_findings = fold_guide_findings(path, name, verdict, offsets, engine)
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


def validate_files(paths: Iterable[str | Path], workers: int = 0, engine: str = "fast") -> list[FileVerdict]:
    """validate_file over `paths` (in `workers` processes when > 1), then duplicate ISA13s across them."""
    paths = [Path(p) for p in paths]
    check = partial(validate_file, name=None, engine=engine)
    if workers > 1 and len(paths) > 1:
        ctx = multiprocessing.get_context("spawn")  # fork would copy the caller's threads mid-lock
        with ProcessPoolExecutor(max_workers=min(workers, len(paths)), mp_context=ctx) as pool:
            verdicts = list(pool.map(check, paths))
    else:
        verdicts = [check(p) for p in paths]
    duplicate_interchanges(verdicts, across_files_only=True)
    return verdicts


def outbound_gate(text: str, name: str, engine: str = "fast") -> FileVerdict:
    """Validate a file we are about to publish: its guide (the fast engine by default) plus COB balancing on
    every claim. `verdict.ok` is True when nothing is in error (warnings do not stop a file); `verdict.findings`
    says what is wrong. A file the guide engine cannot check (no map for its guide) is not ok: we do not
    publish unchecked files. pyx12 costs ~6 ms a claim (160 claims/s); the fast engine a few percent of that."""
    return validate_text(text, name, engine)


def validate_text(text: str | bytes, name: str = "<text>", engine: str = "fast") -> FileVerdict:
    """`validate_file` on X12 held in memory (an output before it is published, a zip member); a str is
    written Latin-1, byte for byte. Top-level and picklable: process pools call it."""
    with temporary_x12(text) as path:
        return validate_file(path, name, engine)
