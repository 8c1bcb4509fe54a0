"""Tertiary claims (reference §3.8, issue 6): the secondary's 835 pays part and leaves patient
responsibility, and the original lists a third payer (2320 SBR01=T) -> a tertiary 837 with 2000B SBR01=T and
2320/2330/2430 for both prior payers (P from the primary's stored answer, S from the secondary's 835)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from edi.cli import cli
from edi.store import open_store
from edi.validation import validate_text
from parsers.read837 import read_837
from rules.balance import check_cob_balance
from tests.support import FIXTURES


def run_batch(tmp_path: Path, name: str, *files: Path) -> dict:
    folder = tmp_path / name
    folder.mkdir()
    for f in files:
        shutil.copy(f, folder / f.name)
    report = tmp_path / f"{name}.json"
    result = CliRunner().invoke(
        cli,
        [
            "batch",
            str(folder),
            "--out",
            str(tmp_path / "out"),
            "--state",
            str(tmp_path / "state"),
            "--report",
            str(report),
            "--quiet",
        ],
    )
    data = json.loads(report.read_text())
    data["exit"] = result.exit_code
    return data


def test_secondary_835_with_patient_responsibility_yields_a_tertiary_claim(tmp_path):
    first = run_batch(
        tmp_path, "d1", FIXTURES / "tertiary" / "A3_original.837", FIXTURES / "examples" / "A_primary.835"
    )
    assert [o["payer_id"] for o in first["outputs"]] == ["22222"]
    second = run_batch(tmp_path, "d2", FIXTURES / "tertiary" / "A3_secondary_partial.835")
    assert second["exit"] == 0
    (output,) = second["outputs"]
    assert output["payer_id"] == "33333"
    text = (tmp_path / "out" / output["name"]).read_text()

    claims, _ = read_837(text.encode("latin-1"), "tertiary.837")
    (claim,) = claims
    assert claim.subscriber.sbr[1] == "T" and claim.payer_id == "33333"
    assert [(p.responsibility, p.payer_id, str(p.paid)) for p in claim.other_payers] == [
        ("P", "11111", "108"),
        ("S", "22222", "30"),
    ]
    assert claim.frequency == "1"
    assert check_cob_balance(claim) == []  # B4-B7 and L2-L4 for each prior payer
    # each line carries one 2430 per prior payer, P then S
    svds = [[(a.segments[0][1], a.segments[0][2]) for a in line.adjudications] for line in claim.lines]
    assert svds == [[("11111", "72"), ("22222", "25")], [("11111", "36"), ("22222", "5")]]
    s_line = claim.lines[0].adjudications[1].segments
    assert ["CAS", "PR", "2", "13"] in s_line and ["CAS", "OA", "23", "112"] in s_line
    assert ["AMT", "EAF", "13"] in s_line
    s_loop = claim.other_payers[1].segments
    assert ["REF", "F8", "SECCLM0010"] in s_loop and ["REF", "F8", "PRICLM0001"] in claim.other_payers[0].segments
    assert ["NM1", "IL", "1", "DOE", "JANE", "", "", "", "MI", "SEC778899"] in s_loop

    validation = validate_text(text, "tertiary.837")
    assert validation.ok, [str(f) for f in validation.findings]

    # the account after both payers: the tertiary is due 17 (it has not answered), nothing unresolved
    result = CliRunner().invoke(cli, ["statement", "PCN1001", "--state", str(tmp_path / "state"), "--json"])
    s = json.loads(result.stdout)
    assert s["paid_by_payer"] == {"11111": "108", "22222": "30"}
    assert s["patient_balance"]["total"] == "17" and s["patient_balance"]["due_from"] == "33333"
    assert s["unresolved"] == "0"


def test_secondary_paying_all_leaves_nothing_for_the_tertiary(tmp_path):
    run_batch(tmp_path, "d1", FIXTURES / "tertiary" / "A3_original.837", FIXTURES / "examples" / "A_primary.835")
    second = run_batch(tmp_path, "d2", FIXTURES / "examples" / "A_secondary_payer.835")
    assert second["exit"] == 0 and second["outputs"] == []
    assert second["claims"]["by_disposition"] == {"posted": 1}
    assert second["postings"] == {
        "claims": 1,
        "posted": 1,
        "already_posted": 0,
        "worklist_items": 0,
        "by_sequence": {"S": 1},
        "exceptions": [],
    }
    store = open_store(tmp_path / "state")  # each answer's detail is in the store
    (account,) = store.accounts("PCN1001")
    assert [(p.sequence, p.payer_id) for p in store.postings(account.id)] == [("P", "11111"), ("S", "22222")]
    store.close()


def test_tertiary_without_the_primary_answer_on_file_needs_review(tmp_path):
    run_batch(tmp_path, "d1", FIXTURES / "tertiary" / "A3_original.837")
    second = run_batch(tmp_path, "d2", FIXTURES / "tertiary" / "A3_secondary_partial.835")
    assert second["exit"] == 1 and second["outputs"] == []
    (item,) = second["claims"]["attention"]
    assert item["disposition"] == "needs-review"
