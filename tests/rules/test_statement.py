"""The statement: each dollar of the charge counted once, whatever convention a later payer uses.

Worked: example A (charge 250; the primary paid 108, CO-45 95, PR 47) answered by the secondary in every way
real secondaries answer, the rows of issue 12's table; RFI 1696 (Medicaid after Medicare); example E;
patient-balance policy. Properties: the charge is conserved exactly for generated answers in any convention,
and the ledger rows agree with the statement after every posting.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.read835 import read_835
from rules.ledger import Ledger, corrections, export_jsonl, payment_rows, read_jsonl
from rules.posting import Answer, LinePayment, PostedAdjustment, account_for, post
from rules.settlement import CARRIED, CREDIT, OTHER, PATIENT, RESTATED, WRITE_OFFS
from rules.statement import StatementPolicy, statement
from tests.support import EXAMPLES

NOW = datetime(2024, 3, 1, 12, 0)
L1, L2 = "PCN1001-1", "PCN1001-2"


def _claims(name):
    return read_835(EXAMPLES / name)[0][0].claims


def _example_a():
    primary = _claims("A_primary.835")[0]
    acc = account_for("PCN1001", primary.charge, [("P", "11111"), ("S", "22222")])
    result = post(acc, Answer.from_835(primary, "11111", "P"))
    assert result.accepted and result.findings == ()
    return result.account


def _secondary(paid, *adjs, lines=(), status="2"):
    """The secondary's answer on example A: adjustments (group, reason, amount[, line key])."""
    posted = tuple(
        PostedAdjustment(a[0], a[1], D(a[2]), "line" if len(a) > 3 else "claim", a[3] if len(a) > 3 else "")
        for a in adjs
    )
    line_payments = tuple(LinePayment(key, D(charge), D(p)) for key, charge, p in lines)
    return Answer(
        "22222", "S", "PCN1001", status, D(250), D(paid), "SECCLM0009", adjustments=posted, lines=line_payments
    )


def _settled(answer, policy=None):
    result = post(_example_a(), answer)
    assert result.accepted
    s = statement(result.account, policy or StatementPolicy())
    _check_identity(s)
    return s


def _check_identity(s) -> None:
    """Every part placed on its own; the parts add up to the charge; the JSON says the same."""
    _walk_no_float(s)
    d = s.to_dict()
    dec = Decimal
    counted = {c: dec(0) for c in (*WRITE_OFFS, PATIENT, OTHER, CREDIT)}
    for row in d["adjustments"]:
        counted[row["category"]] += dec(row["amount"])
    assert all(row["category"] in (RESTATED, CARRIED) for row in d["informational"])
    paid = sum((dec(v) for v in d["paid_by_payer"].values()), dec(0))
    wo = d["write_off"]
    assert (dec(wo["contractual"]), dec(wo["administrative"]), dec(wo["bad_debt"]), dec(wo["charity"])) == tuple(
        counted[c] for c in WRITE_OFFS
    )
    assert dec(d["other_adjustments"]) == counted[OTHER] and dec(d["credit"]) == -counted[CREDIT]
    pb = d["patient_balance"]
    assert dec(pb["total"]) == counted[PATIENT]
    assert dec(pb["total"]) == sum(dec(pb[k]) for k in ("deductible", "coinsurance", "copay", "noncovered", "other"))
    placed = paid + sum(counted.values(), dec(0)) + dec(d["awaiting_payer"])
    assert (placed == dec(d["charge"])) is d["balanced"]
    assert dec(d["charge"]) == placed + dec(d["unresolved"])


def _walk_no_float(value):
    assert not isinstance(value, float), value
    if is_dataclass(value):
        for f in fields(value):
            _walk_no_float(getattr(value, f.name))
    elif isinstance(value, (list, tuple)):
        for v in value:
            _walk_no_float(v)


def _summary(s) -> tuple:
    return (s.write_off.contractual, s.patient_balance.total, s.other_adjustments, s.credit, s.unresolved)


# ------------------------------------------------------------------------------------------ example A
def test_example_a_after_the_primary_the_patient_share_waits_for_the_secondary():
    s = statement(_example_a())
    _check_identity(s)
    assert s.patient_balance.total == D(47) and s.patient_balance.due_from == "22222"
    assert (s.patient_balance.deductible, s.patient_balance.coinsurance) == (D(20), D(27))
    assert s.write_off.contractual == D(95) and s.is_balanced()


