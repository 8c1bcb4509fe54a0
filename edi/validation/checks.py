"""The project's own checks of a file, beside the guide: the envelope layout and its findings, duplicate
control numbers, 835 balancing (B1-B3, CLP05) and 837 COB balancing (B4-B7, L2-L4)."""

from __future__ import annotations

import re
from array import array
from pathlib import Path

from parsers.envelope import EnvelopeWalker, element
from parsers.errors import Finding, X12Error
from parsers.read835 import Reader835
from parsers.read837 import Reader837
from parsers.syntax import Tokenizer
from rules.balance import check_cob_balance
from rules.msp import missing_msp

from .plain import PLAIN, explain
from .verdict import FileVerdict, GroupInfo, InterchangeInfo, Issue, SetInfo, issue_from

_ENVELOPE_RULES = frozenset(
    {
        "SE01",
        "SE02",
        "GE01",
        "GE02",
        "IEA01",
        "IEA02",
        "ISA-width",
        "ISA11",
        "envelope",
        "no-envelope",
        "trailing-data",
    }
)


def structure(path: Path, name: str, verdict: FileVerdict) -> array:
    """Our own pass: envelope layout, per-segment byte offsets, envelope findings, X12 errors."""
    offsets = array("Q")
    walker = EnvelopeWalker(Tokenizer.open(path, name))
    tok = walker.tokenizer
    isa: InterchangeInfo | None = None
    gs: GroupInfo | None = None
    try:
        for seg in walker:
            offsets.append(tok.offset)
            tag, ordinal = seg[0], tok.ordinal
            if tag == "ST":
                if not verdict.kind:
                    verdict.kind = element(seg, 1)
                st = SetInfo(element(seg, 1), element(seg, 2), element(seg, 3) or (gs.version if gs else ""), ordinal)
                if gs is not None:
                    gs.sets.append(st)
            elif tag == "SE":
                if gs is not None and gs.sets:
                    gs.sets[-1].end = ordinal
            elif tag == "ISA":
                isa = InterchangeInfo(seg, ordinal, tok.offset)
                verdict.interchanges.append(isa)
            elif tag == "GS":
                gs = GroupInfo(
                    element(seg, 1),
                    element(seg, 6),
                    element(seg, 8),
                    element(seg, 2),
                    element(seg, 3),
                    ordinal,
                )
                if isa is not None:
                    isa.groups.append(gs)
            elif tag == "GE":
                if gs is not None:
                    gs.end, gs.ge01 = ordinal, element(seg, 1)
                gs = None
            elif tag == "IEA":
                if isa is not None:
                    isa.end = ordinal
                isa = None
    except X12Error as exc:
        verdict.unreadable = True
        verdict.issues.append(issue_from(Finding("unreadable", exc.message, exc.position), "read", name))
    finally:
        tok.stream.close()
    if verdict.kind not in ("835", "837"):
        verdict.issues.extend(issue_from(f, "envelope", name) for f in walker.findings)
    return offsets


def duplicates_in_file(verdict: FileVerdict, name: str) -> None:
    """Duplicate GS06 within an interchange and ST02 within a group."""
    for isa in verdict.interchanges:
        seen: dict[str, int] = {}
        for gs in isa.groups:
            if gs.control_number in seen:
                verdict.issues.append(
                    Issue(
                        name,
                        "duplicate-GS06",
                        "error",
                        f"GS06 {gs.control_number!r} was already used by the group at "
                        f"segment {seen[gs.control_number]} of this interchange",
                        PLAIN["duplicate-GS06"],
                        "duplicate",
                        gs.start,
                        0,
                        "GS",
                        "GS06",
                        ["duplicate-GS06", "AK905-19"],
                    )
                )
            seen.setdefault(gs.control_number, gs.start)
            sets: dict[str, int] = {}
            for st in gs.sets:
                if st.control_number in sets:
                    verdict.issues.append(
                        Issue(
                            name,
                            "duplicate-ST02",
                            "error",
                            f"ST02 {st.control_number!r} was already used by the "
                            f"transaction at segment {sets[st.control_number]} of this group",
                            PLAIN["duplicate-ST02"],
                            "duplicate",
                            st.start,
                            0,
                            "ST",
                            "ST02",
                            ["duplicate-ST02", "IK502-23"],
                        )
                    )
                sets.setdefault(st.control_number, st.start)


