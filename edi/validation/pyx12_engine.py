"""Guide (TR3) validation with pyx12: the project's validator of record.

`validate_guide(path)` runs pyx12's `x12n_document` on one file and returns a `GuideValidation`: whether
pyx12 found zero errors, the guide (GS08) it validated against, one `Finding` per pyx12 error, and the 999
pyx12 wrote.

Where the findings come from. pyx12 reports every error twice: once as an ERROR record on the
`pyx12.error_handler` logger ("Line:20 ELE:7 - ..."), once in the error tree it can dump as JSON (`fd_json`).
Neither is enough alone:

- the log records are complete and in file order, and their `Line:` number is the segment ordinal, but they
  are pre-formatted text, carry no segment id, and append the bad value to the message;
- the JSON tree is structured (segment id, element position, the bad value apart), and for a missing
  segment it names the *missing* segment (what the 999's IK3 says), but it silently drops element errors on
  ISA, GS and ST (its visitor never walks their elements).

So each log record is one finding, matched to its JSON entry (same level, code and message) for the segment
id and element; unmatched records (ISA/GS/ST element errors) take the segment id from a per-segment
callback and the element from the "(ISA05)" pyx12 writes in its message. JSON entries without a log record
(logging disabled by the host application) still become findings.

pyx12's quirks handled here (pyx12 4.0.0): a non-ASCII byte raises
UnicodeDecodeError (-> rule "encoding", positioned at the byte); an unreadable ISA only logs "does not look
like an X12 data file" (-> rule "not-x12", with the reason); an unknown GS08 raises EngineError "Map not
found" (-> rule "no-map"); its 999 for an 835 crashes half-way (-> ack_999 "", no finding). pyx12's logs
never reach the caller's handlers or stderr: for the duration of a call the "pyx12" logger stops
propagating and only our capturing handler sees its records.

No PHI in findings: pyx12 echoes data values in some messages ("Segment N3*100 MAIN ST not found",
'len("SMITH")'). Those values are replaced by "..." except code values ("(ZZ) is not a valid code ...") and
short qualifiers, which carry no patient data and are what a person needs to fix the file.

pyx12 keeps per-call state in module-level loggers and is not known to be thread-safe, so calls in one
process are serialised by a lock; `validate_many` gets parallelism from processes instead.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyx12.errors
import pyx12.params
import pyx12.rawx12file
import pyx12.x12file
import pyx12.x12n_document

from parsers.errors import Finding, Position

__all__ = ["GuideValidation", "validate_guide", "validate_guide_text", "temporary_x12"]

_LOCK = threading.Lock()

# pyx12 error level -> the acknowledgment element its codes belong to (TA1 for the interchange, AK9 for the
# group, IK5/IK3/IK4 of the 999 for the transaction, segment and element).
_RULE_PREFIX = {"ISA": "TA105", "GS": "AK905", "ST": "IK502", "SEG": "IK304", "ELE": "IK403"}
_LOG_RE = re.compile(
    r"(?:No current segment in error_handler\. )?(?:Line:(\d+) )?(ISA|GS|ST|SEG|ELE):(\S*) - (.*)\Z", re.S
)
_REFDES_RE = re.compile(r"\(([A-Z][A-Z0-9]{1,2})(\d{2})(?:-(\d+))?\)")
_NOT_FOUND_RE = re.compile(r"^Segment ([A-Z0-9]{2,3})\*(.*?) not found\.")
_MAP_NOT_FOUND_RE = re.compile(r"icvn=(\S*?), fic=(\S*?), vriic=(\S*?)(?:,|$)")
_ENVELOPE = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})
_SHIPPED = "005010X222A1 (837P), 005010X223A2 (837I), 005010X221A1 (835)"


@dataclass
class GuideValidation:
    """pyx12's verdict on one file: ok, the guide, its findings, its 999."""

    file: str
    ok: bool  # True when pyx12 found zero errors
    guide: str  # GS08 pyx12 validated against ("A,B" for several groups), "" if none
    findings: list[Finding] = field(default_factory=list)
    ack_999: str = ""  # the 999 pyx12 produced; "" when it could not (835s, unreadable input)

    def as_dict(self) -> dict:
        """The JSON shape."""
        return {
            "file": self.file,
            "ok": self.ok,
            "guide": self.guide,
            "findings": [f.as_dict() for f in self.findings],
            "ack_999": self.ack_999,
        }


