"""The append-only ledger: JSONL and CSV exports read back equal the ledger, Decimal exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.ledger import (
    CATEGORIES,
    KINDS,
    LEVELS,
    Ledger,
    LedgerEntry,
    export_csv,
    export_jsonl,
    read_csv,
    read_jsonl,
)

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
amounts = st.decimals(
    allow_nan=False, allow_infinity=False, min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2
) | st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1e6"), max_value=Decimal("1e6"))
stamps = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)) | st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))]),
)

entries = st.builds(
    LedgerEntry,
    timestamp=stamps,
    claim=text,
    payer=text,
    level=st.sampled_from(LEVELS),
    kind=st.sampled_from(KINDS),
    amount=amounts,
    category=st.sampled_from(CATEGORIES),
    group=text,
    reason=text,
    line=text,
    trace=text,
    trace_payer=text,
    payer_claim_number=text,
    sequence=st.sampled_from(["P", "S", "T", ""]),
    note=text,
)


def _exact(a: Ledger, b: Ledger) -> bool:
    # Decimal("1.0") == Decimal("1.00"): compare the exact text too
    return a == b and all(
        str(x.amount) == str(y.amount) and x.timestamp.tzinfo == y.timestamp.tzinfo for x, y in zip(a, b, strict=True)
    )


@settings(max_examples=300)
@given(st.lists(entries, max_size=20))
def test_jsonl_roundtrip(items):
    ledger = Ledger(items)
    back = read_jsonl(export_jsonl(ledger))
    assert _exact(back, ledger)
    assert all(isinstance(e.amount, Decimal) for e in back)


@settings(max_examples=300)
@given(st.lists(entries, max_size=20))
def test_csv_roundtrip(items):
    ledger = Ledger(items)
    back = read_csv(export_csv(ledger))
    assert _exact(back, ledger)


def test_append_only_and_validation():
    ledger = Ledger()
    e = LedgerEntry(datetime(2024, 2, 15, 9, 0), "PCN1001", "22222", "claim", "payment", Decimal("47.00"), "payment")
    ledger.append(e)
    assert ledger.entries == (e,)
    assert not hasattr(ledger, "remove") and not hasattr(ledger, "__setitem__")
    with pytest.raises(AttributeError):
        ledger.entries[0].amount = Decimal(1)
    with pytest.raises(TypeError):
        LedgerEntry(datetime(2024, 1, 1), "c", "p", "claim", "payment", 1.5, "payment")
    with pytest.raises(ValueError):
        LedgerEntry(datetime(2024, 1, 1), "c", "p", "claim", "refund", Decimal(1), "payment")
    assert ledger.total("PCN1001", kind="payment") == Decimal("47.00")
    assert '"amount": "47.00"' in export_jsonl(ledger)
