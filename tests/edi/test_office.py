"""The billing office from the command line (issue 17): a denial worked to its end with its history kept,
the write-off and denial reports tying to `edi ledger export` to the cent, the collection effort to bad debt
and its reversal."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal as D

import pytest

from rules.ledger import read_jsonl
from tests.support.office import edi, item_id, ledger_by_category, post_b_paid, statement, worked_store

CATEGORIES = {
    "contractual": "contractual",
    "administrative": "administrative",
    "bad_debt": "bad-debt",
    "charity": "charity",
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The worked examples, the secondaries' answers, then a denial lost and written off, a won appeal paid,
    and the collection effort on example A's 17 left to the patient."""
    tmp = tmp_path_factory.mktemp("office")
    state = worked_store(tmp)
    co50, co197 = item_id(state, "PCN2002", "50"), item_id(state, "PCN2002", "197")
    steps = [
        ("note", co50, "called the payer: records requested", "--by", "ann", "--on", "2024-03-11"),
        ("set", co50, "appealed", "--by", "ann", "--on", "2024-03-12"),
        ("set", co50, "lost", "--by", "ann", "--on", "2024-04-20", "--text", "upheld: not medically necessary"),
        ("set", co197, "appealed", "--by", "bob", "--on", "2024-03-15"),
        ("set", co197, "won", "--by", "bob", "--on", "2024-05-20", "--amount", "90"),
    ]
    for kind, item, *rest in steps:
        args = ["worklist", kind, item, *rest, "--state", state]
        code, out = edi(*args)
        assert code == 0, out
    post_b_paid(tmp, state)
    for day in ("2024-03-10", "2024-04-10", "2024-05-10", "2024-07-10"):
        code, out = edi("collections", "run", "--today", day, "--state", state)
        assert code == 0, out
    return {"state": state, "co50": co50, "co197": co197, "tmp": tmp}


def show(state, item) -> dict:
    code, out = edi("worklist", "show", item, "--state", state, "--json")
    assert code == 0, out
    return json.loads(out)


def test_a_denial_worked_to_its_end_keeps_its_history(store):
    lost = show(store["state"], store["co50"])
    assert (lost["status"], lost["stage"]) == ("resolved", "lost")
    assert [(h["step"], h["on"], h["by"]) for h in lost["history"]] == [
        ("note", "2024-03-11", "ann"),
        ("appealed", "2024-03-12", "ann"),
        ("lost", "2024-04-20", "ann"),
    ]
    assert lost["history"][2]["amount"] == "80" and "upheld" in lost["history"][2]["text"]
    won = show(store["state"], store["co197"])
    assert (won["status"], won["stage"]) == ("resolved", "paid")  # the payer's new 835 closed it
    assert [h["step"] for h in won["history"]] == ["appealed", "won", "paid"] and won["history"][-1]["by"] == "edi"
    code, out = edi("worklist", "--state", store["state"], "--json", "--today", "2024-06-01")
    assert [r["id"] for r in json.loads(out) if r["claim_id"] == "PCN2002" and r["id"]] == []  # resolved: gone


def test_the_lost_denial_is_an_administrative_write_off_in_the_statement_and_the_ledger(store):
    s = statement(store["state"], "PCN2002")
    assert s["write_off"]["administrative"] == "80" and s["other_adjustments"] == "0" and s["balanced"]
    assert dict(s["paid_by_payer"]) == {"11111": "60", "22222": "115"}  # the won appeal paid
    assert [i["stage"] for i in s["worklist"]] == ["lost", "paid"]  # the history shown with the statement
    rows = [e for e in read_jsonl(edi("ledger", "export", "--state", store["state"])[1]) if e.claim == "PCN2002"]
    office = [e for e in rows if e.note.startswith("office:")]
    assert sorted((e.kind, e.category, e.amount) for e in office) == [
        ("adjustment", "other", D(-80)),
        ("write-off", "administrative", D(80)),
    ]