def validate_guide(path: str | Path) -> GuideValidation:
    """Validate one X12 file against the TR3 map pyx12 picks from its GS01/GS08."""
    path = Path(path)
    return _validate(path, str(path))


def validate_guide_text(text: str | bytes, name: str = "<text>") -> GuideValidation:
    """`validate_guide` on X12 held in memory (a str is written Latin-1, byte for byte, as our writers write);
    findings name `name` as the file."""
    with temporary_x12(text) as path:
        return _validate(path, name)


@contextmanager
def temporary_x12(text: str | bytes) -> Iterator[Path]:
    """X12 held in memory as a temporary file (pyx12 reads files), removed afterwards."""
    fd, tmp = tempfile.mkstemp(prefix="edi-validate-", suffix=".x12")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(text.encode("latin-1") if isinstance(text, str) else text)
        yield Path(tmp)
    finally:
        os.unlink(tmp)


# ----------------------------------------------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _captured_pyx12_logs() -> Iterator[_Capture]:
    """Route every pyx12 record of WARNING and up to a private handler, and nowhere else, for one call."""
    top = logging.getLogger("pyx12")
    errh = logging.getLogger("pyx12.error_handler")
    saved = (top.propagate, top.level, top.disabled, errh.propagate, errh.level, errh.disabled)
    capture = _Capture()
    top.addHandler(capture)
    top.propagate = False
    top.setLevel(logging.WARNING)
    top.disabled = False
    errh.propagate, errh.disabled = True, False
    errh.setLevel(logging.NOTSET)
    try:
        yield capture
    finally:
        top.removeHandler(capture)
        top.propagate, top.level, top.disabled, errh.propagate, errh.level, errh.disabled = saved


@dataclass
class _JsonErr:
    kind: str
    code: str
    text: str
    value: str | None
    line: int
    seg_id: str
    element: str
    used: bool = False


def _element_ref(seg_id: str, ele_pos: Any, subele_pos: Any) -> str:
    if not seg_id or not isinstance(ele_pos, int):
        return ""
    ref = f"{seg_id}{ele_pos:02d}"
    return f"{ref}-{subele_pos}" if isinstance(subele_pos, int) else ref


def _json_errors(tree: dict) -> list[_JsonErr]:
    out: list[_JsonErr] = []

    def plain(kind: str, node: dict, seg_id: str) -> None:
        for e in node.get("errors", []):
            out.append(_JsonErr(kind, str(e["err_cde"]), e["err_str"], None, node.get("cur_line") or 0, seg_id, ""))

    for isa in tree.get("interchanges", []):
        plain("ISA", isa, "ISA")
        for gs in isa.get("groups", []):
            plain("GS", gs, "GS")
            for st in gs.get("transactions", []):
                plain("ST", st, "ST")
                for seg in st.get("segments", []):
                    seg_id, line = seg.get("seg_id") or "", seg.get("cur_line") or 0
                    for e in seg.get("errors", []):
                        out.append(_JsonErr("SEG", str(e["err_cde"]), e["err_str"], e.get("err_val"), line, seg_id, ""))
                    for ele in seg.get("elements", []):
                        ref = _element_ref(seg_id, ele.get("ele_pos"), ele.get("subele_pos"))
                        for e in ele.get("errors", []):
                            out.append(
                                _JsonErr(
                                    "ELE",
                                    str(e["err_cde"]),
                                    e["err_str"],
                                    e.get("err_val"),
                                    line,
                                    seg_id,
                                    ref,
                                )
                            )
    return out


