"""Headless Chromium for the tests that render our HTML: Debian's chromium (`make test` installs it when it
is missing), driven by Playwright with the browser's own executable; a missing browser is a failure that
says how to install it, never a skip."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> str:
    """$CHROMIUM, else /usr/bin/chromium, else chromium on PATH; AssertionError with the fix when none."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise AssertionError("headless Chromium is missing: `make test` installs it (apt-get install chromium)")


@contextmanager
def browser():
    """A Playwright browser on Debian's chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path(), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def open_page(launched, path: Path, requests: list[str] | None = None):
    """A page showing the file at `path`; every URL it requests is appended to `requests`."""
    page = launched.new_page(viewport={"width": 1100, "height": 900})
    if requests is not None:
        page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri())
    return page