def test_example_a_secondary_835_as_sent():
    secondary = _claims("A_secondary_payer.835")[0]
    result = post(_example_a(), Answer.from_835(secondary, "22222", "S"))
    assert result.accepted and result.findings == ()
    s = statement(result.account)
    _check_identity(s)
    assert _summary(s) == (D(95), 0, 0, 0, 0) and s.is_balanced()
    assert dict(s.paid_by_payer) == {"11111": D(108), "22222": D(47)}
    assert [(a.group, a.reason, a.amount, a.category) for a in s.informational if a.reason == "23"] == [
        ("OA", "23", D(203), RESTATED)
    ]
    assert all(a.reason != "23" for a in s.adjustments)
    d = s.to_dict()
    assert d["write_off"] == {"contractual": "95", "administrative": "0", "bad_debt": "0", "charity": "0"}
    assert d["adjustments"] == [
        {"payer": "11111", "group": "CO", "reason": "45", "amount": "95", "category": "contractual", "action": "WO-C"}
    ]


# ------------------------------------------------------------------------------------------ issue 12's table
LINES = ((L1, 150, 38), (L2, 100, 9))


def test_oa23_of_the_primary_paid_and_contractual():
    s = _settled(_secondary(47, ("OA", "23", 112, L1), ("OA", "23", 91, L2), lines=LINES))
    assert _summary(s) == (D(95), 0, 0, 0, 0)


def test_oa23_of_the_primary_paid_only_and_a_restated_co45():
    s = _settled(
        _secondary(
            47, ("OA", "23", 72, L1), ("CO", "45", 40, L1), ("OA", "23", 36, L2), ("CO", "45", 55, L2), lines=LINES
        )
    )
    assert _summary(s) == (D(95), 0, 0, 0, 0)
    assert sorted(a.amount for a in s.informational if a.group == "CO") == [D(95)]  # summed over the lines


def test_no_oa23_and_co45_for_everything_it_did_not_pay_rfi_2194():
    s = _settled(_secondary(47, ("CO", "45", 203)))
    assert _summary(s) == (D(95), 0, 0, 0, 0)
    assert [(a.group, a.reason, a.amount) for a in s.informational if a.category == RESTATED] == [("CO", "45", D(203))]


def test_co23_instead_of_oa23_is_restatement():
    s = _settled(_secondary(47, ("CO", "23", 203)))
    assert _summary(s) == (D(95), 0, 0, 0, 0) and s.write_off.total == D(95)


def test_whole_charge_pr96_after_a_primary_payment_leaves_the_patient_47_non_covered():
    s = _settled(_secondary(0, ("PR", "96", 250), status="4"))
    assert _summary(s) == (D(95), D(47), 0, 0, 0)
    assert s.patient_balance.noncovered == D(47) and s.patient_balance.due_from == "patient"


def test_whole_charge_co27_after_a_primary_payment_keeps_47_open_as_a_denial():
    s = _settled(_secondary(0, ("CO", "27", 250), status="4"))
    assert _summary(s) == (D(95), 0, D(47), 0, 0)
    open_items = [a for a in s.adjustments if a.category == OTHER]
    assert [(a.payer, a.group, a.reason, a.amount) for a in open_items] == [("22222", "CO", "27", D(47))]
    assert any("open item" in r for r in s.review)


def test_rfi_1696_medicaid_after_medicare():
    acc = account_for("C1696", D(500), [("P", "MCR"), ("S", "MCD")])
    medicare = Answer(
        "MCR",
        "P",
        "C1696",
        "1",
        D(500),
        D(300),
        "M1",
        adjustments=(
            PostedAdjustment("CO", "45", D(125)),
            PostedAdjustment("PR", "2", D(75)),
        ),
    )
    medicaid = Answer(
        "MCD", "S", "C1696", "2", D(500), D(65), "D1", adjustments=(PostedAdjustment("CO", "45", D(435)),)
    )
    s = statement(post(post(acc, medicare).account, medicaid).account)
    _check_identity(s)
    assert _summary(s) == (D(135), 0, 0, 0, 0) and s.is_balanced()


# ------------------------------------------------------------------------------------------ other answers
def test_secondary_pays_30_and_reports_pr2_17():
    s = _settled(_secondary(30, ("OA", "23", 203), ("PR", "2", 17)))
    assert _summary(s) == (D(95), D(17), 0, 0, 0) and s.patient_balance.coinsurance == D(17)


def test_secondary_with_its_own_co45_5_pays_42():
    s = _settled(_secondary(42, ("OA", "23", 203), ("CO", "45", 5)))
    assert _summary(s) == (D(100), 0, 0, 0, 0)


def test_oa23_for_everything_it_did_not_pay_keeps_the_carried_pr_the_patients():
    s = _settled(_secondary(30, ("OA", "23", 220)))
    assert _summary(s) == (D(95), D(17), 0, 0, 0) and s.is_balanced()
    assert s.patient_balance.coinsurance == D(17)  # the primary's PR-2, which the secondary did not pay


def test_a_secondary_paying_beyond_what_was_open_is_a_credit_to_review():
    s = _settled(_secondary(60, ("OA", "23", 180), ("CO", "45", 10)))
    assert _summary(s) == (D(95), 0, 0, D(13), 0) and s.is_balanced()
    assert any("refund" in r for r in s.review)