def _match(pending: list[_JsonErr], kind: str, code: str, line: int | None, rest: str) -> _JsonErr | None:
    """The first unused JSON error of this level and code whose message is the logged one (+ " (value)")."""
    best = None
    for e in pending:
        if e.used or e.kind != kind or e.code != code:
            continue
        if rest == e.text or rest.startswith(e.text + " ("):
            if line is None or e.line == line or kind in ("ISA", "GS", "ST"):
                best = e
                break
            best = best or e
    if best:
        best.used = True
    return best


def _split_logged_value(rest: str) -> tuple[str, str | None]:
    """The error handler logs 'message (value)'; split the value off when the message already shows it."""
    m = re.search(r" \(([^()]*)\)\Z", rest)
    if m and m.group(1) and m.group(1) in rest[: m.start()]:
        return rest[: m.start()], m.group(1)
    return rest, None


def _segment_ids(path: Path, lines: set[int]) -> dict[int, str]:
    """Segment ids at the given ordinals, read again with pyx12's own reader so the numbering is its own."""
    found: dict[int, str] = {}
    try:
        with open(path, encoding="ascii") as fd:
            reader = pyx12.x12file.X12Reader(fd)
            for seg in reader:
                line = reader.get_cur_line()
                if line in lines:
                    found[line] = seg.get_seg_id()
                    if len(found) == len(lines):
                        break
    except Exception:  # best effort: the findings keep their ordinals without ids
        pass
    return found


def _is_code(value: str) -> bool:
    return len(value) <= 3 and value.isalnum() and value.upper() == value


def _scrub(kind: str, code: str, text: str, value: str | None) -> str:
    """Remove data values pyx12 echoes into a message, keeping code values (no PHI, and needed to fix)."""
    m = _NOT_FOUND_RE.match(text)
    if m and not _is_code(m.group(2)):
        text = f"Segment {m.group(1)} not found." + text[m.end() :]
    if kind == "ELE" and value and not (code == "7" and text.startswith(f"({value}) is not a valid code")):
        if not _is_code(value):
            text = text.replace(value, "...")
    return text


def _element_from_text(text: str) -> str:
    m = _REFDES_RE.search(text)
    if not m:
        return ""
    seg, pos, sub = m.groups()
    return f"{seg}{pos}" + (f"-{int(sub)}" if sub else "")


def _non_ascii_finding(path: Path, name: str) -> Finding:
    data = path.read_bytes()
    bad = next((i for i, b in enumerate(data) if b > 0x7F), -1)
    if bad < 0:  # the decoder disagreed with us; say so without a position
        return Finding("encoding", "pyx12 could not decode the file as ASCII", Position(name))
    msg = f"byte 0x{data[bad]:02X} at offset {bad} is not ASCII; pyx12 reads X12 as ASCII only"
    if not (data.startswith(b"ISA") and len(data) >= 106):
        return Finding("encoding", msg, Position(name, 0, bad))
    term, sep = data[105:106], data[3:4]
    start = data.rfind(term, 0, bad) + 1
    while start < bad and data[start : start + 1] in (b"\r", b"\n", b" "):
        start += 1
    ordinal = data.count(term, 0, start) + 1
    seg_id = data[start:bad].split(sep, 1)[0].decode("ascii", "replace")
    n_ele = data.count(sep, start, bad)
    element = f"{seg_id}{n_ele:02d}" if n_ele else ""
    return Finding("encoding", msg, Position(name, ordinal, start, seg_id, element))


