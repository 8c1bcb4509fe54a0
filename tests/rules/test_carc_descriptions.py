"""The CARC/RARC descriptions: one table (rules/data/carc_rarc.tsv, loaded by rules.carc) with its source and
date; every code the rules act on, and every code in the worked examples, has a description."""

from __future__ import annotations

import re

from rules.carc import (
    CARC_TABLE,
    CODE_TEXTS,
    RARC_TABLE,
    UNKNOWN_DEFAULTS,
    carc_description,
    describe,
    patient_words,
    rarc_description,
)
from tests.support import EXAMPLES, ROOT, fixture_files

TABLE = ROOT / "rules" / "data" / "carc_rarc.tsv"


def test_the_table_names_its_source_and_date():
    head = [line for line in TABLE.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    text = "\n".join(head)
    assert "external code source 139" in text and "external code source 411" in text
    assert re.search(r"compiled: \d{4}-\d{2}-\d{2}", text)


def test_every_code_the_rules_use_has_a_description():
    missing = [c for c in CARC_TABLE if ("CARC", c) not in CODE_TEXTS]
    missing += [c for c in RARC_TABLE if ("RARC", c) not in CODE_TEXTS]
    assert missing == []
    assert set(UNKNOWN_DEFAULTS) <= {"PR", "CO", "PI", "OA"}  # groups, described by GROUP_MEANINGS


def test_every_code_of_the_worked_examples_has_a_description():
    carcs, rarcs = set(), set()
    for path in fixture_files(EXAMPLES, "*.835"):
        text = path.read_text()
        for cas in re.findall(r"CAS\*[A-Z]{2}\*([^~]*)~", text):
            parts = cas.split("*")
            carcs.update(parts[0::3])
        rarcs.update(re.findall(r"LQ\*HE\*([A-Z0-9]+)", text))
        for moa in re.findall(r"MOA\*([^~]*)", text):
            rarcs.update(code for code in moa.split("*") if re.fullmatch(r"[MN][A-Z]?\d+", code))
    assert carcs and rarcs
    assert [c for c in carcs if ("CARC", c) not in CODE_TEXTS] == []
    assert [c for c in rarcs if ("RARC", c) not in CODE_TEXTS] == []


def test_descriptions_in_words():
    assert carc_description("45").startswith("Charge exceeds the fee schedule")
    assert rarc_description("MA130").startswith("The claim contains incomplete")
    assert describe("CO", "45").startswith("CO-45: Charge exceeds") and "contractual obligation" in describe("CO", "45")
    assert "no description" in carc_description("ZZ9")  # an unknown code says so, never raises


def test_patient_words_never_show_a_bare_code():
    assert patient_words("PR", "1").startswith("your plan's deductible")
    assert "you do not owe it" in patient_words("CO", "45")
    for group, code in [("PR", "2"), ("PR", "3"), ("PR", "204"), ("CO", "97"), ("CO", "253"), ("CO", "999")]:
        words = patient_words(group, code)
        assert words and not re.search(r"\b(CO|PR|OA|PI)-?\d", words), words
