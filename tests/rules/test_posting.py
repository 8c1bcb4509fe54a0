"""Posting and the claim statement: money conserved exactly for every generated case, each dollar counted
once; worked example A and the §5.2 variants; reversals; primary payment checks; ledger rows."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.read835 import read_835
from rules.ledger import Ledger, export_jsonl, read_jsonl
from rules.posting import (
    Adjudication,
    ClaimAccount,
    LinePayment,
    PostedAdjustment,
    StatementPolicy,
    account_for,
    check_primary_payment,
    ledger_entries,
    policy_entries,
    post,
    statement,
)
from tests.support import EXAMPLES, make835

PAYERS = {"P": "11111", "S": "22222", "T": "33333"}
NOW = datetime(2024, 3, 1, 12, 0)


def _claims(name):
    return read_835(EXAMPLES / name)[0][0].claims


def _walk_no_float(value):
    assert not isinstance(value, float), value
    if is_dataclass(value):
        for f in fields(value):
            _walk_no_float(getattr(value, f.name))
    elif isinstance(value, (list, tuple)):
        for v in value:
            _walk_no_float(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            _walk_no_float(k)
            _walk_no_float(v)


def _identity_from_json(d: dict) -> None:
    """charge = Σ paid + Σ counted adjustments + unresolved, and the category totals agree with the rows."""
    dec = Decimal
    rows = d["adjustments"]
    by_cat = {
        c: sum((dec(r["amount"]) for r in rows if r["category"] == c), dec(0))
        for c in ("contractual", "patient", "administrative", "bad-debt", "other")
    }
    assert set(r["category"] for r in rows) <= set(by_cat)
    paid = sum((dec(v) for v in d["paid_by_payer"].values()), dec(0))
    assert dec(d["charge"]) == paid + sum(by_cat.values(), dec(0)) + dec(d["unresolved"])
    assert dec(d["write_off"]["contractual"]) == by_cat["contractual"]
    assert dec(d["write_off"]["administrative"]) == by_cat["administrative"]
    assert dec(d["write_off"]["bad_debt"]) == by_cat["bad-debt"]
    assert dec(d["other_adjustments"]) == by_cat["other"]
    pb = d["patient_balance"]
    assert dec(pb["total"]) == by_cat["patient"]
    assert dec(pb["total"]) == sum(dec(pb[k]) for k in ("deductible", "coinsurance", "copay", "noncovered", "other"))
    assert dec(d["charge"]) == (
        paid
        + dec(d["write_off"]["contractual"])
        + dec(d["write_off"]["administrative"])
        + dec(d["write_off"]["bad_debt"])
        + dec(d["other_adjustments"])
        + dec(pb["total"])
        + dec(d["unresolved"])
    )
    assert d["balanced"] is True


# ------------------------------------------------------------------------------------------ worked example A
def _example_a():
    primary = _claims("A_primary.835")[0]
    secondary = _claims("A_secondary_payer.835")[0]
    acc = account_for("PCN1001", primary.charge, [("P", "11111"), ("S", "22222")])
    r1 = post(acc, Adjudication.from_835(primary, "11111", "P"))
    assert r1.accepted and r1.findings == ()
    return r1.account, secondary


def test_example_a_primary_then_secondary():
    acc, secondary = _example_a()
    after_primary = statement(acc)
    assert after_primary.patient_balance.total == D(47)
    assert after_primary.patient_balance.due_from == "22222"  # pending the secondary, not billed to the patient
    assert (after_primary.patient_balance.deductible, after_primary.patient_balance.coinsurance) == (
        D(20),
        D(27),
    )
    r2 = post(acc, Adjudication.from_835(secondary, "22222", "S"))
    assert r2.accepted and r2.findings == ()
    s = statement(r2.account)
    assert s.patient_balance.total == 0
    assert s.write_off.contractual == D(95)
    assert s.write_off.administrative == 0 and s.write_off.bad_debt == 0
    assert s.unresolved == 0 and s.review == ()
    assert dict(s.paid_by_payer) == {"11111": D(108), "22222": D(47)}
    # OA-23 203 is informational and never posted again
    assert [(a.group, a.reason, a.amount) for a in s.informational if a.reason == "23"] == [("OA", "23", D(203))]
    assert all(a.reason != "23" for a in s.adjustments)
    d = s.to_dict()
    assert d["claim_id"] == "PCN1001" and d["charge"] == "250"
    assert d["write_off"] == {"contractual": "95", "administrative": "0", "bad_debt": "0", "charity": "0"}
    assert d["adjustments"] == [
        {
            "payer": "11111",
            "group": "CO",
            "reason": "45",
            "amount": "95",
            "category": "contractual",
            "action": "WO-C",
        }
    ]
    _identity_from_json(d)


def _secondary(paid, *adjs):
    return Adjudication(
        "22222",
        "S",
        "PCN1001",
        "2",
        D(250),
        D(paid),
        "SECCLM0009",
        adjustments=tuple(PostedAdjustment(g, r, D(a)) for g, r, a in adjs),
    )


def test_variant_secondary_pays_30_with_pr2_17():
    acc, _ = _example_a()
    r = post(acc, _secondary(30, ("OA", "23", 203), ("PR", "2", 17)))
    s = statement(r.account)
    assert s.patient_balance.total == D(17) and s.patient_balance.coinsurance == D(17)
    assert s.patient_balance.due_from == "patient"
    assert s.write_off.contractual == D(95) and s.unresolved == 0
    _identity_from_json(s.to_dict())


def test_variant_secondary_co45_5_pays_42():
    acc, _ = _example_a()
    s = statement(post(acc, _secondary(42, ("OA", "23", 203), ("CO", "45", 5))).account)
    assert s.patient_balance.total == 0
    assert s.write_off.contractual == D(100)  # 95 + 5 more
    assert s.unresolved == 0
    _identity_from_json(s.to_dict())


def test_secondary_underpays_without_pr_is_flagged_not_written_off():
    acc, _ = _example_a()
    s = statement(
        post(acc, _secondary(30, ("OA", "23", 220))).account,
        StatementPolicy(small_balance_threshold=D(100), uncollectible=True),
    )
    assert s.unresolved == D(17)
    assert s.write_off.contractual == D(95) and s.write_off.administrative == 0 and s.write_off.bad_debt == 0
    assert s.patient_balance.total == 0
    assert any("not written off" in r for r in s.review)
    _identity_from_json(s.to_dict())


def test_small_balance_and_bad_debt_policies():
    acc, _ = _example_a()
    account = post(acc, _secondary(30, ("OA", "23", 203), ("PR", "2", 17))).account
    assert statement(account).write_off.administrative == 0  # never by default
    small = statement(account, StatementPolicy(small_balance_threshold=D(20)))
    assert small.write_off.administrative == D(17) and small.patient_balance.total == 0
    assert statement(account, StatementPolicy(small_balance_threshold=D(17))).patient_balance.total == D(17)
    bad = statement(account, StatementPolicy(uncollectible=True))
    assert bad.write_off.bad_debt == D(17) and bad.patient_balance.total == 0
    entries = policy_entries(bad, NOW)
    assert [(e.kind, e.category, e.amount) for e in entries] == [("write-off", "bad-debt", D(17))]
    # with the secondary still to answer, nothing is written off from the primary's PR
    pending = statement(acc, StatementPolicy(small_balance_threshold=D(1000), uncollectible=True))
    assert pending.patient_balance.total == D(47) and pending.write_off.administrative == 0


# ------------------------------------------------------------------------------------------ reversals
def test_example_e_reversal_and_correction():
    original = Adjudication(
        "11111",
        "P",
        "PCN5005",
        "1",
        D(300),
        D(160),
        "PRICLM0005",
        D(40),
        trace="EARLIER",
        lines=(LinePayment("PCN5005-1", D(300), D(160)),),
        adjustments=(
            PostedAdjustment("CO", "45", D(100), "line", "PCN5005-1"),
            PostedAdjustment("PR", "1", D(40), "line", "PCN5005-1"),
        ),
    )
    acc = post(account_for("PCN5005", D(300), [("P", "11111"), ("S", "22222")]), original).account
    reversal, correction = _claims("E_reversal_correction.835")
    r = post(acc, Adjudication.from_835(reversal, "11111", "P"))
    assert r.accepted
    r = post(r.account, Adjudication.from_835(correction, "11111", "P"))
    assert r.accepted and r.findings == ()
    s = statement(r.account)
    assert dict(s.paid_by_payer) == {"11111": D(190)}
    assert s.write_off.contractual == D(70) and s.patient_balance.total == D(40)
    assert s.patient_balance.deductible == D(40) and s.patient_balance.due_from == "22222"
    assert s.unresolved == 0
    _identity_from_json(s.to_dict())
    # the same reversal again is refused (already posted), and so is a reversal of nothing
    again = post(r.account, Adjudication.from_835(reversal, "11111", "P"))
    assert not again.accepted and "already posted" in again.findings[0]
    stray = post(account_for("PCN5005", D(300)), Adjudication.from_835(reversal, "11111", "P"))
    assert not stray.accepted and "no adjudication on file" in stray.findings[0]


def test_reversal_must_negate_exactly():
    a = Adjudication("11111", "P", "C1", "1", D(100), D(80), "ICN1", adjustments=(PostedAdjustment("CO", "45", D(20)),))
    acc = post(account_for("C1", D(100)), a).account
    wrong = Adjudication(
        "11111",
        "P",
        "C1",
        "22",
        D(-100),
        D(-80),
        "ICN1",
        adjustments=(PostedAdjustment("CO", "45", D(-10)), PostedAdjustment("PR", "2", D(-10))),
    )
    r = post(acc, wrong)
    assert not r.accepted and r.account is acc


def test_take_back_leaves_claim_open_with_the_payer():
    a = Adjudication("11111", "P", "C1", "1", D(100), D(80), "ICN1", adjustments=(PostedAdjustment("CO", "45", D(20)),))
    rev = Adjudication(
        "11111", "P", "C1", "22", D(-100), D(-80), "ICN1", adjustments=(PostedAdjustment("CO", "45", D(-20)),)
    )
    acc = post(post(account_for("C1", D(100), [("P", "11111")]), a).account, rev).account
    s = statement(acc)
    assert s.paid_total == 0 and s.unresolved == D(100) and s.patient_balance.due_from == "11111"
    assert s.is_balanced()


def test_findings_on_mismatched_answers():
    acc = account_for("C1", D(100), [("P", "11111"), ("S", "22222")])
    unbalanced = Adjudication(
        "22222", "S", "C1", "2", D(90), D(50), "X", adjustments=(PostedAdjustment("OA", "23", D(30)),)
    )
    r = post(acc, unbalanced)
    assert r.accepted
    text = " ".join(r.findings)
    assert "charge of 90" in text and "B2" in text and "before payer(s) P" in text
    assert not post(acc, Adjudication("1", "P", "OTHER", "1", D(1), D(1))).accepted


# ------------------------------------------------------------------------------------------ properties
def _cents(n: int) -> Decimal:
    return Decimal(n) / Decimal(100)


def _split(data, total: int, k: int) -> list[int]:
    cuts = sorted(data.draw(st.lists(st.integers(0, total), min_size=k - 1, max_size=k - 1)))
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(k)]


def _answer(seq, icn, status, charges, lines):
    """An Adjudication from per-line (paid, [(group, reason, cents)]) in cents."""
    lps, adjs = [], []
    for i, (charge, (paid, parts)) in enumerate(zip(charges, lines, strict=True)):
        key = f"L{i + 1}"
        lps.append(LinePayment(key, _cents(charge), _cents(paid)))
        adjs += [PostedAdjustment(g, r, _cents(c), "line", key) for g, r, c in parts if c]
    return Adjudication(
        PAYERS[seq],
        seq,
        "CLM1",
        status,
        _cents(sum(charges)),
        _cents(sum(p for p, _ in lines)),
        icn,
        adjustments=tuple(adjs),
        lines=tuple(lps),
        trace=f"TRN-{icn}-{status}",
    )


def _negate(adj: Adjudication) -> Adjudication:
    return Adjudication(
        adj.payer_id,
        adj.sequence,
        adj.claim_id,
        "22",
        -adj.charge,
        -adj.paid,
        adj.payer_claim_number,
        None,
        trace="REV-" + adj.trace,
        lines=tuple(LinePayment(lp.line, -lp.charge, -lp.paid) for lp in adj.lines),
        adjustments=tuple(PostedAdjustment(a.group, a.reason, -a.amount, a.level, a.line) for a in adj.adjustments),
    )


@st.composite
def scenarios(draw):
    data = draw(st.data())
    n_payers = draw(st.integers(1, 3))
    charges = draw(st.lists(st.integers(1, 200_000), min_size=1, max_size=3))
    partial_denials = draw(st.booleans())
    expect = {
        "totals": {"contractual": 0, "denied": 0, "hidden": 0},
        "paid": {},
        "last_pr": 0,
        "last_pr_by": {},
    }
    postings: list[Adjudication] = []
    remaining = list(charges)  # per line: what the next payer is asked to consider
    for k, seq in enumerate("PST"[:n_payers]):
        lines, next_remaining = [], []
        last = k == n_payers - 1
        for i, charge in enumerate(charges):
            r = remaining[i]
            if k == 0:
                paid, co45, pr1, pr2, pr3, co50 = _split(data, r, 6)
                if not partial_denials:
                    paid, co50 = paid + co50, 0
                parts = [
                    ("CO", "45", co45),
                    ("PR", "1", pr1),
                    ("PR", "2", pr2),
                    ("PR", "3", pr3),
                    ("CO", "50", co50),
                ]
                hidden = 0
                pr = pr1 + pr2 + pr3
            else:
                underpay = data.draw(st.booleans())
                paid, co45, pr2, pr96, hidden = _split(data, r, 5)
                if not underpay:
                    paid, hidden = paid + hidden, 0
                pr, co50 = pr2 + pr96, 0
                oa23 = charge - paid - co45 - pr2 - pr96
                parts = [("OA", "23", oa23), ("CO", "45", co45), ("PR", "2", pr2), ("PR", "96", pr96)]
            lines.append((paid, parts))
            next_remaining.append(pr)
            expect["totals"]["contractual"] += co45
            expect["totals"]["denied"] += co50
            expect["totals"]["hidden"] += hidden
            expect["paid"][PAYERS[seq]] = expect["paid"].get(PAYERS[seq], 0) + paid
            if last:
                expect["last_pr"] += pr
                for g, reason, c in parts:
                    if g == "PR":
                        expect["last_pr_by"][reason] = expect["last_pr_by"].get(reason, 0) + c
        final = _answer(seq, f"{seq}-NEW", "1" if k == 0 else "2", charges, lines)
        if data.draw(st.booleans()):  # an earlier, wrong answer, reversed and corrected
            wrong_lines = []
            for charge in charges:
                a, b, c = _split(data, charge, 3)
                wrong_lines.append((a, [("CO", "45", b), ("PR", "1", c)]))
            wrong = _answer(seq, f"{seq}-OLD", "1", charges, wrong_lines)
            postings += [wrong, _negate(wrong)]
        postings.append(final)
        remaining = next_remaining
    extra_payer = draw(st.booleans()) and n_payers < 3
    threshold = draw(st.integers(0, 5000))
    uncollectible = draw(st.booleans())
    abandon = draw(st.booleans())
    return charges, n_payers, postings, expect, extra_payer, threshold, uncollectible, abandon


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios())
def test_posting_conserves_money(case):
    charges, n_payers, postings, expect, extra_payer, threshold, uncollectible, abandon = case
    payers = [(s, PAYERS[s]) for s in "PST"[: n_payers + (1 if extra_payer else 0)]]
    account = account_for("CLM1", _cents(sum(charges)), payers)
    for adj in postings:
        result = post(account, adj)
        assert result.accepted, result.findings
        assert result.findings == ()
        account = result.account
    policy = StatementPolicy(
        small_balance_threshold=_cents(threshold),
        uncollectible=uncollectible,
        abandoned=frozenset({("11111", "CO", "50")}) if abandon else frozenset(),
    )
    s = statement(account, policy)
    _walk_no_float(s)
    assert s.is_balanced()
    _identity_from_json(s.to_dict())

    assert {p: a for p, a in s.paid_by_payer if a != 0} == {p: _cents(a) for p, a in expect["paid"].items() if a}
    assert s.unresolved == _cents(expect["totals"]["hidden"])
    assert s.write_off.contractual == _cents(expect["totals"]["contractual"])
    denied = _cents(expect["totals"]["denied"])
    patient = _cents(expect["last_pr"])
    admin = denied if abandon else D(0)
    other = D(0) if abandon else denied
    due_from_patient = not extra_payer
    assert s.patient_balance.due_from == ("patient" if due_from_patient else PAYERS["PST"[n_payers]])
    policy_applies = due_from_patient and s.unresolved == 0 and patient > 0
    if policy_applies and patient < _cents(threshold):
        assert s.write_off.administrative == admin + patient and s.patient_balance.total == 0
        assert s.write_off.bad_debt == 0
    elif policy_applies and uncollectible:
        assert s.write_off.bad_debt == patient and s.patient_balance.total == 0
        assert s.write_off.administrative == admin
    else:
        assert s.patient_balance.total == patient and s.write_off.bad_debt == 0
        assert s.write_off.administrative == admin
        by = expect["last_pr_by"]
        pb = s.patient_balance
        assert (pb.deductible, pb.coinsurance, pb.copay, pb.noncovered) == (
            _cents(by.get("1", 0)),
            _cents(by.get("2", 0)),
            _cents(by.get("3", 0)),
            _cents(by.get("96", 0)),
        )
    assert s.other_adjustments == other
    if s.unresolved:
        assert any("not written off" in r for r in s.review)
    # OA-23 is never counted; only the last payer's PR is
    assert all(a.reason != "23" for a in s.adjustments)
    last_payer = PAYERS["PST"[n_payers - 1]]
    assert all(a.payer == last_payer for a in s.adjustments if a.group == "PR")


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios())
def test_ledger_rows_follow_postings(case):
    charges, n_payers, postings, *_ = case
    account = account_for("CLM1", _cents(sum(charges)), [(s, PAYERS[s]) for s in "PST"[:n_payers]])
    ledger = Ledger()
    for adj in postings:
        account = post(account, adj).account
        ledger.extend(ledger_entries(account, adj, NOW))
    # per payer, the ledger's payments equal its net payment and its rows sum to its net charge
    for seq in "PST"[:n_payers]:
        pid = PAYERS[seq]
        net_paid = sum((a.paid for a in postings if a.payer_id == pid), D(0))
        net_charge = sum((a.charge for a in postings if a.payer_id == pid), D(0))
        rows = [e for e in ledger if e.payer == pid]
        assert sum((e.amount for e in rows if e.kind == "payment"), D(0)) == net_paid
        assert sum((e.amount for e in rows), D(0)) == net_charge
    assert read_jsonl(export_jsonl(ledger)) == ledger


# ------------------------------------------------------------------------------------------ primary check
def test_check_primary_payment_example_a_clean():
    assert check_primary_payment(_claims("A_primary.835")[0]) == []
    fee = {("99214", ()): D(110), ("93000", ()): D(45)}
    assert check_primary_payment(_claims("A_primary.835")[0], fee) == []


def test_check_primary_payment_discrepancies():
    data = make835(
        "LX*1",
        "CLP*C9*1*200*130*30*12*ICN9",
        "SVC*HC:99213*100*90**1",
        "CAS*CO*45*10",
        "AMT*B6*80",
        "SVC*HC:99214:25*100*40**2",
        "CAS*CO*45*40",
        "CAS*PR*2*20",
        "AMT*B6*60",
        bpr02="130",
    )
    claim = read_835(data)[0][0].claims[0]
    fee = {("99214", ("25",)): D(40), ("99213", ()): D(70)}
    found = check_primary_payment(claim, fee)
    kinds = sorted((f.kind, f.line) for f in found)
    assert ("clp05", "") in kinds  # CLP05 30 but Σ PR 20
    assert ("overpayment", "#1") in kinds  # paid 90 > allowed 80
    assert ("allowed-mismatch", "#1") in kinds  # 90 + 0 != 80
    assert ("underpayment", "#2") in kinds  # allowed 60 < 40 x 2 units
    under = next(f for f in found if f.kind == "underpayment")
    assert (under.expected, under.actual) == (D(80), D(60))
    assert not any(f.kind == "underpayment" and f.line == "#1" for f in found)  # 80 >= 70


def test_sequestration_counts_toward_allowed():
    data = make835(
        "LX*1",
        "CLP*C8*1*100*78.04*20*MB*ICN8",
        "SVC*HC:99213*100*78.04**1",
        "CAS*CO*45*0.4**253*1.56",
        "CAS*PR*2*20",
        "AMT*B6*99.6",
        bpr02="78.04",
    )
    claim = read_835(data)[0][0].claims[0]
    assert check_primary_payment(claim) == []


def test_adjudication_from_835_dates_and_keys():
    adj = Adjudication.from_835(_claims("A_secondary_payer.835")[0], "22222", "S")
    assert adj.adjudication_date == date(2024, 2, 15)
    assert adj.trace == "CHK5551" and adj.trace_payer == "1222222222"
    assert [lp.line for lp in adj.lines] == ["PCN1001-1", "PCN1001-2"]
    assert isinstance(ClaimAccount("x", D(1)).charge, Decimal)
