"""The entry points the fuzzer drives, each on one file's bytes, and what counts as a crash.

A crash is any exception an entry point lets out other than its documented one (`X12Error` from inspect,
convert and post: "this file is not readable X12"), and any fault of ours that a safety net caught (a batch
input rejected with "internal error", a verdict with an "internal-error" issue, a claim needs-review because
it met an internal error): the net keeps the line running, the fuzzer still reports the bug behind it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edi.config import Settings
from edi.inspect import inspect_file
from edi.pipeline import convert
from edi.posting import post_file
from edi.runner import run_batch
from edi.validation import validate_file
from parsers.envelope import first_transaction_set
from parsers.errors import X12Error

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "fixtures" / "examples"
PARTNER_DIRS = (EXAMPLES, ROOT / "fixtures" / "institutional", ROOT / "fixtures" / "tertiary")
_INTERNAL = re.compile(r"internal error \((\w+)(?: at ([\w.]+:\d+))?\)")


@dataclass(eq=False)
class Crash(Exception):
    """A fault of ours on some bytes: which entry point, the exception type and the line of our code."""

    target: str
    kind: str
    where: str
    detail: str = ""

    @property
    def signature(self) -> str:
        return f"{self.target}:{self.kind}@{self.where}"

    def __str__(self) -> str:
        return self.signature


def _innermost(exc: BaseException) -> str:
    """The innermost line of the project that raised (else of anything: the standard library's, the harness's)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if str(ROOT) in f.filename and "site-packages" not in f.filename] or frames
    return f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"


def _internal(target: str, text: str) -> None:
    m = _INTERNAL.search(text)
    if m:
        raise Crash(target, m.group(1), m.group(2) or "?", "caught by a safety net")


class Workspace:
    """A scratch folder and what every case shares: the example originals (the partners of a fuzzed 835),
    every example primary 835 in one file (the partner of a fuzzed 837), and a claim store holding the
    originals (copied for each `post` case)."""

    def __init__(self, base: Path | None = None):
        self.base = Path(base or tempfile.mkdtemp(prefix="edi-fuzz-"))
        self.base.mkdir(parents=True, exist_ok=True)
        self.case = self.base / "case"
        self.originals = sorted(p for d in PARTNER_DIRS for p in d.glob("*_original.837"))
        remits = sorted(p for d in PARTNER_DIRS for p in d.glob("*_primary.835"))
        self.remits = self.base / "primaries.835"
        self.remits.write_bytes(b"".join(p.read_bytes() for p in remits))
        self.template = self.base / "template-state"
        if not self.template.exists():
            drop = self.base / "template-drop"
            drop.mkdir(exist_ok=True)
            for p in self.originals:
                shutil.copy(p, drop / p.name)
            run_batch(drop, self.base / "template-out", self._settings(self.template, gate=False), quiet=True)

    @staticmethod
    def _settings(state: Path, gate: bool = True) -> Settings:
        return Settings(state_dir=state, gate={"workers": 0, "enabled": gate})

    def fresh(self, data: bytes, name: str) -> Path:
        """An empty case folder holding the file under test."""
        shutil.rmtree(self.case, ignore_errors=True)
        self.case.mkdir(parents=True)
        path = self.case / name
        path.write_bytes(data)
        return path

    def close(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


def _name(data: bytes) -> str:
    kind = first_transaction_set(data[: 1 << 16])
    return f"fuzzed.{kind if kind in ('835', '837', '999') else 'x12'}"  # ST01 is data: never a file name


def t_inspect(ws: Workspace, data: bytes) -> None:
    inspect_file(ws.fresh(data, _name(data)))


def t_convert(ws: Workspace, data: bytes) -> None:
    path = ws.fresh(data, _name(data))
    kind = first_transaction_set(data[: 1 << 16])
    remit, claims = (ws.remits, [path]) if kind == "837" else (path, ws.originals)
    if kind not in ("835", "837"):
        remit, claims = path, ws.originals
    settings = ws._settings(ws.case / "state")
    # the gate's checks (pyx12) on what convert writes are batch's to fuzz: here the conversion, fast
    result = convert(remit, claims, ws.case / "out.837", ws.case / "report.json", settings, check_outbound=False)
    for outcome in result.outcomes:
        _internal("convert", " ".join(outcome.reasons))


def t_validate(ws: Workspace, data: bytes) -> None:
    verdict = validate_file(ws.fresh(data, _name(data)))
    for issue in verdict.issues:
        if issue.rule == "internal-error":
            raise Crash("validate", issue.message.split("(")[1].split(")")[0], "?", "internal-error issue")


def t_post(ws: Workspace, data: bytes) -> None:
    path = ws.fresh(data, _name(data))
    state = ws.case / "state"
    shutil.copytree(ws.template, state)
    post_file(path, ws._settings(state))


def t_batch(ws: Workspace, data: bytes) -> None:
    path = ws.fresh(data, _name(data))
    drop = ws.case / "drop"
    drop.mkdir()
    path.rename(drop / path.name)
    state = ws.case / "state"
    shutil.copytree(ws.template, state)
    report = run_batch(drop, ws.case / "out", ws._settings(state), quiet=True)
    if report.exit_code not in (0, 1):
        raise Crash("batch", "ExitCode", str(report.exit_code))
    for f in report.files:
        _internal("batch", (f.report or {}).get("reason", ""))
    for item in report.attention:
        _internal("batch", " ".join(item["reasons"]))


#: name -> (entry point, the exceptions it may let out for bad input)
TARGETS: dict[str, tuple[Callable[[Workspace, bytes], None], tuple[type[BaseException], ...]]] = {
    "inspect": (t_inspect, (X12Error,)),
    "convert": (t_convert, (X12Error,)),
    "validate": (t_validate, ()),
    "post": (t_post, (X12Error,)),
    "batch": (t_batch, ()),
}
FAST = ("inspect", "convert", "post")  # no pyx12: milliseconds a case


def run_target(ws: Workspace, target: str, data: bytes) -> None:
    """Run one entry point on `data`; raises Crash on a fault of ours, returns otherwise."""
    function, allowed = TARGETS[target]
    try:
        function(ws, data)
    except Crash:
        raise
    except allowed:
        return
    except RecursionError as exc:
        raise Crash(target, "RecursionError", _innermost(exc)) from exc
    except Exception as exc:
        raise Crash(target, type(exc).__name__, _innermost(exc), "".join(traceback.format_exception(exc))) from exc
