"""The repository stands on its own: no tracked file names a path outside it (a sibling folder of the
checkout, or an absolute path of one machine)."""

from __future__ import annotations

import re
import subprocess

from tests.support import ROOT

# Written in pieces so that this file does not match itself.
OUTSIDE = re.compile(
    "|".join(
        (
            r"\.\./" + "shared",  # a sibling folder of the checkout
            "shared/" + "(?:reference|corpus)",
            r"(?<![\w.])/" + r"(?:work|home|root|Users)/",  # an absolute path of one machine
        )
    )
)


def tracked_files() -> list[str]:
    """The files git tracks; outside a git checkout (an unpacked archive), every file but dot-folders and
    the virtual environment."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if listed.returncode == 0:
        return [name for name in listed.stdout.decode().split("\0") if name]
    return [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
    ]


def test_no_tracked_file_names_a_path_outside_the_repository():
    names = tracked_files()
    assert len(names) > 100
    offenders = []
    for name in names:
        path = ROOT / name
        if not path.is_file():
            continue
        text = path.read_bytes().decode("latin-1")
        offenders += [f"{name}: {m.group(0)!r}" for m in OUTSIDE.finditer(text)]
    assert offenders == []
