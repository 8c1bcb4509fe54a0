"""The README must not go stale silently: its settings block is settings the product accepts, and its
Layout table names every room of the house (and nothing that is not there)."""

from __future__ import annotations

import re
import tomllib

from edi.config import Settings
from tests.support import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
FLOORS = ("parsers", "rules", "writers", "edi")


def settings_block() -> str:
    """The ```toml block under '## Settings'."""
    section = README[README.index("## Settings") :]
    return re.search(r"```toml\n(.*?)```", section, re.S).group(1)


def test_the_settings_block_is_accepted_as_it_stands(tmp_path):
    data = tomllib.loads(settings_block())
    # the two files it names are read when the settings load: stand-ins of the right shape
    (tmp_path / "msp.csv").write_text("member_id,msp_type\n1EG4TE5MK72,12\n")
    (tmp_path / "cob.toml").write_text(
        '[[patients]]\nage = 67\nmedicare_basis = "age"\n'
        '[[patients.coverages]]\nplan = "MEDICARE"\nkind = "medicare"\npayer_id = "12402"\nmember_id = "M1"\n'
    )
    data["msp"] |= {"msp_file": str(tmp_path / "msp.csv"), "order_facts": str(tmp_path / "cob.toml")}
    settings = Settings.model_validate(data)  # extra="forbid": a renamed or removed key fails here
    assert settings.gate.engine == data["gate"]["engine"]
    assert settings.msp.facts().members == {"1EG4TE5MK72": "12"}


def layout_rows() -> list[str]:
    """The first cell of each row of the Layout table."""
    section = README[README.index("## Layout") :]
    return re.findall(r"^\| (`[^|]+) \|", section, re.M)


def named_rooms() -> set[str]:
    """Each path the Layout table names: the first of a row in full (`rules/posting.py`, `edi/cli/`), the
    others of the row in the first one's folder (`settlement.py` -> `rules/settlement.py`)."""
    rooms = set()
    for row in layout_rows():
        first, *others = (name.rstrip("/") for name in re.findall(r"`([^`]+)`", row))
        folder = first.rpartition("/")[0]
        rooms |= {first, *(f"{folder}/{name}" for name in others)}
    return rooms


def test_every_room_of_the_layout_exists():
    missing = sorted(room for room in named_rooms() if not (ROOT / room).exists())
    assert not missing, f"README Layout names what is not there: {missing}"


def test_the_layout_names_every_room():
    rooms = named_rooms()
    unnamed = []
    for floor in FLOORS:
        for path in sorted((ROOT / floor).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if path.name in ("__init__.py", "__main__.py"):
                continue
            covered = str(relative) in rooms or any(str(parent) in rooms for parent in relative.parents)
            if not covered:
                unnamed.append(str(relative))
    assert not unnamed, f"modules the README Layout does not name: {unnamed}"
