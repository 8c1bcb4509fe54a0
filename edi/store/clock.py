"""This machine's clock as the store's text columns keep it (the workers' leases use the database's clock
instead: `edi.store.dialect`)."""

from datetime import UTC, datetime


def now_text() -> str:
    """Now, UTC, ISO 8601 with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")
