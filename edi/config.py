"""Settings: a TOML file, overridden by command-line flags. Validated with pydantic at the edge.

Example (`edi.toml`):

    state_dir = "/var/lib/edi"          # the claim store (SQLite) and its control-number counter
    store_url = "postgresql://edi@db.example/edi"  # instead: one PostgreSQL store shared by several workers
                                        # (default $EDI_STORE_URL); state_dir is then unused

    [workers]                           # several workers on one store (edi batch / watch)
    lease_seconds = 30                  # a worker silent this long is dead: its files and outputs are taken over

    [interchange]                       # ISA/GS of what we write; defaults: the original claim's own
    sender_qualifier = "ZZ"
    sender_id = "ACMECLINIC"
    receiver_qualifier = "ZZ"
    receiver_id = "CLEARINGHOUSE"
    usage = "P"

    ack_dir = "/srv/edi/acks"           # edi batch / watch: a 999 per inbound 837 group, TA1 when due

    [gate]                              # outbound gate: every output validated (guide + COB) first
    enabled = true                      # false = --no-gate: publish unvalidated files (unsafe)
    workers = 2                         # validation processes; default min(2, cpu count); 0 = in-process
    rejected_dir = "/srv/edi/rejected"  # where failed outputs go; default OUTDIR/rejected
    engine = "fast"                     # the guide engine: fast (default) or pyx12 (the validator of record)
    cross_check = 100                   # re-check 1 output in 100 with pyx12 in the background; log disagreement

    [policy]
    send_nothing_due = false
    send_nothing_due_to = ["MEDICAID01"]
    send_provider_liability_denials = false
    other_payer_claim_number = true

    [limits]                            # edi batch / watch: inputs larger are rejected unread
    max_file_bytes = 268435456          # 256 MiB
    max_zip_member_bytes = 268435456    # a zip member's inflated size (declared, then as inflated)
    max_zip_ratio = 200                 # a zip member's inflated / compressed size

    [posting]                           # `edi post`, `edi statement`, `edi worklist` (issue 6)
    small_balance_threshold = "5.00"    # patient balances > 0 and below this: administrative write-off
    bad_debt = "never"                  # or "uncollectible": the patient balance goes to bad debt
    fee_schedule = "/etc/edi/fees.csv"  # optional: code,modifiers,allowed (modifiers joined by ':')
    default_payer_class = "commercial"  # deadline windows of rules.deadlines.DEFAULT_WINDOWS
    [posting.payer_classes]             # payer id -> medicare | commercial | medicaid | tricare | medigap
    "12402" = "medicare"
    [posting.overrides."11111"]         # per-payer CARC action overrides ("GROUP-CARC" or "CARC")
    "CO-29" = "WO-A"
    [posting.windows.commercial]        # a class's filing and appeal windows, replacing the defaults' (any of
    appeal = {days = 90, anchor = "denial"}           # rules.deadlines.ITEMS: timely-filing, appeal,
    reconsideration = {days = 60, anchor = "denial"}  # reconsideration (level 2), response-wait ...)

    [collections]                       # `edi collections run`: the effort before bad debt (issue 17)
    statements = 3                      # statements sent ...
    interval_days = 30                  # ... this many days apart
    bad_debt_after_days = 120           # bad debt once this many days passed since the first statement
    medicare_first_bill_days = 120      # Medicare bad debt: first bill within 120 days of the later remit

    [msp]                               # Medicare as a secondary payer (issue 14)
    msp_file = "/etc/edi/msp.csv"       # optional: member_id,msp_type (the MSP questionnaire's export)
    accept_primary_allowed = false      # OTAF: the primary's allowed amount is payment in full (value code 44)
    accept_primary_allowed_from = []    # ... or only from these primary payer ids
    order_facts = "/etc/edi/cob.toml"   # optional: order-of-benefits facts (`edi cob order`), checked per claim
    [msp.members]                       # Medicare member id (MBI) -> MSP insurance type
    "1EG4TE5MK72" = "12"
"""

from __future__ import annotations

