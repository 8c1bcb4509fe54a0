"""Where a store is: a state directory (SQLite, the default) or a PostgreSQL URL, and how it is named in
messages and logs (never with its password)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

URL_SCHEMES = ("postgresql://", "postgres://")


def is_store_url(location: object) -> bool:
    """Whether `location` names a PostgreSQL store (``postgresql://...``) rather than a state directory."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def redacted(location: object) -> str:
    """`location` as it may be shown: a URL without its password."""
    text = str(location)
    if not is_store_url(text):
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    netloc = f"{parts.username}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
