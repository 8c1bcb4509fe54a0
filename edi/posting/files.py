"""Posting a payer's 835 file on the store (`edi post`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from edi.config import Settings
from edi.exits import EXIT_OK, EXIT_REVIEW
from edi.remittances import read_claim_groups
from edi.store import open_existing_store
from parsers.envelope import element, expect_transaction_set

from .poster import Poster


def post_file(path: Path, settings: Settings, now=datetime.now) -> dict:
    """Post every claim of the 835 at `path` on the store of `settings`; the report (claim ids, amounts and
    reasons; no patient data). X12Error when the file cannot be read or is not an 835."""
    data = path.read_bytes()
    expect_transaction_set(data[: 1 << 16], "835", str(path))
    groups, _ = read_claim_groups(data, str(path))
    store = open_existing_store(settings.store)
    try:
        poster = Poster(store, settings, now)
        claims = []
        with store.transaction():
            for group in groups:
                posted = poster.post_group(group.payments, store.originals(group.claim_id), group.raw)
                entry = posted.as_dict()
                entry["trace"] = element(group.payments[-1].remittance.trn, 2)
                claims.append(entry)
                entry["needs_review"] = posted.needs_review
    finally:
        store.close()
    return {
        "file": str(path),
        "claims": claims,
        "posted": sum(c["posted"] for c in claims),
        "already_posted": sum(c["already_posted"] for c in claims),
        "exit_code": EXIT_REVIEW if any(c["needs_review"] for c in claims) else EXIT_OK,
    }