import csv
import os
import tomllib
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from rules.claim_order import PatientsOnFile
from rules.collections import Effort
from rules.deadlines import ANCHORS, DEFAULT_WINDOWS, ITEMS, Window, with_overrides
from rules.msp import MSP_TYPES, MspFacts
from rules.policy import Policy
from rules.statement import StatementPolicy

from .cob_order import read_facts


def default_state_dir() -> Path:
    """$EDI_STATE_DIR, else $XDG_STATE_HOME/edi-cob, else ~/.local/state/edi-cob."""
    if os.environ.get("EDI_STATE_DIR"):
        return Path(os.environ["EDI_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "edi-cob"


class InterchangeSettings(BaseModel):
    """ISA/GS of what we write; unset fields default to the original claim's own."""

    model_config = ConfigDict(extra="forbid")
    sender_qualifier: str | None = Field(None, max_length=2)
    sender_id: str | None = Field(None, max_length=15)
    receiver_qualifier: str | None = Field(None, max_length=2)
    receiver_id: str | None = Field(None, max_length=15)
    group_sender: str | None = Field(None, max_length=15)
    group_receiver: str | None = Field(None, max_length=15)
    usage: str | None = Field(None, pattern="^[PT]$")


class PolicySettings(BaseModel):
    """Switches of the rules stage: what is sent to the next payer and how."""

    model_config = ConfigDict(extra="forbid")
    send_nothing_due: bool = False
    send_nothing_due_to: list[str] = []
    send_provider_liability_denials: bool = False
    other_payer_claim_number: bool = True

    def policy(self) -> Policy:
        """The rules' `Policy` value."""
        return Policy(
            self.send_nothing_due,
            frozenset(self.send_nothing_due_to),
            self.send_provider_liability_denials,
            self.other_payer_claim_number,
        )


def default_gate_workers() -> int:
    """Outbound gate processes: min(2, CPUs)."""
    return min(2, os.cpu_count() or 1)


class GateSettings(BaseModel):
    """The outbound gate of `edi batch` / `edi watch` (edi.validation.outbound_gate on every output)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    workers: int = Field(default_factory=default_gate_workers, ge=0)
    rejected_dir: Path | None = None
    engine: Literal["fast", "pyx12"] = "fast"  # the guide engine of the gate
    cross_check: int = Field(0, ge=0)  # with the fast engine: re-check 1 output in N with pyx12, log disagreement

    @field_validator("rejected_dir", mode="before")
    @classmethod
    def _expand(cls, value):
        return Path(value).expanduser() if value else None


class LimitSettings(BaseModel):
    """What `edi batch` / `edi watch` take in at most: a bigger input is rejected with its reason, unread; a zip
    member is judged on its declared sizes before it is inflated, and inflating stops at the limit if the
    archive lied. The defaults hold a month of a large practice's claims in one file and refuse a zip bomb."""

    model_config = ConfigDict(extra="forbid")
    max_file_bytes: int = Field(256 * 1024 * 1024, gt=0)  # an input file (or zip member) larger is rejected
    max_zip_member_bytes: int = Field(256 * 1024 * 1024, gt=0)  # declared or actual inflated size of a member
    max_zip_ratio: float = Field(200.0, gt=1)  # inflated / compressed size of a member (X12 zips at 5-50)


PAYER_CLASSES = ("medicare", "commercial", "medicaid", "tricare", "medigap")


class WindowSettings(BaseModel):
    """One filing or appeal window (`rules.deadlines.Window`): days or months from its anchor date."""

    model_config = ConfigDict(extra="forbid")
    days: int = Field(0, ge=0)
    months: int = Field(0, ge=0)
    anchor: Literal[ANCHORS]
    business: bool = False
    receipt_days: int = Field(0, ge=0)
    note: str = "configured"

    def window(self) -> Window:
        return Window(self.days, self.months, self.anchor, self.business, self.receipt_days, self.note)


class PostingSettings(BaseModel):
    """Posting payers' answers (issue 6): patient-balance policy, deadline classes and windows, fee schedule."""

    model_config = ConfigDict(extra="forbid")
    small_balance_threshold: Decimal = Field(Decimal(0), ge=0)
    bad_debt: Literal["never", "uncollectible"] = "never"
    fee_schedule: Path | None = None
    default_payer_class: Literal[PAYER_CLASSES] = "commercial"
    payer_classes: dict[str, Literal[PAYER_CLASSES]] = {}
    overrides: dict[str, dict[str, str]] = {}
    windows: dict[Literal[PAYER_CLASSES], dict[Literal[ITEMS], WindowSettings]] = {}
    _table: dict[str, dict[str, Window]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _windows(self):
        try:
            configured = {cls: {item: w.window() for item, w in items.items()} for cls, items in self.windows.items()}
        except ValueError as error:  # Window's own checks: days or months, not both
            raise ValueError(f"[posting.windows]: {error}") from None
        self._table = with_overrides(DEFAULT_WINDOWS, configured)
        return self

    def payer_class(self, payer_id: str) -> str:
        """The deadline class of a payer (its own, else the default)."""
        return self.payer_classes.get(payer_id, self.default_payer_class)

    def deadline_table(self) -> dict[str, dict[str, Window]]:
        """The filing and appeal windows: `rules.deadlines.DEFAULT_WINDOWS` with `[posting.windows]` over them."""
        return self._table

    def statement_policy(self):
        """The statement's patient-balance policy and per-payer CARC overrides."""
        return StatementPolicy(
            self.small_balance_threshold, self.bad_debt == "uncollectible", overrides=self.overrides or None
        )

    def fees(self) -> dict[tuple[str, tuple[str, ...]], Decimal] | None:
        """The fee schedule (code, modifiers) -> allowed per unit, or None when none is configured.
        CSV columns: code, modifiers (joined by ':', may be empty), allowed."""
        if self.fee_schedule is None:
            return None
        out: dict[tuple[str, tuple[str, ...]], Decimal] = {}
        with open(self.fee_schedule, newline="") as handle:
            for row in csv.DictReader(handle):
                modifiers = tuple(m for m in (row.get("modifiers") or "").split(":") if m)
                out[(row["code"].strip(), modifiers)] = Decimal(row["allowed"].strip())
        return out


class WorkerSettings(BaseModel):
    """Several workers on one store: each registers, beats its heartbeat every `lease_seconds / 5`, and holds a
    lease on the file it works on; a worker not heard of for `lease_seconds` is dead and what it held is taken
    over (a dead worker on the same machine at once: its process is gone)."""

    model_config = ConfigDict(extra="forbid")
    lease_seconds: float = Field(30.0, ge=0.5)


def default_store_url() -> str | None:
    """$EDI_STORE_URL, or none (the SQLite store of the state directory)."""
    return os.environ.get("EDI_STORE_URL") or None


class CollectionsSettings(BaseModel):
    """The collection effort before a patient balance goes to bad debt (`edi collections run`, issue 17)."""

    model_config = ConfigDict(extra="forbid")
    statements: int = Field(3, ge=1)  # statements sent before bad debt
    interval_days: int = Field(30, ge=1)  # days between statements
    bad_debt_after_days: int = Field(120, ge=0)  # from the first statement
    medicare_first_bill_days: int = Field(120, ge=0)  # Medicare bad debt: first bill within this after the remits

    def effort(self) -> Effort:
        """The rules' collection effort."""
        return Effort(self.statements, self.interval_days, self.bad_debt_after_days, self.medicare_first_bill_days)


def _msp_code(code: str, where: str) -> str:
    code = code.strip()
    if code not in MSP_TYPES:
        raise ValueError(f"{where}: MSP type {code!r} is not one of {', '.join(MSP_TYPES)}")
    return code


def read_msp_file(path: Path) -> dict[str, str]:
    """The MSP questionnaire export: CSV with columns member_id and msp_type (header row). Errors name the
    file and the line, never the member id."""
    out: dict[str, str] = {}
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"member_id", "msp_type"} <= set(reader.fieldnames):
                raise ValueError(f"msp_file {path}: expected a header row with member_id and msp_type")
            for row in reader:
                where = f"msp_file {path} line {reader.line_num}"
                member = (row.get("member_id") or "").strip()
                if not member:
                    raise ValueError(f"{where}: member_id is empty")
                out[member] = _msp_code(row.get("msp_type") or "", where)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"msp_file {path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    return out


class MspSettings(BaseModel):
    """Medicare as a secondary payer (rules.msp): MSP types per Medicare member id, from `members` and the
    optional `msp_file` (the table wins over the file); the value code 44 (OTAF) switch; the order-of-benefits
    facts checked against every claim (rules.claim_order). Errors never show a member id."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)
    members: dict[str, str] = {}
    msp_file: Path | None = None
    accept_primary_allowed: bool = False
    accept_primary_allowed_from: list[str] = []
    order_facts: Path | None = None
    _members: dict[str, str] = PrivateAttr(default_factory=dict)
    _patients: PatientsOnFile = PrivateAttr(default_factory=PatientsOnFile)

    @field_validator("members", mode="before")
    @classmethod
    def _codes(cls, members) -> dict[str, str]:
        if not isinstance(members, dict):
            raise ValueError("[msp] members: expected a table of Medicare member id = MSP type")
        out = {}
        for member, code in members.items():  # the member id never goes into an error
            if not isinstance(code, str | int) or isinstance(code, bool):
                raise ValueError('[msp] members: each MSP type is a code such as "12"')
            out[str(member)] = _msp_code(str(code), "[msp] members")
        return out

    @model_validator(mode="after")
    def _load(self):
        members = read_msp_file(self.msp_file.expanduser()) if self.msp_file else {}
        members.update(self.members)
        self._members = members
        self._patients = PatientsOnFile(read_facts(self.order_facts.expanduser()) if self.order_facts else ())
        return self

    def facts(self) -> MspFacts:
        """The MSP facts the rules read (members from the table and the file, the value code 44 switch)."""
        return MspFacts(
            members=dict(self._members),
            accept_primary_allowed=self.accept_primary_allowed,
            accept_primary_allowed_from=frozenset(self.accept_primary_allowed_from),
        )

    def patients(self) -> PatientsOnFile:
        """The order-of-benefits facts file's patients (none when no `order_facts`)."""
        return self._patients


class Settings(BaseModel):
    """Every setting of the product; `load` reads the TOML file, then the flags."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # settings hold member ids
    state_dir: Path = Field(default_factory=default_state_dir)
    store_url: str | None = Field(default_factory=default_store_url)
    ack_dir: Path | None = None
    interchange: InterchangeSettings = InterchangeSettings()
    policy: PolicySettings = PolicySettings()
    posting: PostingSettings = PostingSettings()
    gate: GateSettings = GateSettings()
    collections: CollectionsSettings = CollectionsSettings()
    msp: MspSettings = MspSettings()
    limits: LimitSettings = LimitSettings()
    workers: WorkerSettings = WorkerSettings()

    @field_validator("state_dir", mode="before")
    @classmethod
    def _expand(cls, value):
        return Path(value).expanduser() if value else default_state_dir()

    def rule_policy(self) -> Policy:
        """The rules' switches: [policy], with the [msp] facts."""
        return replace(self.policy.policy(), msp=self.msp.facts(), patients=self.msp.patients())

    @field_validator("store_url")
    @classmethod
    def _url(cls, value):
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("store_url must be a postgresql:// URL (a SQLite store is named by state_dir)")
        return value

    @property
    def store(self) -> str:
        """What `edi.store.open_store` opens: the store URL when one is set, else the state directory."""
        return self.store_url or str(self.state_dir)

    @classmethod
    def load(cls, path: str | Path | None = None, **overrides) -> Settings:
        """The TOML file at `path` (if any), then `overrides` (`section__name=value`; None = not given), validated."""
        data: dict = {}
        if path is not None:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        for key, value in overrides.items():
            if value is None:
                continue
            section, _, name = key.partition("__")
            if name:
                data.setdefault(section, {})[name] = value
            else:
                data[key] = value
        return cls.model_validate(data)
