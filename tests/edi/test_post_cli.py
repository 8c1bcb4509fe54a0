"""Issue 6 through the CLI: a claim followed from the primary's 835 to a zero balance (example A), the §5.2
variants, the worklist (order, deadlines, unanswered secondaries), the ledger export, idempotent posting, and
the replacement of a secondary claim when the primary reverses and corrects (example E)."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner

from edi.cli import cli
from edi.store import open_store
from rules.ledger import read_csv, read_jsonl
from tests.support import ROOT, normalise, segments

FIXTURES = ROOT / "fixtures"
EXAMPLES = FIXTURES / "examples"


def edi(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def drop(tmp_path: Path, name: str, *files: Path) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for f in files:
        shutil.copy(f, folder / f.name)
    return folder


def batch(tmp_path: Path, name: str, *files: Path) -> dict:
    report = tmp_path / f"{name}.json"
    code, _ = edi(
        "batch",
        drop(tmp_path, name, *files),
        "--out",
        tmp_path / "out",
        "--state",
        tmp_path / "state",
        "--report",
        report,
        "--quiet",
    )
    data = json.loads(report.read_text())
    data["exit"] = code
    return data


def statement(tmp_path: Path, claim: str) -> dict:
    code, out = edi("statement", claim, "--state", tmp_path / "state", "--json")
    assert code == 0, out
    return json.loads(out)


def primary_a(tmp_path: Path) -> None:
    report = batch(tmp_path, "d1", EXAMPLES / "A_original.837", EXAMPLES / "A_primary.835")
    assert report["exit"] == 0
    assert [o["payer_id"] for o in report["outputs"]] == ["22222"]  # the secondary claim was written
    assert report["postings"]["by_sequence"] == {"P": 1} and report["postings"]["posted"] == 1


# ------------------------------------------------------------------------------------------ example A
def test_example_a_from_the_primary_835_to_a_zero_balance(tmp_path):
    primary_a(tmp_path)
    after_primary = statement(tmp_path, "PCN1001")
    assert after_primary["patient_balance"]["total"] == "47"
    assert after_primary["patient_balance"]["due_from"] == "22222"  # pending the secondary, not billed

    code, out = edi("post", EXAMPLES / "A_secondary_payer.835", "--state", tmp_path / "state", "--json")
    assert code == 0, out
    posted = json.loads(out)
    assert posted["posted"] == 1
    claim = posted["claims"][0]
    assert (claim["sequence"], claim["payer"]) == ("S", "22222")
    assert "next expected payer" in claim["resolved_by"] and "member id" in claim["resolved_by"]
    assert "SEC778899" not in out  # the report names no member id (issue 13)

    s = statement(tmp_path, "PCN1001")
    assert s["claim_id"] == "PCN1001" and s["charge"] == "250"
    assert s["paid_by_payer"] == {"11111": "108", "22222": "47"}
    assert s["write_off"] == {"contractual": "95", "administrative": "0", "bad_debt": "0", "charity": "0"}
    assert s["patient_balance"]["total"] == "0"
    assert {k: s["patient_balance"][k] for k in ("deductible", "coinsurance", "copay", "noncovered", "other")} == {
        "deductible": "0",
        "coinsurance": "0",
        "copay": "0",
        "noncovered": "0",
        "other": "0",
    }
    assert [{k: a[k] for k in ("payer", "group", "reason", "amount", "category")} for a in s["adjustments"]] == [
        {"payer": "11111", "group": "CO", "reason": "45", "amount": "95", "category": "contractual"}
    ]
    assert s["unresolved"] == "0" and s["balanced"] is True


def test_posting_the_same_835_twice_posts_nothing_new(tmp_path):
    primary_a(tmp_path)
    edi("post", EXAMPLES / "A_secondary_payer.835", "--state", tmp_path / "state")
    store = open_store(tmp_path / "state")
    before = (len(store.ledger()), len(store.worklist()))
    store.close()
    code, out = edi("post", EXAMPLES / "A_secondary_payer.835", "--state", tmp_path / "state", "--json")
    again = json.loads(out)
    assert code == 0 and again["posted"] == 0 and again["already_posted"] == 1
    # and through edi batch (a copy under another name: same answers, same trace)
    report = batch(tmp_path, "d2", EXAMPLES / "A_secondary_payer.835")
    assert report["postings"]["posted"] == 0 and report["postings"]["already_posted"] == 1
    assert report["outputs"] == []
    store = open_store(tmp_path / "state")
    assert (len(store.ledger()), len(store.worklist())) == before
    store.close()
    assert statement(tmp_path, "PCN1001")["paid_by_payer"] == {"11111": "108", "22222": "47"}


def test_batch_posts_a_secondary_835_without_billing_anything(tmp_path):
    primary_a(tmp_path)
    report = batch(tmp_path, "d2", EXAMPLES / "A_secondary_payer.835")
    assert report["exit"] == 0
    assert report["claims"]["by_disposition"] == {"posted": 1}
    assert report["outputs"] == []
    assert statement(tmp_path, "PCN1001")["patient_balance"]["total"] == "0"


# ------------------------------------------------------------------------------------------ §5.2 variants
def secondary_variant(tmp_path: Path, paid: str, lines: list[tuple[str, list[str]]]) -> Path:
    """A_secondary_payer.835 with other line payments and adjustments (BPR02, CLP04, CLP05 to match)."""
    text = (EXAMPLES / "A_secondary_payer.835").read_text()
    segs = [s.strip() for s in text.split("~") if s.strip()]
    out, line = [], -1
    pr = 0
    for seg in segs:
        if seg.startswith("SVC*"):
            line += 1
            parts = seg.split("*")
            parts[3] = lines[line][0]
            seg = "*".join(parts)
        elif seg.startswith("CAS*"):
            out += lines[line][1]
            pr += sum(int(c.split("*")[3]) for c in lines[line][1] if c.startswith("CAS*PR"))
            continue
        out.append(seg)
    body = "~\n".join(out) + "~\n"
    body = body.replace("BPR*I*47*", f"BPR*I*{paid}*").replace(
        "CLP*PCN1001*2*250*47**", f"CLP*PCN1001*2*250*{paid}*{pr or ''}*"
    )
    path = tmp_path / "variant.835"
    path.write_text(body)
    return path


def test_variant_secondary_pays_30_and_reports_pr2_17(tmp_path):
    primary_a(tmp_path)
    remit = secondary_variant(
        tmp_path, "30", [("25", ["CAS*OA*23*112", "CAS*PR*2*13"]), ("5", ["CAS*OA*23*91", "CAS*PR*2*4"])]
    )
    code, out = edi("post", remit, "--state", tmp_path / "state")
    assert code == 0, out
    s = statement(tmp_path, "PCN1001")
    assert s["paid_by_payer"] == {"11111": "108", "22222": "30"}
    assert s["patient_balance"]["total"] == "17" and s["patient_balance"]["coinsurance"] == "17"
    assert s["patient_balance"]["due_from"] == "patient"
    assert s["write_off"]["contractual"] == "95"


def test_variant_in_network_secondary_co45_5_pays_42(tmp_path):
    primary_a(tmp_path)
    remit = secondary_variant(tmp_path, "42", [("33", ["CAS*OA*23*112", "CAS*CO*45*5"]), ("9", ["CAS*OA*23*91"])])
    code, out = edi("post", remit, "--state", tmp_path / "state")
    assert code == 0, out
    s = statement(tmp_path, "PCN1001")
    assert s["write_off"]["contractual"] == "100" and s["patient_balance"]["total"] == "0"


def test_small_balance_policy_writes_off_and_the_ledger_records_it(tmp_path):
    primary_a(tmp_path)
    config = tmp_path / "edi.toml"
    config.write_text('[posting]\nsmall_balance_threshold = "20"\n')
    remit = secondary_variant(
        tmp_path, "30", [("25", ["CAS*OA*23*112", "CAS*PR*2*13"]), ("5", ["CAS*OA*23*91", "CAS*PR*2*4"])]
    )
    code, _ = edi("post", remit, "--state", tmp_path / "state", "--config", config)
    assert code == 0
    code, out = edi("statement", "PCN1001", "--state", tmp_path / "state", "--config", config, "--json")
    s = json.loads(out)
    assert s["patient_balance"]["total"] == "0" and s["write_off"]["administrative"] == "17"
    store = open_store(tmp_path / "state")
    rows = [e for e in store.ledger("PCN1001") if e.kind == "write-off" and e.group == "PR"]
    store.close()
    assert sum(e.amount for e in rows) == 17 and {e.category for e in rows} == {"administrative"}
    assert {e.note for e in rows} == {"small balance"} and {e.payer for e in rows} == {"22222"}


# ------------------------------------------------------------------------------------------ worklist
def test_worklist_orders_by_deadline_then_amount_and_flags(tmp_path):
    fees = tmp_path / "fees.csv"
    fees.write_text("code,modifiers,allowed\n99214,,120\n93000,,60\n")
    config = tmp_path / "edi.toml"
    config.write_text(f'[posting]\nfee_schedule = "{fees}"\n')
    report = tmp_path / "r.json"
    code, _ = edi(
        "batch",
        drop(
            tmp_path,
            "d1",
            EXAMPLES / "A_original.837",
            EXAMPLES / "A_primary.835",
            EXAMPLES / "B_original.837",
            EXAMPLES / "B_primary.835",
        ),
        "--out",
        tmp_path / "out",
        "--state",
        tmp_path / "state",
        "--config",
        config,
        "--report",
        report,
        "--quiet",
    )
    data = json.loads(report.read_text())
    a = next(p for p in data["postings"]["exceptions"] if p["claim_id"] == "PCN1001")
    assert any(d.startswith("underpayment") for d in a["discrepancies"])  # flagged in the report

    today = date.today() + timedelta(days=31)
    code, out = edi(
        "worklist", "--state", tmp_path / "state", "--config", config, "--json", "--today", today.isoformat()
    )
    rows = json.loads(out)
    keys = [(r["claim_id"], r["action"], r["reason"], r["amount"], r["deadline"], r["flag"]) for r in rows]
    sent_due = (date.today() + timedelta(days=30)).isoformat()
    assert keys == [
        (
            "PCN2002",
            "APPEAL",
            "50",
            "80",
            "2024-08-18",
            "overdue",
        ),  # CO-50 line: appeal 180 days from 2024-02-20
        (
            "PCN1001",
            "FOLLOW-UP",
            "",
            "",
            sent_due,
            "unanswered",
        ),  # secondary claim sent, no answer in 30 days
        ("PCN2002", "FOLLOW-UP", "", "", sent_due, "unanswered"),
        ("PCN1001", "REVIEW", "underpayment", "15", "", ""),  # 93000: allowed 45 < fee 60
        ("PCN1001", "REVIEW", "underpayment", "10", "", ""),  # 99214: allowed 110 < fee 120
    ]
    # not yet past the response window: the sent claim is not flagged; before the alert date nothing is
    code, out = edi("worklist", "--state", tmp_path / "state", "--config", config, "--json", "--today", "2024-03-01")
    rows = json.loads(out)
    assert [r["action"] for r in rows] == ["APPEAL", "REVIEW", "REVIEW"] and rows[0]["flag"] == ""
    code, out = edi("worklist", "--state", tmp_path / "state", "--config", config, "--json", "--today", "2024-07-20")
    assert json.loads(out)[0]["flag"] == "alert"  # 80% of the 180 days gone
    # the secondary answers: the follow-up disappears
    edi("post", EXAMPLES / "A_secondary_payer.835", "--state", tmp_path / "state")
    code, out = edi("worklist", "--state", tmp_path / "state", "--csv", "--today", today.isoformat())
    lines = out.splitlines()
    assert lines[0].startswith("id,claim_id,line,payer")  # the item id first (issue 17)
    assert [ln.split(",")[1] for ln in lines if "FOLLOW-UP" in ln] == ["PCN2002"]
    assert len(lines) == 5


def test_medicare_payer_class_sets_the_appeal_window(tmp_path):
    config = tmp_path / "edi.toml"
    config.write_text('[posting.payer_classes]\n"11111" = "medicare"\n')
    code, _ = edi(
        "batch",
        drop(tmp_path, "d1", EXAMPLES / "B_original.837", EXAMPLES / "B_primary.835"),
        "--out",
        tmp_path / "out",
        "--state",
        tmp_path / "state",
        "--config",
        config,
        "--quiet",
    )
    code, out = edi("worklist", "--state", tmp_path / "state", "--json", "--today", "2024-03-01")
    (row,) = json.loads(out)
    assert row["deadline"] == "2024-06-24"  # redetermination: 120 days from 2024-02-25 (notice + 5 days; 2024 leap)


def test_configured_windows_set_the_deadlines_of_posting_and_of_working_an_item(tmp_path):
    """[posting.windows]: the commercial appeal window of 90 days (not the default 180) on the item posting
    makes, and a second level of 45 days (not the default 60) when the appeal is lost."""
    config = tmp_path / "edi.toml"
    config.write_text(
        "[posting.windows.commercial]\n"
        'appeal = {days = 90, anchor = "denial"}\n'
        'reconsideration = {days = 45, anchor = "denial", note = "contract 2024-7"}\n'
    )
    state = tmp_path / "state"
    drop_b = drop(tmp_path, "d1", EXAMPLES / "B_original.837", EXAMPLES / "B_primary.835")
    edi("batch", drop_b, "--out", tmp_path / "out", "--state", state, "--config", config, "--quiet")
    (row,) = json.loads(edi("worklist", "--state", state, "--json", "--today", "2024-03-01", "--config", config)[1])
    assert row["deadline"] == "2024-05-20"  # 90 days from the 835's date, 2024-02-20
    item = str(row["id"])
    for step, on in (("appealed", "2024-03-01"), ("lost", "2024-04-10")):
        assert edi("worklist", "set", item, step, "--on", on, "--state", state, "--config", config)[0] == 0
    shown = json.loads(edi("worklist", "show", item, "--json", "--state", state)[1])
    assert shown["deadline"] == "2024-05-25"  # level 2: 45 days from the lost decision


def test_a_window_setting_that_is_not_a_window_is_refused_in_one_line(tmp_path):
    config = tmp_path / "edi.toml"
    config.write_text('[posting.windows.commercial]\nappeal = {days = 90, months = 3, anchor = "denial"}\n')
    result = CliRunner().invoke(cli, ["worklist", "--state", str(tmp_path / "state"), "--config", str(config)])
    (line,) = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and "[posting.windows]" in line and "days or months" in line


# ------------------------------------------------------------------------------------------ ledger
def test_ledger_export_reads_back_equal_to_the_ledger(tmp_path):
    primary_a(tmp_path)
    edi("post", EXAMPLES / "A_secondary_payer.835", "--state", tmp_path / "state")
    store = open_store(tmp_path / "state")
    entries = store.ledger()
    store.close()
    assert len(entries) >= 8
    assert sum(e.amount for e in entries if e.kind == "payment") == 155
    code, out = edi("ledger", "export", "--format", "jsonl", "--state", tmp_path / "state")
    assert code == 0 and list(read_jsonl(out)) == entries
    target = tmp_path / "ledger.csv"
    code, _ = edi("ledger", "export", "--format", "csv", "--out", target, "--state", tmp_path / "state")
    assert code == 0 and list(read_csv(target.read_text())) == entries


def test_the_ledger_refuses_updates_and_deletes(tmp_path):
    primary_a(tmp_path)
    store = open_store(tmp_path / "state")
    for sql in (
        "UPDATE ledger_entries SET amount = '0'",
        "DELETE FROM ledger_entries",
        "DELETE FROM postings",
    ):
        try:
            store.db.execute(sql)
        except Exception as exc:  # sqlite3.IntegrityError from the trigger
            assert "append-only" in str(exc)
        else:
            raise AssertionError(f"{sql} was allowed")
    store.close()


# ------------------------------------------------------------------------------------------ replacement (E)
def e_history(tmp_path: Path, secondary_answered: bool) -> None:
    report = batch(tmp_path, "d1", EXAMPLES / "E_original.837", FIXTURES / "replacement" / "E_primary_first.835")
    assert [o["payer_id"] for o in report["outputs"]] == ["22222"]
    if secondary_answered:
        report = batch(tmp_path, "d2", FIXTURES / "replacement" / "E_secondary_payer.835")
        assert report["claims"]["by_disposition"] == {"posted": 1}


def test_reversal_and_correction_after_the_secondary_answered_yield_a_replacement(tmp_path):
    e_history(tmp_path, secondary_answered=True)
    report = batch(tmp_path, "d3", EXAMPLES / "E_reversal_correction.835")
    assert report["exit"] == 0
    (output,) = report["outputs"]
    ours = segments((tmp_path / "out" / output["name"]).read_bytes())
    # our 2330B REF*F8 = CLP07 of the correction (tests/test_convert_examples.py explains); then as the reference
    at = [i for i, s in enumerate(ours) if s[:2] == ["REF", "F8"]]
    assert [ours[i][2] for i in at] == ["SECCLM0042", "PRICLM0005B"]
    assert ours[at[1] - 1][:2] == ["NM1", "PR"]
    del ours[at[1]]
    expected = segments((EXAMPLES / "E_secondary_replacement.837").read_bytes())
    assert normalise(ours) == normalise(expected)
    s = statement(tmp_path, "PCN5005")
    assert s["paid_by_payer"] == {"11111": "190", "22222": "40"} and s["write_off"]["contractual"] == "70"
    # the same correction again (another file name, same content): never a duplicate
    again = tmp_path / "again.835"
    again.write_text((EXAMPLES / "E_reversal_correction.835").read_text().replace("000000506", "000000606"))
    report = batch(tmp_path, "d4", again)
    assert report["outputs"] == [] and report["claims"]["by_disposition"] == {"already-billed": 1}


def test_reversal_before_the_secondary_answered_needs_review(tmp_path):
    e_history(tmp_path, secondary_answered=False)
    report = batch(tmp_path, "d3", EXAMPLES / "E_reversal_correction.835")
    assert report["exit"] == 1 and report["outputs"] == []
    (item,) = report["claims"]["attention"]
    assert item["disposition"] == "needs-review"
    assert "needs the destination's claim number" in item["reasons"][0]
    # it is still posted: the primary's corrected answer is on the account
    assert statement(tmp_path, "PCN5005")["paid_by_payer"] == {"11111": "190"}
