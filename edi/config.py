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

    [gate]                              # outbound gate: every output validated (pyx12 + COB) first
    enabled = true                      # false = --no-gate: publish unvalidated files (unsafe)
    workers = 2                         # validation processes; default min(2, cpu count); 0 = in-process
    rejected_dir = "/srv/edi/rejected"  # where failed outputs go; default OUTDIR/rejected

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
"""

from __future__ import annotations

import csv
import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rules.policy import Policy
from rules.posting import StatementPolicy


def default_state_dir() -> Path:
    """$EDI_STATE_DIR, else $XDG_STATE_HOME/edi-cob, else ~/.local/state/edi-cob."""
    if os.environ.get("EDI_STATE_DIR"):
        return Path(os.environ["EDI_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "edi-cob"


class InterchangeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sender_qualifier: str | None = Field(None, max_length=2)
    sender_id: str | None = Field(None, max_length=15)
    receiver_qualifier: str | None = Field(None, max_length=2)
    receiver_id: str | None = Field(None, max_length=15)
    group_sender: str | None = Field(None, max_length=15)
    group_receiver: str | None = Field(None, max_length=15)
    usage: str | None = Field(None, pattern="^[PT]$")


class PolicySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    send_nothing_due: bool = False
    send_nothing_due_to: list[str] = []
    send_provider_liability_denials: bool = False
    other_payer_claim_number: bool = True

    def policy(self) -> Policy:
        return Policy(
            self.send_nothing_due,
            frozenset(self.send_nothing_due_to),
            self.send_provider_liability_denials,
            self.other_payer_claim_number,
        )


def default_gate_workers() -> int:
    return min(2, os.cpu_count() or 1)


class GateSettings(BaseModel):
    """The outbound gate of `edi batch` / `edi watch` (edi.validation.outbound_gate on every output)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    workers: int = Field(default_factory=default_gate_workers, ge=0)
    rejected_dir: Path | None = None

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
        return self.payer_classes.get(payer_id, self.default_payer_class)

    def statement_policy(self):
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
    return os.environ.get("EDI_STORE_URL") or None


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state_dir: Path = Field(default_factory=default_state_dir)
    store_url: str | None = Field(default_factory=default_store_url)
    ack_dir: Path | None = None
    interchange: InterchangeSettings = InterchangeSettings()
    policy: PolicySettings = PolicySettings()
    posting: PostingSettings = PostingSettings()
    gate: GateSettings = GateSettings()
    workers: WorkerSettings = WorkerSettings()

    @field_validator("state_dir", mode="before")
    @classmethod
    def _expand(cls, value):
        return Path(value).expanduser() if value else default_state_dir()

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