def test_reopened_reverses_the_write_off_and_the_step_can_be_refused(tmp_path):
    state = worked_store(tmp_path)
    item = item_id(state, "PCN2002", "197")
    assert edi("worklist", "set", item, "written-off", "--amount", "40", "--state", state)[0] == 0
    assert statement(state, "PCN2002")["write_off"]["administrative"] == "40"
    code, out = edi("worklist", "set", item, "appealed", "--state", state)
    assert code == 2 and "reopen it first" in out
    assert edi("worklist", "set", item, "reopened", "--state", state)[0] == 0
    s = statement(state, "PCN2002")
    assert s["write_off"]["administrative"] == "0" and s["other_adjustments"] == "170" and s["balanced"]
    code, out = edi("worklist", "set", item, "lost", "--amount", "91", "--state", state)
    assert code == 2 and "at most the 90" in out
    assert edi("worklist", "set", 999, "lost", "--state", state)[0] == 2
    assert edi("worklist", "set", item, "lost", "--amount", "x", "--state", state)[0] == 2


def test_a_payer_reversal_undoes_the_write_off_of_the_denial_it_takes_back(tmp_path):
    """The office wrote off the secondary's CO-197 (90); the secondary then reverses that answer and pays the
    line: the write-off is undone (it rested on an answer that no longer stands), the item is closed with a
    `reversed` step, and the statement, the ledger and both reports agree."""
    state = worked_store(tmp_path)
    item = item_id(state, "PCN2002", "197")
    assert edi("worklist", "set", item, "written-off", "--on", "2024-03-20", "--state", state)[0] == 0
    assert statement(state, "PCN2002")["write_off"]["administrative"] == "90"
    post_b_paid(tmp_path, state)
    s = statement(state, "PCN2002")
    assert s["write_off"]["administrative"] == "0" and s["balanced"]
    assert s["paid_by_payer"] == {"11111": "60", "22222": "115"} and s["other_adjustments"] == "80"  # CO-50 open
    ledger = ledger_by_category(state)
    assert ledger["administrative"] == 0 and ledger["other"] == D(80)
    shown = show(state, item)
    assert (shown["status"], shown["stage"]) == ("closed", "reversed")
    assert [(h["step"], h["amount"]) for h in shown["history"]] == [("written-off", "90"), ("reversed", "-90")]
    writeoffs = json.loads(edi("report", "write-offs", "--format", "json", "--state", state)[1])
    assert writeoffs["totals"]["administrative"] == "0.00"
    denials = json.loads(edi("report", "denials", "--format", "json", "--state", state)[1])
    payer = next(r for r in denials["by_payer"] if r["payer"] == "22222")
    assert (payer["lost"], payer["written_off"]) == (0, "0.00")


@pytest.mark.parametrize("by", ["category", "payer", "reason", "month", "provider"])
def test_every_write_off_report_ties_to_the_ledger_export(store, by):
    code, out = edi("report", "write-offs", "--by", by, "--format", "json", "--state", store["state"])
    assert code == 0
    report = json.loads(out)
    assert set(report) == {"from", "to", "totals", "rows"}
    ledger = ledger_by_category(store["state"], kind="write-off")
    for key, category in CATEGORIES.items():
        assert D(report["totals"][key]) == ledger.get(category, D(0)), key
        assert sum(D(r[key]) for r in report["rows"]) == D(report["totals"][key])
    code, text = edi("report", "write-offs", "--by", by, "--format", "csv", "--state", store["state"])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sum(D(r["total"]) for r in rows) == sum(D(v) for v in report["totals"].values())


def test_the_write_off_totals_equal_the_statements(store):
    """The drop of the worked examples, then the secondaries' answers and the office's work: the report's
    totals equal the sum of every claim's statement."""
    report = json.loads(edi("report", "write-offs", "--format", "json", "--state", store["state"])[1])
    claims = {e.claim for e in read_jsonl(edi("ledger", "export", "--state", store["state"])[1])}
    sums = {k: D(0) for k in CATEGORIES}
    for claim in claims:
        for key in CATEGORIES:
            sums[key] += D(statement(store["state"], claim)["write_off"][key])
    assert {k: D(v) for k, v in report["totals"].items()} == sums
    assert sums["administrative"] == D(80) and sums["bad_debt"] == D(17) and sums["contractual"] > 0
    by_reason = json.loads(
        edi("report", "write-offs", "--by", "reason", "--format", "json", "--state", store["state"])[1]
    )
    co50 = next(r for r in by_reason["rows"] if r["reason"] == "CO-50")
    assert co50["administrative"] == "80.00" and co50["description"].startswith("Non-covered service")
    # the RARC the payer gave with it (B_primary.835 LQ*HE*N115), in words, in every format
    assert co50["remarks"] == [
        {"code": "N115", "description": "This decision was based on a Local Coverage Determination"}
    ]
    table = edi("report", "write-offs", "--by", "reason", "--state", store["state"])[1]
    assert next(line for line in table.splitlines() if line.startswith("CO-50")).rstrip().endswith("N115")
    rows = csv.DictReader(
        io.StringIO(edi("report", "write-offs", "--by", "reason", "--format", "csv", "--state", store["state"])[1])
    )
    assert next(r for r in rows if r["reason"] == "CO-50")["remarks"] == "N115: " + co50["remarks"][0]["description"]