def _not_x12_reason(path: Path) -> str:
    try:
        head = path.read_bytes()[:512]
    except OSError:
        head = b""
    if head.startswith(b"ISA") and len(head) > 3:
        seps = [i for i, b in enumerate(head) if head[i : i + 1] == head[3:4]]
        if len(seps) >= 16 and seps[15] + 3 != 106:
            return (
                f"the ISA segment is {seps[15] + 3} characters long, not the fixed 106 "
                "(its fields must be space-padded to their full width)"
            )
    try:
        with open(path, encoding="ascii") as fd:
            pyx12.rawx12file.RawX12File(fd)
    except pyx12.errors.X12Error as exc:
        return (str(exc).splitlines() or [""])[0].split(" for ISA")[0][:120]
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return type(exc).__name__
    return "pyx12 rejected the interchange header"


def _validate(path: Path, name: str) -> GuideValidation:
    with _LOCK:
        return _run(path, name)


@dataclass
class _Pyx12Run:
    """What one pyx12 call left behind: its verdict, its 999 and JSON, its log records, what it saw."""

    result: bool = False
    crashed: bool = False
    findings: list[Finding] = field(default_factory=list)  # from exceptions, then from unmatched log records
    envelope_ids: dict[int, str] = field(default_factory=dict)  # ordinal -> id, envelope segments only
    guides: list[str] = field(default_factory=list)  # GS08 values in file order
    fd_999: io.StringIO = field(default_factory=io.StringIO)
    fd_json: io.StringIO = field(default_factory=io.StringIO)
    records: list[logging.LogRecord] = field(default_factory=list)


def _run(path: Path, name: str) -> GuideValidation:
    run = _call_pyx12(path, name)
    logged_errors, ack_failed, not_x12 = _read_log(run, name)
    if not_x12:
        reason = _not_x12_reason(path)
        run.findings.append(
            Finding("not-x12", f"not an X12 interchange pyx12 can read: {reason}", Position(name, int(path.exists())))
        )
    findings = _error_findings(run, logged_errors, path, name) + run.findings
    has_error = any(f.severity == "error" for f in findings)
    if not run.result and not has_error and not run.crashed:
        findings.append(Finding("invalid", "pyx12 rejected the file without naming an error", Position(name)))
        has_error = True
    ack = run.fd_999.getvalue() if not (run.crashed or ack_failed or not_x12) else ""
    return GuideValidation(
        file=name, ok=run.result and not has_error, guide=",".join(run.guides), findings=findings, ack_999=ack
    )


def _call_pyx12(path: Path, name: str) -> _Pyx12Run:
    """pyx12's x12n_document on the file, its logs captured; an exception becomes a finding."""
    run = _Pyx12Run()
    last_line = 0

    def on_segment(seg: Any, src: Any, node: Any, valid: bool) -> None:
        nonlocal last_line
        last_line = src.get_cur_line()
        seg_id = seg.get_seg_id()
        if seg_id in _ENVELOPE:
            run.envelope_ids[last_line] = seg_id
            if seg_id == "GS":
                gs08 = seg.get_value("GS08") or ""
                if gs08 not in run.guides:
                    run.guides.append(gs08)

    with _captured_pyx12_logs() as capture:
        try:
            with open(path, encoding="ascii") as src:
                run.result = bool(
                    pyx12.x12n_document.x12n_document(
                        param=pyx12.params.ParamsBase(),  # defaults only: no ~/.pyx12.conf.xml in the result
                        src_file=src,
                        fd_997=run.fd_999,
                        fd_html=None,
                        fd_json=run.fd_json,
                        callback=on_segment,
                    )
                )
        except Exception as exc:  # a pyx12 bug must not sink a batch; the type is enough to reproduce it
            run.crashed = True
            run.findings.append(_exception_finding(exc, path, name, last_line + 1))
    run.records = capture.records
    return run


