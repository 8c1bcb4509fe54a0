"""The domain docs (docs/*.md) must not go stale silently.

Every backticked module path they name (`rules.balance`, `rules.cob.eaf_level`, ...) must import, and every
backticked file path under edi/, parsers/, rules/, writers/ or fixtures/ must exist. When code moves, these
tests name the page and the reference to update.
"""

from __future__ import annotations

import importlib
import re

import pytest

from tests.support import ROOT

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))

INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
MODULE_PATH = re.compile(r"(?:edi|parsers|rules|writers)(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
FILE_PATH = re.compile(r"(?:edi|parsers|rules|writers|fixtures)/\S*")


def references(pattern: re.Pattern) -> list[tuple[str, str]]:
    """(page name, backticked text) for every inline code span of the docs that matches `pattern` whole."""
    return [
        (page.name, text)
        for page in PAGES
        for text in INLINE_CODE.findall(page.read_text(encoding="utf-8"))
        if pattern.fullmatch(text)
    ]


def resolves(dotted: str) -> bool:
    """True when `dotted` is a module, or an importable module followed by attributes it has."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


def test_docs_exist():
    assert DOCS.is_dir(), "docs/ is missing"
    pages = [p for p in PAGES if p.name != "README.md"]
    assert pages, "docs/ has no pages"
    assert (DOCS / "README.md").is_file(), "docs/README.md (the index) is missing"
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    unlisted = [p.name for p in pages if f"]({p.name})" not in index]
    assert not unlisted, f"pages missing from the docs/README.md index: {unlisted}"


@pytest.mark.parametrize("page,dotted", sorted(set(references(MODULE_PATH))))
def test_module_reference_imports(page, dotted):
    assert resolves(dotted), f"docs/{page} names `{dotted}`, which does not import"


@pytest.mark.parametrize("page,path", sorted(set(references(FILE_PATH))))
def test_file_reference_exists(page, path):
    assert (ROOT / path).exists(), f"docs/{page} names `{path}`, which does not exist"
