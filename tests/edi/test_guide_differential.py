"""pyx12 as the oracle of the guide engine (tests/support/guide_oracle.py): the verdict of every transaction set,
group, interchange and file must agree, on every fixture file, on what the project writes, and on
seeded mutants; the engine never accepts a set pyx12 rejects.

Default run: every corpus/example file, the converted examples, a small generated pair and a sample of
mutants. `make test-long` (-m slow): thousands of mutants and a 2,000-claim converted output.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from edi.config import Settings
from edi.pipeline import convert
from edi.validation.fast_engine import STOP_RULES, validate_bytes
from tests.support import EXAMPLES, FIXTURES
from tests.support.guide_oracle import (
    KNOWN_PYX12_ERRORS,
    compare,
    excused,
    fixture_sources,
    make_mutant,
    mutant_sources,
)

FILES = fixture_sources()
MUTANT_SOURCES = mutant_sources()


def _agree(data: bytes, name: str, rules: bool = True) -> None:
    """Same verdicts (a listed pyx12 error excusing a stricter engine); with `rules`, the same findings
    (rule and segment ordinal, every one)."""
    result = compare(data, name)
    assert not result.we_accept_what_pyx12_rejects, result.we_accept_what_pyx12_rejects
    if result.differences:
        assert excused(result), (result.differences, result.our_rules, result.their_rules)
    elif rules and not set(KNOWN_PYX12_ERRORS) & {rule for rule, _ in result.our_rules}:
        assert result.our_rules == result.their_rules


def test_every_listed_pyx12_error_names_its_rule():
    for rule, reason in KNOWN_PYX12_ERRORS.items():
        assert rule in STOP_RULES and "X12" in reason


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:60])
def test_fixture_files_agree(path: Path):
    _agree(path.read_bytes(), str(path))


# ------------------------------------------------------------------------------------------ our outputs
CASES = [
    ("A_primary.835", ["A_original.837"]),
    ("B_primary.835", ["B_original.837"]),
    ("C_primary.835", ["C_original.837"]),
    ("C2_primary.835", ["C2_original.837"]),
    ("E_reversal_correction.835", ["E_original.837"]),
]
INSTITUTIONAL = [(f"I{n}_primary.835", [f"I{n}_original.837"]) for n in (1, 2, 3)]


@pytest.mark.parametrize("remit, claims", CASES + INSTITUTIONAL, ids=lambda x: str(x))
def test_converted_examples_agree(remit, claims, tmp_path):
    folder = EXAMPLES if remit in dict(CASES) else FIXTURES / "institutional"
    result = convert(folder / remit, [folder / c for c in claims], None, None, Settings(state_dir=tmp_path))
    assert result.text, "every case here converts (example D, a crossover, converts nothing: it is not listed)"
    data = result.text.encode("ascii")
    assert validate_bytes(data, remit).ok
    _agree(data, remit)


def _generated_output(n_claims: int, seed: int, tmp_path: Path) -> bytes:
    from benchmarks.generate import write_pair

    p837, p835 = write_pair(tmp_path, n_claims, seed)
    result = convert(p835, [p837], None, None, Settings(state_dir=tmp_path / "state"), keep_claims=False)
    return result.text.encode("ascii")


def test_generated_output_agrees(tmp_path):
    data = _generated_output(60, 7, tmp_path)
    result = validate_bytes(data, "generated")
    assert result.ok and result.transactions
    _agree(data, "generated")


@pytest.mark.slow
def test_large_generated_output_agrees(tmp_path):
    data = _generated_output(2000, 11, tmp_path)
    assert validate_bytes(data, "generated").ok
    _agree(data, "generated-2000")


# ------------------------------------------------------------------------------------------ mutants
def _mutant(seed: int) -> tuple[bytes, str]:
    return make_mutant(seed, MUTANT_SOURCES)


@pytest.mark.parametrize("seed", range(40))
def test_mutants_agree(seed):
    data, what = _mutant(seed)
    _agree(data, what, rules=False)


def _mutant_count() -> int:
    return 5000 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 2000


@pytest.mark.slow
def test_many_mutants_agree():
    disagreements = []
    for seed in range(1000, 1000 + _mutant_count()):
        data, what = _mutant(seed)
        try:
            _agree(data, what, rules=False)
        except AssertionError as exc:
            disagreements.append((what, str(exc)[:300]))
    assert not disagreements, disagreements[:5]


# ------------------------------------------------------------------------------------------ the 999 builder
SOURCES_837 = [p for p in MUTANT_SOURCES if b"*HC*" in p.read_bytes()[106:400]]


@pytest.mark.parametrize("seed", range(16))
def test_the_999_builder_reads_our_findings_as_it_reads_pyx12s(seed, tmp_path):
    """edi.validate.plan_acks on the engine's findings plans the same 999s and TA1s as on pyx12's."""
    from edi.validation import plan_acks, validate_file

    data, what = make_mutant(seed, SOURCES_837)
    path = tmp_path / "mutant.837"
    path.write_bytes(data)
    verdict = validate_file(path)
    theirs = plan_acks(verdict)
    ours = validate_bytes(data, str(path)).findings
    listed = set(KNOWN_PYX12_ERRORS) & {f.rule for f in ours}
    assert not listed, f"{what}: a listed pyx12 error ({listed}) makes the plans differ on purpose: pick other seeds"
    verdict.guide_findings = ours
    assert plan_acks(verdict) == theirs, what
