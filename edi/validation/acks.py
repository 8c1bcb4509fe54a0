"""Acknowledgments planned from a verdict: a 999 (005010X231A1) for each 837 functional group of an
interchange that is not rejected, a TA1 when the envelope is bad or ISA14=1 asks for one.

Built from the guide findings only (our balancing rules are business edits, not 999 material; duplicate
GS06/ST02 are, as AK905 19 and IK502 23). No 999 is written for an 835: providers are not required to
acknowledge an 835 (HHS adopted CORE 350 for the 835 without its requirement 4.2, the 999 for 835s: 45 CFR
162.1603(a)(6)), and no payer we send to expects one. No 999 is written when the guide could not be checked
(no map for its guide, not readable by pyx12): a 999 saying "accepted" would be a claim we did not verify.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pyx12

from edi.files import write_atomic
from writers.ack import TA1, ElementError, GroupAck, InterchangeAck, SegmentError, SetAck, render_999, render_ta1
from writers.x12 import InterchangeParties

from .verdict import FileVerdict, GroupInfo, InterchangeInfo, SetInfo

# Which TA105 note / AK905 / IK502 code an error in an envelope element stands for (as pyx12's own 999 maps
# them), by element position.
_ISA_NOTE = {
    1: "010",
    2: "011",
    3: "012",
    4: "013",
    5: "005",
    6: "006",
    7: "007",
    8: "008",
    9: "014",
    10: "015",
    11: "016",
    12: "017",
    13: "018",
    14: "019",
    15: "020",
    16: "027",
}
_IEA_NOTE = {1: "021", 2: "018"}
_OUR_NOTE = {"IEA02": "001", "IEA01": "021", "duplicate-ISA13": "025"}
_GS_CODE = {6: "6", 8: "2"}
_ST_CODE = {1: "6", 2: "7"}
_IK304_CODES = frozenset("1 2 3 4 5 6 7 8 I4 I6 I7 I8 I9".split())
_ELEMENT_RE = re.compile(r"(\d{2})(?:-(\d+))?\Z")
_CODE_VALUE_RE = re.compile(r"\A\(([^()]{1,30})\) is not a valid code")


def _element_position(ref: str) -> tuple[int, int | None]:
    m = _ELEMENT_RE.search(ref)
    if not m:
        return 0, None
    return int(m.group(1)), int(m.group(2)) if m.group(2) else None


@functools.lru_cache(maxsize=8)
def _data_element_refs(guide: str) -> dict[str, str]:
    """Element xid ("SV103") -> data element reference number ("355"), from pyx12's map of `guide`."""
    base = Path(pyx12.__file__).parent / "map"
    try:
        index = (base / "maps.xml").read_text(encoding="utf-8")
        m = re.search(rf'<map vriic="{re.escape(guide)}"[^>]*>([^<]+)</map>', index)
        text = (base / m.group(1).strip()).read_text(encoding="utf-8") if m else ""
    except OSError:
        return {}
    refs: dict[str, str] = {}
    for xid, ele in re.findall(r'<element xid="(\w+)">.*?<data_ele>(\w+)</data_ele>', text, re.S):
        refs.setdefault(xid, ele)
    return refs


def _parties(isa: InterchangeInfo, gs: GroupInfo | None):
    """Who an acknowledgment goes to: the inbound interchange's sender, from its receiver (swapped)."""
    usage = isa.field(15) if isa.field(15) in ("P", "T") else "P"
    return InterchangeParties(
        sender_qualifier=isa.field(7).strip() or "ZZ",
        sender_id=isa.field(8).strip(),
        receiver_qualifier=isa.field(5).strip() or "ZZ",
        receiver_id=isa.field(6).strip(),
        group_sender=gs.receiver if gs else isa.field(8).strip(),
        group_receiver=gs.sender if gs else isa.field(6).strip(),
        usage=usage,
    )


def plan_acks(verdict: FileVerdict) -> tuple[list[InterchangeAck], list[TA1]]:
    """(999s per inbound interchange, TA1s) that `verdict` calls for; the rules: the module docstring."""
    acks: list[InterchangeAck] = []
    ta1s: list[TA1] = []
    for isa in verdict.interchanges:
        first_gs = isa.groups[0] if isa.groups else None
        notes = _interchange_notes(verdict, isa)
        if notes:
            ta1s.append(TA1(isa.control_number, isa.field(9), isa.field(10), "R", notes[0], _parties(isa, first_gs)))
            continue  # a rejected interchange is not opened: no 999 for its groups
        if isa.field(14) == "1":
            ta1s.append(TA1(isa.control_number, isa.field(9), isa.field(10), "A", "000", _parties(isa, first_gs)))
        if not verdict.guide_checked or verdict.unreadable:
            continue
        ack = InterchangeAck(_parties(isa, first_gs))
        ack.groups = [_group_ack(verdict, gs) for gs in isa.groups if gs.functional_id == "HC"]
        if ack.groups:
            acks.append(ack)
    return acks, ta1s


