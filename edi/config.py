"""Settings: a TOML file, overridden by command-line flags. Validated with pydantic at the edge.

Example (`edi.toml`):

    state_dir = "/var/lib/edi"          # control-number counter (and later the claim store)

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

    [posting]                           # `edi post`, `edi statement`, `edi worklist` (issue 6)
    small_balance_threshold = "5.00"    # patient balances > 0 and below this: administrative write-off
    bad_debt = "never"                  # or "uncollectible": the patient balance goes to bad debt
    fee_schedule = "/etc/edi/fees.csv"  # optional: code,modifiers,allowed (modifiers joined by ':')
    default_payer_class = "commercial"  # deadline windows of rules.deadlines.DEFAULT_WINDOWS
    [posting.payer_classes]             # payer id -> medicare | commercial | medicaid | tricare | medigap
    "12402" = "medicare"
    [posting.overrides."11111"]         # per-payer CARC action overrides ("GROUP-CARC" or "CARC")
    "CO-29" = "WO-A"

    [collections]                       # `edi collections run`: the effort before bad debt (issue 17)
    statements = 3                      # statements sent ...
    interval_days = 30                  # ... this many days apart
    bad_debt_after_days = 120           # bad debt once this many days passed since the first statement
    medicare_first_bill_days = 120      # Medicare bad debt: first bill within 120 days of the later remit
"""

from __future__ import annotations

import csv
import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rules.collections import Effort
from rules.policy import Policy
from rules.statement import StatementPolicy


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


PAYER_CLASSES = ("medicare", "commercial", "medicaid", "tricare", "medigap")


class PostingSettings(BaseModel):
    """Posting payers' answers (issue 6): patient-balance policy, deadline classes, fee schedule."""

    model_config = ConfigDict(extra="forbid")
    small_balance_threshold: Decimal = Field(Decimal(0), ge=0)
    bad_debt: Literal["never", "uncollectible"] = "never"
    fee_schedule: Path | None = None
    default_payer_class: Literal[PAYER_CLASSES] = "commercial"
    payer_classes: dict[str, Literal[PAYER_CLASSES]] = {}
    overrides: dict[str, dict[str, str]] = {}

    def payer_class(self, payer_id: str) -> str:
        """The deadline class of a payer (its own, else the default)."""
        return self.payer_classes.get(payer_id, self.default_payer_class)

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


class CollectionsSettings(BaseModel):
    """The collection effort before a patient balance goes to bad debt (`edi collections run`, issue 17)."""

    model_config = ConfigDict(extra="forbid")
    statements: int = Field(3, ge=1)  # statements sent before bad debt
    interval_days: int = Field(30, ge=1)  # days between statements
    bad_debt_after_days: int = Field(120, ge=0)  # from the first statement
    medicare_first_bill_days: int = Field(120, ge=0)  # Medicare bad debt: first bill within this after the remits

    def effort(self) -> Effort:
        return Effort(self.statements, self.interval_days, self.bad_debt_after_days, self.medicare_first_bill_days)


class Settings(BaseModel):
    """Every setting of the product; `load` reads the TOML file, then the flags."""

    model_config = ConfigDict(extra="forbid")
    state_dir: Path = Field(default_factory=default_state_dir)
    ack_dir: Path | None = None
    interchange: InterchangeSettings = InterchangeSettings()
    policy: PolicySettings = PolicySettings()
    posting: PostingSettings = PostingSettings()
    gate: GateSettings = GateSettings()
    collections: CollectionsSettings = CollectionsSettings()

    @field_validator("state_dir", mode="before")
    @classmethod
    def _expand(cls, value):
        return Path(value).expanduser() if value else default_state_dir()

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