def test_an_answer_that_does_not_add_up_is_unresolved_never_written_off():
    s = _settled(_secondary(30, ("OA", "23", 150)), StatementPolicy(small_balance_threshold=D(100), uncollectible=True))
    assert s.unresolved == D(17) and not s.is_balanced()  # 47 open - 30 paid, and nothing said why
    assert s.write_off.administrative == 0 and s.write_off.bad_debt == 0
    assert any("cannot be placed" in r for r in s.review)


def test_small_balance_and_bad_debt_policies():
    account = post(_example_a(), _secondary(30, ("OA", "23", 203), ("PR", "2", 17))).account
    assert statement(account).write_off.administrative == 0  # never by default
    small = statement(account, StatementPolicy(small_balance_threshold=D(20)))
    assert small.write_off.administrative == D(17) and small.patient_balance.total == 0
    assert statement(account, StatementPolicy(small_balance_threshold=D(17))).patient_balance.total == D(17)
    bad = statement(account, StatementPolicy(uncollectible=True))
    assert bad.write_off.bad_debt == D(17) and bad.patient_balance.total == 0
    pending = statement(_example_a(), StatementPolicy(small_balance_threshold=D(1000), uncollectible=True))
    assert pending.patient_balance.total == D(47) and pending.write_off.administrative == 0


def test_example_e_after_reversal_and_correction():
    original = Answer(
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
    for claim in _claims("E_reversal_correction.835"):
        acc = post(acc, Answer.from_835(claim, "11111", "P")).account
    s = statement(acc)
    _check_identity(s)
    assert dict(s.paid_by_payer) == {"11111": D(190)}
    assert s.write_off.contractual == D(70) and s.patient_balance.total == D(40)
    assert s.patient_balance.deductible == D(40) and s.patient_balance.due_from == "22222"


def test_a_take_back_leaves_the_charge_awaiting_the_payer():
    a = Answer("11111", "P", "C1", "1", D(100), D(80), "ICN1", adjustments=(PostedAdjustment("CO", "45", D(20)),))
    rev = Answer("11111", "P", "C1", "22", D(-100), D(-80), "ICN1", adjustments=(PostedAdjustment("CO", "45", D(-20)),))
    s = statement(post(post(account_for("C1", D(100), [("P", "11111")]), a).account, rev).account)
    _check_identity(s)
    assert s.paid_total == 0 and s.awaiting_payer == D(100) and s.patient_balance.due_from == "11111"
    assert s.is_balanced() and s.unresolved == 0


# ------------------------------------------------------------------------------------------ properties
PAYERS = {"P": "11111", "S": "22222", "T": "33333"}
CONVENTIONS = ("oa23", "co23", "paid-only", "into-co45")


def _cents(n: int) -> Decimal:
    return Decimal(n) / Decimal(100)


def _split(data, total: int, k: int) -> list[int]:
    cuts = sorted(data.draw(st.lists(st.integers(0, total), min_size=k - 1, max_size=k - 1)))
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(k)]


