"""What validation says about a file: `FileVerdict`, its positioned `Issue`s and the envelope layout the
acknowledgments are planned from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from edi.exits import EXIT_OK, EXIT_REVIEW, EXIT_UNREADABLE
from parsers.envelope import element
from parsers.errors import Finding

from .plain import explain


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
        """The JSON shape."""
        return asdict(self)


@dataclass(slots=True)
class SetInfo:
    """One transaction set as the envelope walk saw it."""

    set_id: str
    control_number: str
    guide: str
    start: int  # ST ordinal
    end: int = 0  # SE ordinal


@dataclass(slots=True)
class GroupInfo:
    """One functional group as the envelope walk saw it."""

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
    """One interchange as the envelope walk saw it."""

    isa: list[str]
    start: int
    offset: int
    end: int = 0
    groups: list[GroupInfo] = field(default_factory=list)

    def field(self, n: int) -> str:
        """ISA element `n`."""
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
        """The JSON shape of `edi validate --json`."""
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


def issue_from(f: Finding, source: str, name: str, codes: list[str] | None = None) -> Issue:
    """A reader's finding as a positioned, explained `Issue`."""
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