def _interchange_notes(verdict: FileVerdict, isa: InterchangeInfo) -> list[str]:
    """The TA105 note codes of what is wrong with an interchange's envelope (none: it is not rejected)."""
    end = isa.end or sys.maxsize
    notes: list[str] = []
    for f in verdict.guide_findings:
        if not isa.start <= f.position.segment <= end:
            continue
        seg_id = f.position.segment_id
        if f.rule.startswith("TA105-"):
            notes.append(f.rule[6:])
        elif seg_id in ("ISA", "IEA") and f.rule.startswith("IK403-"):
            pos, _ = _element_position(f.position.element)
            notes.append((_ISA_NOTE if seg_id == "ISA" else _IEA_NOTE).get(pos, "024"))
    for issue in verdict.issues:
        if issue.rule in _OUR_NOTE and isa.start <= issue.segment <= end:
            notes.append(_OUR_NOTE[issue.rule])
        elif issue.rule == "unreadable" and issue.segment >= isa.start and not isa.end:
            notes.append("023")  # the file ends inside this interchange
    return sorted(dict.fromkeys(notes), key=lambda n: n == "025")  # say what is wrong inside it first


def _group_ack(verdict: FileVerdict, gs: GroupInfo) -> GroupAck:
    """AK1..AK9 of one functional group: its own errors (AK905) and one AK2..IK5 per transaction set."""
    g_end = gs.end or sys.maxsize
    group = GroupAck(
        gs.functional_id, gs.control_number, gs.version, included=int(gs.ge01) if gs.ge01.isdigit() else None
    )
    for f in verdict.guide_findings:
        o, seg_id = f.position.segment, f.position.segment_id
        if not gs.start <= o <= g_end:
            continue
        if f.rule.startswith("AK905-") and not any(st.start <= o <= (st.end or g_end) for st in gs.sets):
            group.codes.append(f.rule[6:])
        elif seg_id in ("GS", "GE") and f.rule.startswith("IK403-"):
            group.codes.append(_GS_CODE.get(_element_position(f.position.element)[0], "1"))
    group.codes += ["19" for i in verdict.issues if i.rule == "duplicate-GS06" and i.segment == gs.start]
    refs = _data_element_refs(gs.version)
    group.sets = [_set_ack(verdict, st, st.end or g_end, refs) for st in gs.sets]
    return group


def _set_ack(verdict: FileVerdict, st: SetInfo, s_end: int, refs: dict[str, str]) -> SetAck:
    """AK2, IK3/IK4 per segment in error, IK5 of one transaction set."""
    s = SetAck(st.set_id, st.control_number, st.guide)
    s.codes += ["23" for i in verdict.issues if i.rule == "duplicate-ST02" and i.segment == st.start]
    by_segment: dict[tuple[int, str], SegmentError] = {}
    for f in verdict.guide_findings:
        o, seg_id, rule = f.position.segment, f.position.segment_id, f.rule
        if not st.start <= o <= s_end:
            continue
        if rule.startswith("IK502-"):
            s.codes.append(rule[6:])
        elif seg_id in ("ST", "SE") and rule.startswith("IK403-"):
            s.codes.append(_ST_CODE.get(_element_position(f.position.element)[0], "5"))
        elif rule.startswith(("IK304-", "IK403-")):
            err = by_segment.setdefault((o, seg_id), SegmentError(seg_id, o - st.start + 1))
            code = rule[6:]
            if rule.startswith("IK304-"):
                code = "8" if code == "SEG1" else code  # as pyx12's 999 does; HL1/HL2/LX
                if code in _IK304_CODES:  # are pyx12's own: the set is rejected, no IK3 code
                    err.codes.append(code)
            else:
                pos, comp = _element_position(f.position.element)
                m = _CODE_VALUE_RE.match(f.message) if code == "7" else None
                element_ref = refs.get(f.position.element.split("-")[0], "")
                err.elements.append(ElementError(pos, code, comp, None, element_ref, m.group(1) if m else ""))
    s.segment_errors = list(by_segment.values())
    return s


def render_acks(
    verdict: FileVerdict, next_number: Callable[[], int], when: datetime | None = None
) -> list[tuple[str, str]]:
    """The acknowledgments `verdict` calls for, rendered: [(".ta1", text), (".999", text)], either or both
    or none. `edi validate --ack` writes them (`write_acks`); `edi batch` / `edi watch` put them in their
    outbox."""
    when = when or datetime.now()
    acks, ta1s = plan_acks(verdict)
    out = []
    if ta1s:
        out.append((".ta1", render_ta1(ta1s, next_number, when)))
    if acks:
        out.append((".999", render_999(acks, next_number, when)))
    return out


def write_acks(
    verdict: FileVerdict,
    out_dir: str | Path,
    next_number: Callable[[], int],
    when: datetime | None = None,
    taken: set[str] | None = None,
) -> list[Path]:
    """Write `<file name>.999` and/or `<file name>.ta1` into `out_dir` atomically; the paths written.

    `taken` holds the real paths already written in this run and those of the inputs: a name in it (two
    inputs of the same name from different folders, or an ack that would overwrite an input) gets
    `<file name>.<12 hex digits of its path's SHA-256><suffix>` instead, so no acknowledgment replaces another."""
    written = []
    base = Path(verdict.file).name
    for suffix, text in render_acks(verdict, next_number, when):
        path = Path(out_dir) / f"{base}{suffix}"
        if taken is not None:
            if os.path.realpath(path) in taken:
                tag = hashlib.sha256(os.path.realpath(verdict.file).encode()).hexdigest()[:12]
                path = Path(out_dir) / f"{base}.{tag}{suffix}"
            taken.add(os.path.realpath(path))
        write_atomic(path, text)
        written.append(path)
    return written
