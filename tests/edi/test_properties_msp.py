"""Properties of Medicare as the secondary payer over generated claims (tests/support/strategies.py for the
837P, strategies_institutional.py for the 837I): the same case is decided twice, once as generated (a
commercial secondary) and once with that secondary turned into Medicare (SBR09 MA/MB), with or without an
SBR05 on the original and an [msp] members entry for its member id.

* No claim to Medicare as secondary leaves without its MSP information: a converted one carries the type
  (837P 2000B SBR05; 837I HI*BE value code with the primary's net payment), also once written and read back.
* The type is the claim's own SBR05, else the settings'; none known: never converted.
* Medicare changes nothing else: a claim that converts for a commercial secondary converts for Medicare
  (unless the line-level rule holds it), and the two claims differ only in 2000B SBR and the HI codes.
"""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers.read835 import read_835
from parsers.read837 import read_837
from rules.balance import check_cob_balance
from rules.msp import MSP_TYPES, MspFacts, missing_msp
from rules.outcome import CONVERTED
from rules.payer_order import next_payer
from rules.policy import Policy
from rules.stage import index_claims, secondary_claims
from tests.support import strategies as S
from tests.support import strategies_institutional as SI
from writers.claim837 import claim_body, parties_from, write_837

CODES = sorted(MSP_TYPES)


@st.composite
def medicare_facts(draw):
    """(SBR09, the original's SBR05 or '', MSP type on file for the member or None, OTAF switch)."""
    return (
        draw(st.sampled_from(["MA", "MB"])),
        draw(st.just("") | st.sampled_from(CODES)),
        draw(st.none() | st.sampled_from(CODES)),
        draw(st.booleans()),
    )


def _decide(b837: bytes, b835: bytes, policy: Policy, edit=None):
    claims, _ = read_837(b837, "original.837")
    if edit is not None:
        for claim in claims:
            edit(claim)
    remittances, _ = read_835(b835, "primary.835")
    payments = [c for r in remittances for c in r.claims]
    return {o.claim_id: o for o in secondary_claims(payments, index_claims(claims), policy)}


def _to_medicare(filing: str, sbr05: str):
    def edit(claim):
        destination = next_payer(claim)
        if destination is not None:
            sbr = destination.segments[0]
            sbr += [""] * (10 - len(sbr))
            sbr[3] = sbr[4] = ""
            sbr[5], sbr[9] = sbr05, filing

    return edit


def _member(outcome) -> str:
    nm1 = outcome.secondary.subscriber.find("NM1", "IL") if outcome.secondary else None
    return nm1[9] if nm1 is not None and len(nm1) > 9 else ""


def _without_msp(claim) -> list[list[str]]:
    body = [s for s in claim_body(claim) if not (s[0] == "HI" and s[1][:3] in ("BE:", "BH:"))]
    return [s for s in claim.subscriber.segments if s[0] != "SBR"] + body


def check(b837: bytes, b835: bytes, facts) -> None:
    filing, sbr05, on_file, otaf = facts
    base = _decide(b837, b835, Policy())
    members = {}
    if on_file:  # the member id of the destination, as the base run's 2010BA shows it
        members = {_member(o): on_file for o in base.values() if o.secondary is not None}
    policy = Policy(msp=MspFacts(members=members, accept_primary_allowed=otaf))
    medicare = _decide(b837, b835, policy, _to_medicare(filing, sbr05))
    assert medicare.keys() == base.keys()
    for claim_id, outcome in medicare.items():
        before = base[claim_id]
        expected = sbr05 or (on_file if before.secondary is not None else None)
        if outcome.disposition != CONVERTED:
            if before.disposition == CONVERTED and expected:  # only the line-level rule may hold it
                assert "for each of the" in outcome.reasons[0], outcome.reasons
            continue
        assert before.disposition == CONVERTED and expected, "converted without a known MSP type"
        claim = outcome.secondary
        assert missing_msp(claim) is None
        assert check_cob_balance(claim) == []
        if claim.kind == "P":
            assert claim.subscriber.sbr[5] == expected and claim.subscriber.sbr[9] == filing
        else:
            codes = [c.split(":") for s in claim.segments if s[0] == "HI" for c in s[1:] if c.startswith("BE:")]
            value_code = MSP_TYPES[expected].value_code
            assert [c[4] for c in codes if c[1] == value_code] == [str(claim.other_payers[0].paid)]
        assert _without_msp(claim) == _without_msp(before.secondary)
        text = write_837([claim], parties_from(claim), itertools.count(1).__next__, datetime(2024, 6, 1))
        (again,), _ = read_837(text.encode("latin-1"), "written.837")
        assert missing_msp(again) is None


@given(S.cases(crossover=None), medicare_facts())
def test_no_professional_claim_to_medicare_leaves_without_its_msp_type(case, facts):
    check(S.render_837(case), S.render_835(case), facts)


@given(SI.institutional_cases(), medicare_facts())
def test_no_institutional_claim_to_medicare_leaves_without_its_value_code(case, facts):
    check(SI.render_837(case), SI.render_835(case), facts)


@pytest.mark.slow
@given(S.cases(crossover=None) | S.cases(convertible=True), medicare_facts())
def test_long_run_of_the_professional_msp_property(case, facts):
    check(S.render_837(case), S.render_835(case), facts)


@pytest.mark.slow
@given(SI.institutional_cases(), medicare_facts())
def test_long_run_of_the_institutional_msp_property(case, facts):
    check(SI.render_837(case), SI.render_835(case), facts)