def _unreadable_value(verdict: FileVerdict, exc: X12Error, name: str) -> None:
    """An X12Error of a reader: the structure pass (same tokenizer) reported it already, unless it is about a
    value (an amount that is not X12 R) the structure pass does not read: then it is reported here."""
    if any(i.rule == "unreadable" for i in verdict.issues):
        return
    verdict.unreadable = True
    verdict.issues.append(issue_from(Finding("unreadable", exc.message, exc.position), "read", name))


def read_835_checks(path: Path, name: str, verdict: FileVerdict) -> None:
    """The 835 reader over the file: its claims counted, its balancing and envelope findings."""
    reader = Reader835(Tokenizer.open(path, name))
    try:
        for _ in reader.claims():
            verdict.claims += 1
    except X12Error as exc:
        _unreadable_value(verdict, exc, name)
    finally:
        reader.tokenizer.stream.close()
    for f in reader.findings:
        verdict.issues.append(issue_from(f, "envelope" if f.rule in _ENVELOPE_RULES else "balance", name))


_LINE_RE = re.compile(r"\bline (\S+)")
_PAYER_RE = re.compile(r"\bpayer '([^']*)'")


def read_837_checks(path: Path, name: str, verdict: FileVerdict) -> None:
    """The 837 reader over the file: its claims counted, COB balancing (B4-B6, L2-L4) on each."""
    reader = Reader837(Tokenizer.open(path, name))
    try:
        for claim in reader.claims():
            verdict.claims += 1
            for problem in check_cob_balance(claim):
                rule, _, text = problem.partition(": ")
                if rule == "B7":
                    continue  # the reader reports it, positioned at the CLM
                verdict.issues.append(_cobissue_from(claim, rule, text, name))
            msp = missing_msp(claim)  # Medicare as a later payer needs its MSP type (rules.msp)
            if msp:
                verdict.issues.append(_cobissue_from(claim, "MSP", msp, name))
    except X12Error as exc:
        _unreadable_value(verdict, exc, name)
    except (ValueError, ArithmeticError) as exc:  # an amount our models cannot read: reported, never raised
        verdict.issues.append(
            Issue(
                name,
                "amount",
                "error",
                f"an amount could not be read ({type(exc).__name__})",
                PLAIN["amount"],
                "balance",
                reader.tokenizer.ordinal,
                reader.tokenizer.offset,
                reader.tokenizer.segment_id,
            )
        )
    finally:
        reader.tokenizer.stream.close()
    for f in reader.findings:
        verdict.issues.append(issue_from(f, "envelope" if f.rule in _ENVELOPE_RULES else "balance", name))


def _cobissue_from(claim, rule: str, text: str, name: str) -> Issue:
    """A COB balancing problem, placed at the line (LX) or the prior payer (SBR) it is about, else the CLM."""
    pos = claim.position
    m = _LINE_RE.search(text)
    if m and rule in ("B4", "L2", "L3", "SVD02"):
        pos = next((ln.position for ln in claim.lines if ln.number == m.group(1)), pos)
    else:
        m = _PAYER_RE.search(text)
        if m:
            pos = next((p.position for p in claim.other_payers if p.payer_id == m.group(1)), pos)
    return Issue(
        name,
        rule,
        "error",
        f"claim at segment {claim.position.segment}: {text}",
        explain(rule),
        "balance",
        pos.segment,
        pos.offset,
        pos.segment_id,
        "",
    )


def duplicate_interchanges(verdicts: list[FileVerdict], across_files_only: bool = False) -> None:
    """duplicate-ISA13 at every interchange whose (sender, receiver, ISA13) an earlier one used."""
    seen: dict[tuple, tuple[str, int]] = {}
    for v in verdicts:
        for isa in v.interchanges:
            key = (*isa.parties, isa.control_number)
            if key in seen and not (across_files_only and seen[key][0] == v.file):
                first_file, first_segment = seen[key]
                where = "this file" if first_file == v.file else first_file
                v.issues.append(
                    Issue(
                        v.file,
                        "duplicate-ISA13",
                        "error",
                        f"ISA13 {isa.control_number!r} from {isa.parties[1]!r} to {isa.parties[3]!r} "
                        "was already "
                        f"used by the interchange at segment {first_segment} of {where}",
                        PLAIN["duplicate-ISA13"],
                        "duplicate",
                        isa.start,
                        isa.offset,
                        "ISA",
                        "ISA13",
                        ["duplicate-ISA13", "TA105-025"],
                    )
                )
                v.issues.sort(key=lambda i: (i.segment, i.source != "read"))
            else:
                seen.setdefault(key, (v.file, isa.start))