def test_a_date_range_selects_by_posting_day(store):
    report = json.loads(
        edi(
            "report",
            "write-offs",
            "--from",
            "1999-01-01",
            "--to",
            "1999-12-31",
            "--format",
            "json",
            "--state",
            store["state"],
        )[1]
    )
    assert report["from"] == "1999-01-01" and report["rows"] == []
    assert set(report["totals"].values()) == {"0.00"}
    assert edi("report", "write-offs", "--from", "2024-02-01", "--to", "2024-01-01", "--state", store["state"])[0] == 2


def test_the_denial_report(store):
    code, out = edi("report", "denials", "--format", "json", "--state", store["state"])
    report = json.loads(out)
    t = report["totals"]
    assert (t["items"], t["amount"], t["open"], t["resolved"], t["won"], t["lost"]) == (2, "170.00", 0, 2, 1, 1)
    assert t["written_off"] == "80.00"  # equals the ledger's administrative write-off of the lost appeal
    # days from the payer's denial (its 835 date) to the resolution: CO-50 2024-02-20 -> 2024-04-20 (60),
    # CO-197 2024-03-05 -> the new 835 of 2024-06-01 (88)
    assert t["average_days_to_resolve"] == "74.0"
    payers = {r["payer"]: r for r in report["by_payer"]}
    assert payers["11111"]["denied_answers"] == 1 and payers["22222"]["amount"] == "90.00"
    assert D(payers["11111"]["denial_rate"]) == (D(1) / payers["11111"]["answers"]).quantize(D("0.0001"))
    reasons = [r["reason"] for r in report["by_reason"]]
    assert reasons == ["CO-197", "CO-50"]
    code, text = edi("report", "denials", "--state", store["state"])
    assert code == 0 and "CO-197" in text and "Precertification" in text


def test_collections_to_bad_debt_then_a_payment_reverses_it(store):
    s = statement(store["state"], "PCN1001")
    assert s["write_off"]["bad_debt"] == "17" and s["patient_balance"]["total"] == "0"
    code, out = edi("collections", "payment", "PCN1001", "12.50", "--on", "2024-08-01", "--state", store["state"])
    assert code == 0, out
    assert json.loads(out)["bad_debt_reversed"] == "12.50"
    s = statement(store["state"], "PCN1001")
    assert s["write_off"]["bad_debt"] == "4.50" and s["paid_by_payer"]["patient"] == "12.50" and s["balanced"]
    code, out = edi("collections", "payment", "PCN1001", "5", "--state", store["state"])
    assert code == 2 and "more than" in out


@pytest.mark.parametrize("first_bill,reportable", [("2024-06-29", True), ("2024-06-30", False)])
def test_medicare_bad_debt_is_deductible_and_coinsurance_billed_within_120_days(tmp_path, first_bill, reportable):
    """Example A with a Medicare primary: the patient's PR-2 17 (coinsurance) is Medicare bad debt only when
    the first statement went out within 120 days of the secondary's remittance (2024-03-01)."""
    state = worked_store(tmp_path, denial=False)
    config = tmp_path / "edi.toml"
    config.write_text('[posting.payer_classes]\n"11111" = "medicare"\n')
    for day in (first_bill, "2024-08-01", "2024-09-01", "2024-12-01"):
        assert edi("collections", "run", "--today", day, "--state", state, "--config", config)[0] == 0
    rows = [e for e in read_jsonl(edi("ledger", "export", "--state", state)[1]) if e.category == "bad-debt"]
    assert [(e.reason, e.amount) for e in rows] == [("2", D(17))]
    assert ("Medicare bad debt (deductible/coinsurance)" in rows[0].note) is reportable
    assert ("first bill after the 120-day window" in rows[0].note) is not reportable