def _answer(seq, icn, status, charges, lines):
    """An Answer from per-line (paid, [(group, reason, cents)]) in cents."""
    lps, adjs = [], []
    for i, (charge, (paid, parts)) in enumerate(zip(charges, lines, strict=True)):
        key = f"L{i + 1}"
        lps.append(LinePayment(key, _cents(charge), _cents(paid)))
        adjs += [PostedAdjustment(g, r, _cents(c), "line", key) for g, r, c in parts if c]
    return Answer(
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


def _negate(adj: Answer) -> Answer:
    return Answer(
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


def _later_line(data, convention, charge, remaining, earlier_parts):
    """One later payer's answer on a line of which `remaining` was left open: (paid, parts, own figures)."""
    paid, co45, pr2, pr96, hidden = _split(data, remaining, 5)
    if convention in ("paid-only", "into-co45"):  # these conventions cannot say "not paid, still the patient's"
        paid, hidden = paid + hidden, 0
    restated = charge - remaining
    own = [("CO", "45", co45), ("PR", "2", pr2), ("PR", "96", pr96)]
    if convention == "oa23":
        parts = [("OA", "23", restated + hidden), *own]
    elif convention == "co23":
        parts = [("CO", "23", restated + hidden), *own]
    elif convention == "paid-only":  # OA-23 holds the earlier payments; the earlier adjustments restated
        settled = [(g, r, c) for g, r, c in earlier_parts if g != "PR"]
        parts = [("OA", "23", restated - sum(c for _, _, c in settled)), *settled, *own]
    else:  # no OA-23: the restatement folded into its CO-45
        parts = [("CO", "45", co45 + restated), ("PR", "2", pr2), ("PR", "96", pr96)]
    return paid, parts, {"co45": co45, "pr": pr2 + pr96, "hidden": hidden}


@st.composite
def scenarios(draw):
    data = draw(st.data())
    n_payers = draw(st.integers(1, 3))
    charges = draw(st.lists(st.integers(1, 200_000), min_size=1, max_size=3))
    expect = {"contractual": 0, "denied": 0, "patient": 0, "paid": {}}
    postings: list[Answer] = []
    remaining = list(charges)  # per line: what the next payer is asked to consider
    settled_parts = [[] for _ in charges]  # per line: the earlier payers' own non-PR parts (for restating)
    for k, seq in enumerate("PST"[:n_payers]):
        convention = draw(st.sampled_from(CONVENTIONS))
        lines, next_remaining = [], []
        for i, charge in enumerate(charges):
            if k == 0:
                paid, co45, pr1, pr2, pr3, co50 = _split(data, charge, 6)
                parts = [("CO", "45", co45), ("PR", "1", pr1), ("PR", "2", pr2), ("PR", "3", pr3), ("CO", "50", co50)]
                own = {"co45": co45, "pr": pr1 + pr2 + pr3, "hidden": 0}
                expect["denied"] += co50
                settled_parts[i] = [("CO", "45", co45), ("CO", "50", co50)]
            else:
                paid, parts, own = _later_line(data, convention, charge, remaining[i], settled_parts[i])
                (group, reason, earlier_co45), *rest = settled_parts[i]
                settled_parts[i] = [(group, reason, earlier_co45 + own["co45"]), *rest]
            lines.append((paid, parts))
            next_remaining.append(own["pr"] + own["hidden"])
            expect["contractual"] += own["co45"]
            expect["paid"][PAYERS[seq]] = expect["paid"].get(PAYERS[seq], 0) + paid
        final = _answer(seq, f"{seq}-NEW", "1" if k == 0 else "2", charges, lines)
        if draw(st.booleans()):  # an earlier, wrong answer, reversed and corrected
            wrong = _answer(seq, f"{seq}-OLD", "1", charges, [(c, []) for c in charges])
            postings += [wrong, _negate(wrong)]
        postings.append(final)
        remaining = next_remaining
    expect["patient"] = sum(remaining)
    extra_payer = draw(st.booleans()) and n_payers < 3
    abandon = draw(st.booleans())
    return charges, n_payers, postings, expect, extra_payer, abandon


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios())
def test_each_dollar_is_counted_once_in_any_convention(case):
    charges, n_payers, postings, expect, extra_payer, abandon = case
    payers = [(s, PAYERS[s]) for s in "PST"[: n_payers + (1 if extra_payer else 0)]]
    account = account_for("CLM1", _cents(sum(charges)), payers)
    for answer in postings:
        result = post(account, answer)
        assert result.accepted and result.findings == (), result.findings
        account = result.account
    policy = StatementPolicy(abandoned=frozenset({("11111", "CO", "50")}) if abandon else frozenset())
    s = statement(account, policy)
    _check_identity(s)
    assert s.is_balanced() and s.unresolved == 0 and s.credit == 0
    assert {p: a for p, a in s.paid_by_payer if a} == {p: _cents(a) for p, a in expect["paid"].items() if a}
    assert s.write_off.contractual == _cents(expect["contractual"])
    denied = _cents(expect["denied"])
    assert (s.write_off.administrative, s.other_adjustments) == ((denied, 0) if abandon else (0, denied))
    assert s.patient_balance.total == _cents(expect["patient"])
    next_payer = PAYERS["PST"[n_payers]] if extra_payer else "patient"
    assert s.patient_balance.due_from == next_payer
    assert all(a.reason != "23" for a in s.adjustments)  # CARC 23 is never counted


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios())
def test_the_ledger_agrees_with_the_statement_after_every_posting(case):
    charges, n_payers, postings, *_ = case
    account = account_for("CLM1", _cents(sum(charges)), [(s, PAYERS[s]) for s in "PST"[:n_payers]])
    ledger = Ledger()
    for answer in postings:
        account = post(account, answer).account
        s = statement(account)
        ledger.extend(payment_rows("CLM1", answer, NOW))
        ledger.extend(corrections("CLM1", ledger.entries, s.placements, answer, NOW))
        by_category = {c: ledger.total(category=c) for c in (*WRITE_OFFS, PATIENT, OTHER, CREDIT)}
        wo = s.write_off
        assert [by_category[c] for c in WRITE_OFFS] == [wo.contractual, wo.administrative, wo.bad_debt, wo.charity]
        assert by_category[PATIENT] == s.patient_balance.total and by_category[OTHER] == s.other_adjustments
        assert by_category[CREDIT] == -s.credit
        assert ledger.total(kind="payment") == s.paid_total
    assert read_jsonl(export_jsonl(ledger)) == ledger