def _exception_finding(exc: Exception, path: Path, name: str, ordinal: int) -> Finding:
    if isinstance(exc, UnicodeDecodeError):
        return _non_ascii_finding(path, name)
    if isinstance(exc, pyx12.errors.EngineError):
        text = str(exc)
        m = _MAP_NOT_FOUND_RE.search(text)
        if text.startswith("Map not found") and m:
            icvn, fic, vriic = m.groups()
            msg = f"pyx12 has no map for guide {vriic} (GS01 {fic}, ISA12 {icvn}); its maps include {_SHIPPED}"
            return Finding("no-map", msg, Position(name, ordinal, 0, "GS", "GS08"))
        return Finding("engine", f"pyx12 stopped: {text[:200]}", Position(name, ordinal, 0))
    if isinstance(exc, OSError):
        return Finding("unreadable", f"cannot read the file: {exc.strerror or type(exc).__name__}", Position(name))
    return Finding("pyx12-crash", f"pyx12 raised {type(exc).__name__} while validating", Position(name, ordinal, 0))


def _read_log(run: _Pyx12Run, name: str) -> tuple[list[tuple[str, int | None, str, str]], bool, bool]:
    """The error records pyx12 logged (kind, line, code, rest), whether its 999 failed, whether it called the
    file not X12; other ERROR records become warnings."""
    ack_failed = not_x12 = False
    logged_errors: list[tuple[str, int | None, str, str]] = []
    for rec in run.records:
        msg = rec.getMessage()
        if rec.name == "pyx12.error_handler":
            m = _LOG_RE.search(msg)
            if m:
                line, kind, code, rest = m.groups()
                logged_errors.append((kind, int(line) if line else None, code, rest))
                continue
        if "does not look like an X12 data file" in msg:
            not_x12 = True
        elif msg.startswith(("Failed to create 999", "Failed to create 997")):
            ack_failed = True
        elif msg.startswith("Source file line") or msg.startswith("Failed to write JSON"):
            pass  # the exception itself is reported above / the log records carry the errors
        elif rec.levelno >= logging.ERROR:
            run.findings.append(Finding("pyx12-log", msg.splitlines()[0][:200], Position(name), "warning"))
    return logged_errors, ack_failed, not_x12


def _error_findings(run: _Pyx12Run, logged_errors, path: Path, name: str) -> list[Finding]:
    """pyx12's errors as findings: each log record matched to its JSON entry (segment id, element), then the
    JSON entries the log did not carry (the host disabled logging)."""
    try:
        tree = json.loads(run.fd_json.getvalue()) if run.fd_json.getvalue() else {}
    except ValueError:
        tree = {}
    pending = _json_errors(tree)
    matched = [
        (kind, line, code, rest, _match(pending, kind, code, line, rest)) for kind, line, code, rest in logged_errors
    ]
    # Unmatched records (ISA/GS/ST element errors; everything when pyx12 crashed before writing its JSON):
    # the segment id comes from the ordinal.
    unknown = {line for _, line, _, _, hit in matched if hit is None and line and line not in run.envelope_ids}
    ids = {**run.envelope_ids, **(_segment_ids(path, unknown) if unknown else {})}
    out: list[Finding] = []
    for kind, line, code, rest, hit in matched:
        if hit:
            text, value = hit.text, hit.value
            seg_id = hit.seg_id if kind in ("SEG", "ELE") else ids.get(line or 0, hit.seg_id)
            element = hit.element
        else:
            text, value = _split_logged_value(rest) if kind in ("ELE", "SEG") else (rest, None)
            seg_id = ids.get(line or 0, "")
            element = _element_from_text(text) if kind == "ELE" else ""
        ordinal = line if line is not None else (hit.line if hit else 0)
        rule = f"{_RULE_PREFIX[kind]}-{code}"
        out.append(Finding(rule, _scrub(kind, code, text, value), Position(name, ordinal, 0, seg_id, element)))
    for e in pending:
        if not e.used:
            position = Position(name, e.line, 0, e.seg_id, e.element)
            out.append(Finding(f"{_RULE_PREFIX[e.kind]}-{e.code}", _scrub(e.kind, e.code, e.text, e.value), position))
    return out
