"""`edi validate`: guide validation (pyx12) plus the project's own checks, in words a biller understands.

For each file, `validate_file` gathers:

- guide findings: pyx12 against the TR3 map of the file's GS08 (`edi.validation`), rules named by the
  acknowledgment code they stand for ("IK403-7": element error, invalid code value);
- envelope findings of our own reader (SE01/SE02, GE01/GE02, IEA01/IEA02, ISA width ...), which repeat some
  of pyx12's: a pyx12 finding that says the same thing as ours at the same envelope is folded into ours
  (ours carries the trailer's position and byte offset), keeping pyx12's code in `codes`;
- balancing: 835 B1–B3 and CLP05 (`parsers.read835`), 837 B7 (`parsers.read837`) and, per claim, COB
  balancing B4–B6 and L2–L4 (`rules.balance.check_cob_balance`);
- duplicate control numbers: GS06 within an interchange, ST02 within a group, and (in `validate_files`)
  ISA13 for the same sender and receiver across every file given.

Each finding names the file, the segment ordinal and byte offset, the segment id, the element, a severity,
and a plain explanation from `PLAIN` (one line a biller can act on). pyx12 positions carry no byte offset;
they take it from our own tokenizer pass, which numbers segments the same way (ISA = 1).

Acknowledgments (`plan_acks` / `write_acks`): a 999 (005010X231A1) for each 837 functional group of an
interchange that is not rejected, built from the guide findings only (our balancing rules are business
edits, not 999 material; duplicate GS06/ST02 are, as AK905 19 and IK502 23); a TA1 when the envelope itself
is bad (R with the TA105 note code) or when ISA14=1 asks for one (A, 000). No 999 is written for an 835:
providers are not required to acknowledge an 835 (HHS adopted CORE 350 for the 835 without its
requirement 4.2, the 999 for 835s: 45 CFR 162.1603(a)(6)), and no payer we send to expects one. No 999 is
written when pyx12 could not check the file (no map for its guide, not readable by pyx12): a 999 saying
"accepted" would be a claim we did not verify.

`outbound_gate(text, name)` runs the same checks on a file we are about to publish.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import re
import sys
import tempfile
import time
from array import array
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import click

from parsers.envelope import EnvelopeWalker, element
from parsers.errors import Finding, Position, X12Error
from parsers.syntax import Tokenizer

from .exits import EXIT_OK, EXIT_REVIEW, EXIT_UNREADABLE
from .options import STATE

__all__ = [
    "PLAIN",
    "explain",
    "Issue",
    "FileVerdict",
    "validate_file",
    "validate_files",
    "outbound_gate",
    "validate_text",
    "plan_acks",
    "render_acks",
    "write_acks",
    "render_text",
    "validate",
]

# ------------------------------------------------------------------------------------------ plain words
#: Rule or acknowledgment code -> one line a biller understands. pyx12 codes are "<ack element>-<code>":
#: IK304 (segment), IK403 (element), IK502 (transaction set), AK905 (functional group), TA105 (interchange).
PLAIN: dict[str, str] = {
    # segment errors (999 IK304)
    "IK304-1": "a segment the guide does not know (misspelt or garbled segment id)",
    "IK304-2": "a segment that is not expected at this point of the claim",
    "IK304-3": "a required segment is missing",
    "IK304-4": "a loop repeats more times than the guide allows",
    "IK304-5": "a segment repeats more times than the guide allows",
    "IK304-6": "a segment that does not belong in this kind of transaction",
    "IK304-7": "a segment is out of order",
    "IK304-8": "a segment has errors in its fields",
    "IK304-I4": "a segment the guide marks 'not used' is present",
    "IK304-I6": "a segment the guide requires in this situation is missing",
    "IK304-I7": "a loop occurs fewer times than the guide requires",
    "IK304-I8": "a segment occurs fewer times than the guide requires",
    "IK304-I9": "a segment the guide says must not be sent in this situation is present",
    "IK304-SEG1": "a segment ends with empty fields (trailing separators)",
    "IK304-HL1": "the hierarchy level numbers (HL01) do not count up 1, 2, 3 ...",
    "IK304-HL2": "a hierarchy level names a parent (HL02) that does not exist",
    "IK304-LX": "the service line numbers (LX01) do not count up 1, 2, 3 ... within the claim",
    # element errors (999 IK403)
    "IK403-1": "a required field is empty",
    "IK403-2": "a field required by another field's value is empty",
    "IK403-3": "the segment has more fields than allowed",
    "IK403-4": "a field is too short",
    "IK403-5": "a field is too long",
    "IK403-6": "a field contains a character that is not allowed",
    "IK403-7": "a code that is not allowed here",
    "IK403-8": "a date that is not a valid date",
    "IK403-9": "a time that is not a valid time",
    "IK403-10": "two fields are filled that must not both be",
    "IK403-12": "a field repeats more times than allowed",
    "IK403-13": "a field has more parts (components) than allowed",
    "IK403-I6": "a code that is valid in X12 but not allowed by this guide",
    "IK403-I9": "a field the guide requires in this situation is empty",
    "IK403-I10": "a field the guide marks 'not used' is filled",
    "IK403-I11": "a field repeats fewer times than the guide requires",
    "IK403-I12": "a field does not match the format the guide requires",
    "IK403-I13": "a field the guide says must be empty in this situation is filled",
    # transaction set errors (999 IK5)
    "IK502-1": "this kind of transaction is not supported",
    "IK502-2": "the transaction has no SE trailer",
    "IK502-3": "the transaction's control number differs between ST and SE",
    "IK502-4": "the segment count in SE does not match the transaction",
    "IK502-5": "one or more segments of the transaction are in error",
    "IK502-6": "the transaction set id (ST01) is missing or invalid",
    "IK502-7": "the transaction control number (ST02) is missing or invalid",
    "IK502-18": "a transaction outside a functional group",
    "IK502-19": "the guide named in ST03 is not a valid one",
    "IK502-23": "the transaction control number is used twice in the same group",
    "IK502-I5": "one or more segments of the transaction break the guide's rules",
    "IK502-I6": "the guide named in ST03 is not supported",
    # functional group errors (999 AK9)
    "AK905-1": "this kind of functional group is not supported",
    "AK905-2": "the guide version in GS08 is not supported",
    "AK905-3": "the functional group has no GE trailer",
    "AK905-4": "the group control number differs between GS and GE",
    "AK905-5": "the transaction count in GE does not match the group",
    "AK905-6": "the group control number is missing or invalid",
    "AK905-19": "the group control number is used twice in the same interchange",
    # interchange errors (TA1 TA105)
    "TA105-000": "no error",
    "TA105-001": "the interchange control number differs between ISA and IEA",
    "TA105-002": "the interchange standard is not supported",
    "TA105-003": "the interchange version is not supported",
    "TA105-004": "the segment terminator is invalid",
    "TA105-005": "the sender id qualifier (ISA05) is invalid",
    "TA105-006": "the sender id (ISA06) is invalid",
    "TA105-007": "the receiver id qualifier (ISA07) is invalid",
    "TA105-008": "the receiver id (ISA08) is invalid",
    "TA105-009": "the receiver id is unknown to us",
    "TA105-010": "the authorization qualifier (ISA01) is invalid",
    "TA105-011": "the authorization information (ISA02) is invalid",
    "TA105-012": "the security qualifier (ISA03) is invalid",
    "TA105-013": "the security information (ISA04) is invalid",
    "TA105-014": "the interchange date (ISA09) is invalid",
    "TA105-015": "the interchange time (ISA10) is invalid",
    "TA105-016": "the repetition separator / standards id (ISA11) is invalid",
    "TA105-017": "the interchange version (ISA12) is invalid",
    "TA105-018": "the interchange control number (ISA13) is invalid",
    "TA105-019": "the acknowledgment-requested flag (ISA14) is invalid",
    "TA105-020": "the test/production flag (ISA15) is invalid",
    "TA105-021": "the group count in IEA does not match the interchange",
    "TA105-022": "the interchange's envelope structure is invalid",
    "TA105-023": "the file ends before the interchange does",
    "TA105-024": "the interchange content is invalid",
    "TA105-025": "the interchange control number was already used for this sender and receiver",
    "TA105-026": "the element separator is invalid",
    "TA105-027": "the component separator (ISA16) is invalid",
    # our envelope checks
    "SE01": "the segment count in SE does not match the transaction",
    "SE02": "the transaction's control number differs between ST and SE",
    "GE01": "the transaction count in GE does not match the group",
    "GE02": "the group control number differs between GS and GE",
    "IEA01": "the group count in IEA does not match the interchange",
    "IEA02": "the interchange control number differs between ISA and IEA",
    "ISA-width": "the ISA header is not the fixed 106 characters (fields must be padded with spaces)",
    "ISA11": "the ISA header has no repetition separator, which 5010 requires",
    "envelope": "a segment stands outside the envelope it belongs to",
    "no-envelope": "the file has no ISA/GS envelope",
    "trailing-data": "data after the end of the last interchange was ignored",
    "duplicate-ISA13": "the interchange control number was already used for this sender and receiver",
    "duplicate-GS06": "the group control number is used twice in the same interchange",
    "duplicate-ST02": "the transaction control number is used twice in the same group",
    # balancing and COB (COB-REFERENCE quick rules card)
    "B1": "a service line's payment does not add up (charge minus adjustments should equal paid)",
    "B2": "a claim's payment does not add up (charge minus adjustments should equal paid)",
    "B3": "the payment total does not add up (BPR02 should be the claims paid minus provider adjustments)",
    "CLP05": "the patient responsibility does not match the PR adjustments",
    "B4": "a line's prior-payer adjudication does not add up to the line charge (paid + adjustments)",
    "B5": "the claim charge does not equal the prior payer's paid amount plus all its adjustments",
    "B6": "the prior payer's paid amount (AMT*D) does not equal its line payments minus claim adjustments",
    "B7": "the claim total charge does not equal the sum of its line charges",
    "L2": "a line adjudication names a payer that is not listed as a prior payer (SVD01 vs 2330B NM109)",
    "L3": "the prior payer's adjudication date (DTP*573) is missing or given at both claim and line level",
    "L4": "the remaining patient liability (AMT*EAF) is given at both claim and line level",
    "AMT*D": "a prior payer has adjudication data but no paid amount (AMT*D)",
    "SVD02": "a line's prior-payer paid amount is negative",
    "amount": "an amount is negative or not a number",
    "missing-amount": "a required amount is empty",
    "CAS01": "an adjustment group code is not CO, OA, PI or PR",
    "PLB-reason": "a provider-level adjustment reason code is not a valid one",
    "composite-separator": "a composite field uses a separator other than the file's",
    "unknown-segment": "a segment our reader did not expect at this point (kept, not interpreted)",
    "empty-hl": "a billing provider or subscriber level has no claim under it",
    "HL02": "a hierarchy level names a parent level that is not open",
    "not-837": "a transaction that is not an 837 was skipped",
    # reading and pyx12 problems
    "unreadable": "the file cannot be read as X12 (not X12, cut short, or missing)",
    "encoding": "the file contains a character outside plain ASCII",
    "not-x12": "the guide validator cannot read the interchange header",
    "no-map": "the file's guide version cannot be checked: the validator has no map for it",
    "engine": "the guide validator stopped on this file",
    "pyx12-crash": "the guide validator failed on this file",
    "pyx12-log": "the guide validator reported a problem without a position",
    "invalid": "the guide validator rejected the file without naming an error",
    "no-groups": "an interchange with no functional group (an acknowledgment only) was checked by us only",
}

_PREFIX_WORDS = {
    "IK304": "a segment error",
    "IK403": "a field error",
    "IK502": "a transaction error",
    "AK905": "a functional group error",
    "TA105": "an interchange error",
}


def explain(rule: str) -> str:
    """The plain explanation of a rule code; a generic one by kind for codes the table does not hold."""
    if rule in PLAIN:
        return PLAIN[rule]
    prefix = rule.split("-", 1)[0]
    if prefix in _PREFIX_WORDS:
        return _PREFIX_WORDS[prefix] + " (see the message)"
    return "see the message"


# ------------------------------------------------------------------------------------------ data
@dataclass(slots=True)
class Issue:
    """One finding, positioned, with where it came from ("guide", "envelope", "balance", "duplicate",
    "read") and its plain explanation. `codes` lists every rule code that says the same thing."""

    file: str
    rule: str
    severity: str
    message: str
    explanation: str
    source: str
    segment: int = 0
    offset: int = 0
    segment_id: str = ""
    element: str = ""
    codes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(slots=True)
class SetInfo:
    set_id: str
    control_number: str
    guide: str
    start: int  # ST ordinal
    end: int = 0  # SE ordinal


@dataclass(slots=True)
class GroupInfo:
    functional_id: str
    control_number: str
    version: str
    sender: str
    receiver: str
    start: int
    end: int = 0
    ge01: str = ""
    sets: list[SetInfo] = field(default_factory=list)


@dataclass(slots=True)
class InterchangeInfo:
    isa: list[str]
    start: int
    offset: int
    end: int = 0
    groups: list[GroupInfo] = field(default_factory=list)

    def field(self, n: int) -> str:
        return element(self.isa, n)

    @property
    def control_number(self) -> str:
        return self.field(13)

    @property
    def parties(self) -> tuple[str, str, str, str]:
        return tuple(self.field(i).strip() for i in (5, 6, 7, 8))  # type: ignore[return-value]


@dataclass(slots=True)
class FileVerdict:
    """Everything `edi validate` says about one file."""

    file: str
    kind: str = ""  # first ST01: "835", "837", "999" ...; "" when none
    guide: str = ""
    claims: int = 0
    unreadable: bool = False
    issues: list[Issue] = field(default_factory=list)
    interchanges: list[InterchangeInfo] = field(default_factory=list)
    guide_checked: bool = False  # pyx12 ran to the end with a map (a 999 can be trusted)
    guide_findings: list[Finding] = field(default_factory=list)  # pyx12's, unfolded: what the 999 answers
    seconds: float = 0.0

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.unreadable and not self.errors

    @property
    def findings(self) -> list[Issue]:  # GuideValidation-like
        return self.issues

    @property
    def exit_code(self) -> int:
        return EXIT_UNREADABLE if self.unreadable else EXIT_REVIEW if self.errors else EXIT_OK

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "transaction_set": self.kind,
            "guide": self.guide,
            "claims": self.claims,
            "verdict": (
                "unreadable" if self.unreadable else "errors" if self.errors else "warnings" if self.issues else "clean"
            ),
            "exit_code": self.exit_code,
            "guide_checked": self.guide_checked,
            "errors": len(self.errors),
            "warnings": len(self.issues) - len(self.errors),
            "findings": [i.as_dict() for i in self.issues],
        }


# ------------------------------------------------------------------------------------------ checks
def _issue(f: Finding, source: str, name: str, codes: list[str] | None = None) -> Issue:
    p = f.position
    return Issue(
        name,
        f.rule,
        f.severity,
        f.message,
        explain(f.rule),
        source,
        p.segment,
        p.offset,
        p.segment_id,
        p.element,
        codes if codes is not None else [f.rule],
    )


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


def _structure(path: Path, name: str, verdict: FileVerdict) -> array:
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
        verdict.issues.append(_issue(Finding("unreadable", exc.message, exc.position), "read", name))
    finally:
        tok.stream.close()
    if verdict.kind not in ("835", "837"):
        verdict.issues.extend(_issue(f, "envelope", name) for f in walker.findings)
    return offsets


def _duplicates_in_file(verdict: FileVerdict, name: str) -> None:
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


def _read_835(path: Path, name: str, verdict: FileVerdict) -> None:
    from parsers.read835 import Reader835

    reader = Reader835(Tokenizer.open(path, name))
    try:
        for _ in reader.claims():
            verdict.claims += 1
    except X12Error:
        pass  # already reported by the structure pass (same tokenizer, same error)
    finally:
        reader.tokenizer.stream.close()
    for f in reader.findings:
        verdict.issues.append(_issue(f, "envelope" if f.rule in _ENVELOPE_RULES else "balance", name))


_LINE_RE = re.compile(r"\bline (\S+)")
_PAYER_RE = re.compile(r"\bpayer '([^']*)'")


def _read_837(path: Path, name: str, verdict: FileVerdict) -> None:
    from parsers.read837 import Reader837
    from rules.balance import check_cob_balance

    reader = Reader837(Tokenizer.open(path, name))
    try:
        for claim in reader.claims():
            verdict.claims += 1
            for problem in check_cob_balance(claim):
                rule, _, text = problem.partition(": ")
                if rule == "B7":
                    continue  # the reader reports it, positioned at the CLM
                verdict.issues.append(_cob_issue(claim, rule, text, name))
    except X12Error:
        pass
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
        verdict.issues.append(_issue(f, "envelope" if f.rule in _ENVELOPE_RULES else "balance", name))


def _cob_issue(claim, rule: str, text: str, name: str) -> Issue:
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


# pyx12 findings that say what one of our envelope findings says; ours wins (it points at the trailer).
_SAME_AS_OURS = {
    "IK502-4": "SE01",
    "IK502-3": "SE02",
    "AK905-5": "GE01",
    "AK905-4": "GE02",
    "TA105-021": "IEA01",
    "TA105-001": "IEA02",
    "TA105-025": "duplicate-ISA13",
}
_ENGINE_RULES = frozenset({"no-map", "engine", "pyx12-crash", "not-x12", "encoding", "unreadable", "invalid"})


def _enclosing(verdict: FileVerdict, ordinal: int) -> tuple[InterchangeInfo | None, GroupInfo | None, SetInfo | None]:
    for isa in verdict.interchanges:
        if isa.start <= ordinal <= (isa.end or sys.maxsize):
            for gs in isa.groups:
                if gs.start <= ordinal <= (gs.end or sys.maxsize):
                    for st in gs.sets:
                        if st.start <= ordinal <= (st.end or sys.maxsize):
                            return isa, gs, st
                    return isa, gs, None
            return isa, None, None
    return None, None, None


def _guide(path: Path, name: str, verdict: FileVerdict, offsets: array) -> list[Finding]:
    from .validation import validate_guide

    result = validate_guide(path)
    verdict.guide = result.guide
    raw = [
        Finding(
            f.rule,
            f.message,
            Position(
                name,
                f.position.segment,
                offsets[f.position.segment - 1] if 0 < f.position.segment <= len(offsets) else 0,
                f.position.segment_id,
                f.position.element,
            ),
            f.severity,
        )
        for f in result.findings
    ]
    verdict.guide_checked = not any(f.rule in _ENGINE_RULES for f in raw)
    ours = [i for i in verdict.issues if i.source in ("envelope", "duplicate")]
    bare = [isa for isa in verdict.interchanges if not isa.groups]
    if bare:
        # pyx12 maps every interchange to a functional group and cannot check one that holds only TA1s: its
        # "GS_LOOP missing" there is not a fault of the file; our envelope walk checked it.
        def in_bare(o: int) -> bool:
            return any(isa.start <= o <= (isa.end or sys.maxsize) for isa in bare)

        dropped = [f for f in raw if f.rule == "IK304-3" and "GS_LOOP" in f.message and in_bare(f.position.segment)]
        if dropped:
            raw = [f for f in raw if f not in dropped]
            verdict.issues.append(
                Issue(
                    name,
                    "no-groups",
                    "warning",
                    "the interchange holds no functional group "
                    "(a TA1 only); pyx12 cannot check it, our envelope checks did",
                    PLAIN["no-groups"],
                    "guide",
                    bare[0].start,
                    bare[0].offset,
                    "ISA",
                )
            )
    for f in raw:
        twin_rule = _SAME_AS_OURS.get(f.rule)
        twin = None
        if twin_rule:
            isa, gs, st = _enclosing(verdict, f.position.segment)
            anchor = {"SE": st, "GE": gs, "IE": isa, "du": isa}[twin_rule[:2]]
            if anchor is not None:
                at = anchor.start if twin_rule == "duplicate-ISA13" else anchor.end
                twin = next((i for i in ours if i.rule == twin_rule and i.segment == at), None)
        if twin is not None:
            if f.rule not in twin.codes:
                twin.codes.append(f.rule)
            continue
        verdict.issues.append(_issue(f, "guide", name))
    return raw


def validate_file(path: str | Path, name: str | None = None) -> FileVerdict:
    """Every check of `edi validate` on one file. Never raises for what is in the file."""
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
        offsets = _structure(path, name, verdict)
        _duplicates_in_file(verdict, name)
        _duplicate_interchanges([verdict])
        if verdict.kind == "835":
            _read_835(path, name, verdict)
        elif verdict.kind == "837":
            _read_837(path, name, verdict)
        reached_isa = bool(verdict.interchanges)
        if reached_isa or not verdict.unreadable:
            verdict.guide_findings = _guide(path, name, verdict, offsets)
    except OSError as exc:
        verdict.unreadable = True
        verdict.issues.append(
            Issue(
                name,
                "unreadable",
                "error",
                f"cannot read the file: {exc.strerror or exc}",
                PLAIN["unreadable"],
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
    _duplicate_interchanges(verdicts, across_files_only=True)
    return verdicts


def _duplicate_interchanges(verdicts: list[FileVerdict], across_files_only: bool = False) -> None:
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


# ------------------------------------------------------------------------------------------ outbound gate
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


def validate_text(text: str | bytes, name: str) -> FileVerdict:
    """`validate_file` on X12 held in memory (an output before it is published, a zip member): through a
    temporary file, since pyx12 reads files. Top-level and picklable: process pools call it."""
    fd, tmp = tempfile.mkstemp(prefix="edi-gate-", suffix=".x12")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(text.encode("latin-1") if isinstance(text, str) else text)
        return validate_file(tmp, name)
    finally:
        os.unlink(tmp)


# ------------------------------------------------------------------------------------------ acknowledgments
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
    import pyx12

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
    from writers.x12 import InterchangeParties

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


def plan_acks(verdict: FileVerdict):
    """(999s per inbound interchange, TA1s) that `verdict` calls for; the rules: the module docstring."""
    from writers.ack import TA1, ElementError, GroupAck, InterchangeAck, SegmentError, SetAck

    acks: list[InterchangeAck] = []
    ta1s: list[TA1] = []
    guide = verdict.guide_findings
    for isa in verdict.interchanges:
        end = isa.end or sys.maxsize
        inside = [f for f in guide if isa.start <= f.position.segment <= end]
        notes: list[str] = []
        for f in inside:
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
        notes = sorted(dict.fromkeys(notes), key=lambda n: n == "025")  # say what is wrong inside it first
        first_gs = isa.groups[0] if isa.groups else None
        if notes:
            ta1s.append(TA1(isa.control_number, isa.field(9), isa.field(10), "R", notes[0], _parties(isa, first_gs)))
            continue  # a rejected interchange is not opened: no 999 for its groups
        if isa.field(14) == "1":
            ta1s.append(TA1(isa.control_number, isa.field(9), isa.field(10), "A", "000", _parties(isa, first_gs)))
        if not verdict.guide_checked or verdict.unreadable:
            continue
        ack = InterchangeAck(_parties(isa, first_gs))
        for gs in isa.groups:
            if gs.functional_id != "HC":
                continue
            refs = _data_element_refs(gs.version)
            g_end = gs.end or sys.maxsize
            group = GroupAck(
                gs.functional_id,
                gs.control_number,
                gs.version,
                included=int(gs.ge01) if gs.ge01.isdigit() else None,
            )
            for f in guide:
                o, seg_id = f.position.segment, f.position.segment_id
                if not gs.start <= o <= g_end:
                    continue
                if f.rule.startswith("AK905-") and not any(st.start <= o <= (st.end or g_end) for st in gs.sets):
                    group.codes.append(f.rule[6:])
                elif seg_id in ("GS", "GE") and f.rule.startswith("IK403-"):
                    group.codes.append(_GS_CODE.get(_element_position(f.position.element)[0], "1"))
            group.codes += ["19" for i in verdict.issues if i.rule == "duplicate-GS06" and i.segment == gs.start]
            for st in gs.sets:
                s_end = st.end or g_end
                s = SetAck(st.set_id, st.control_number, st.guide)
                s.codes += ["23" for i in verdict.issues if i.rule == "duplicate-ST02" and i.segment == st.start]
                by_segment: dict[tuple[int, str], SegmentError] = {}
                for f in guide:
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
                            err.elements.append(
                                ElementError(
                                    pos,
                                    code,
                                    comp,
                                    None,
                                    refs.get(f.position.element.split("-")[0], ""),
                                    m.group(1) if m else "",
                                )
                            )
                s.segment_errors = list(by_segment.values())
                group.sets.append(s)
            ack.groups.append(group)
        if ack.groups:
            acks.append(ack)
    return acks, ta1s


def render_acks(
    verdict: FileVerdict, next_number: Callable[[], int], when: datetime | None = None
) -> list[tuple[str, str]]:
    """The acknowledgments `verdict` calls for, rendered: [(".ta1", text), (".999", text)], either or both
    or none. `edi validate --ack` writes them (`write_acks`); `edi batch` / `edi watch` put them in their
    outbox."""
    from writers.ack import render_999, render_ta1

    when = when or datetime.now()
    acks, ta1s = plan_acks(verdict)
    out = []
    if ta1s:
        out.append((".ta1", render_ta1(ta1s, next_number, when)))
    if acks:
        out.append((".999", render_999(acks, next_number, when)))
    return out


def write_acks(
    verdict: FileVerdict, out_dir: str | Path, next_number: Callable[[], int], when: datetime | None = None
) -> list[Path]:
    """Write `<file name>.999` and/or `<file name>.ta1` into `out_dir` atomically; the paths written."""
    from .files import write_atomic

    written = []
    base = Path(verdict.file).name
    for suffix, text in render_acks(verdict, next_number, when):
        path = Path(out_dir) / f"{base}{suffix}"
        write_atomic(path, text)
        written.append(path)
    return written


# ------------------------------------------------------------------------------------------ output
def render_text(verdicts: list[FileVerdict]) -> str:
    lines = []
    for v in verdicts:
        what = " ".join(x for x in (v.kind and f"X12 {v.kind}", v.guide) if x) or "no transaction set"
        errors, warnings = len(v.errors), len(v.issues) - len(v.errors)
        state = "UNREADABLE" if v.unreadable else f"{errors} error(s), {warnings} warning(s)" if v.issues else "clean"
        claims = f", {v.claims} claim(s)" if v.kind in ("835", "837") else ""
        lines.append(f"{v.file}: {what}{claims}: {state}")
        for i in v.issues:
            where = "file"
            if i.segment:
                where = f"segment {i.segment} ({i.segment_id or '?'}{', ' + i.element if i.element else ''})"
                where += f" at byte {i.offset}"
            lines.append(f"  {i.severity:<7} {where} [{i.rule}] {i.explanation}")
            lines.append(f"          {i.message}")
    return "\n".join(lines)


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
@click.option(
    "--ack",
    "ack_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write acknowledgments here: <file>.999 for inbound 837 groups, <file>.ta1 when the "
    "envelope is bad or ISA14=1 asks for one.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Validate in this many processes (pyx12 takes about 0.4 s per small file).",
)
@STATE
def validate(
    files: tuple[Path, ...], as_json: bool, ack_dir: Path | None, workers: int, state_dir: Path | None
) -> None:
    """Validate FILE... against their implementation guides (pyx12) and our balancing and envelope rules.

    Every finding names the file, segment, byte offset, element and what it means. Exits 0 when no file
    has errors (warnings alone are fine), 1 when some do, 2 when a file cannot be read (not X12, cut short,
    missing).
    """
    verdicts = validate_files(files, workers)
    written: list[Path] = []
    if ack_dir is not None:
        from .config import default_state_dir
        from .control import ControlNumbers
        from .store import open_store

        store = open_store(state_dir or default_state_dir())
        try:
            numbers = ControlNumbers(store)
            when = datetime.now()
            for v in verdicts:
                written += write_acks(v, ack_dir, numbers, when)
        finally:
            store.close()
    if as_json:
        click.echo(
            json.dumps(
                {"files": [v.as_dict() for v in verdicts], "acknowledgments": [str(p) for p in written]},
                indent=2,
            )
        )
    else:
        click.echo(render_text(verdicts))
        for p in written:
            click.echo(f"wrote {p}", err=True)
    codes = {v.exit_code for v in verdicts}
    sys.exit(EXIT_UNREADABLE if EXIT_UNREADABLE in codes else EXIT_REVIEW if EXIT_REVIEW in codes else EXIT_OK)
