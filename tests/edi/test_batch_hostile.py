"""`edi batch` / `edi watch` on hostile and broken input (issue 13): a file never stops the line, nothing is
lost or published twice, inputs are bounded, links are not followed, reports and messages hold no PHI."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from edi.config import LimitSettings, Settings
from edi.runner import DropError, run_batch
from edi.runner.watch import Watcher
from tests.support import EXAMPLES, edi_main, pair, pipe_delimited

POISON = (EXAMPLES / "A_primary.835").read_bytes().replace(b"CLP*PCN1001*1*250*108", b"CLP*PCN1001*1*1E+1000000*108")


def settings(tmp_path: Path, **limits) -> Settings:
    return Settings(state_dir=tmp_path / "state", limits=LimitSettings(**limits), gate={"workers": 0})


def test_a_poison_835_is_rejected_with_its_report_and_the_rest_converts(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    b837, b835 = pair(3, 5)
    (drop / "c.837").write_bytes(b837)
    (drop / "r.835").write_bytes(b835)
    (drop / "poison.835").write_bytes(POISON)
    report = run_batch(drop, tmp_path / "out", settings(tmp_path), quiet=True)
    outcomes = {f.input.name: f.outcome for f in report.files}
    assert outcomes == {"c.837": "processed", "r.835": "processed", "poison.835": "rejected"}
    assert report.exit_code == 1 and report.claims_written > 0
    sidecar = json.loads((drop / "rejected" / "poison.835.report.json").read_text())
    assert sidecar["position"]["element"] == "CLP03" and "exponent" in sidecar["reason"]
    again = run_batch(drop, tmp_path / "out", settings(tmp_path), quiet=True)  # a rerun: nothing left to fail
    assert again.files == [] and again.exit_code == 0


def test_an_unexpected_failure_while_reading_one_file_rejects_that_file_only(tmp_path, monkeypatch):
    from edi.runner import inbound

    drop = tmp_path / "drop"
    drop.mkdir()
    b837, b835 = pair(4, 3)
    (drop / "c.837").write_bytes(b837)
    (drop / "r.835").write_bytes(b835)

    def broken(self, data, name, result, attention):
        raise RuntimeError("PATIENT DOE JANE 19700315")  # what an unexpected message might quote

    monkeypatch.setattr(inbound.Inbound, "_read_835", broken)
    report = run_batch(drop, tmp_path / "out", settings(tmp_path), quiet=True)
    assert {f.input.name: f.outcome for f in report.files} == {"c.837": "processed", "r.835": "rejected"}
    assert report.exit_code == 1
    reason = json.loads((drop / "rejected" / "r.835.report.json").read_text())["reason"]
    assert reason.startswith("internal error (RuntimeError") and "DOE" not in reason


def test_a_claim_the_writer_cannot_render_is_needs_review_on_the_worklist_and_exit_1(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    original = pipe_delimited((EXAMPLES / "A_original.837").read_bytes()).replace(b"|DOE|JANE", b"|DOE*X|JANE")
    (drop / "c.837").write_bytes(original)
    shutil.copy(EXAMPLES / "A_primary.835", drop / "r.835")
    report = run_batch(drop, tmp_path / "out", settings(tmp_path), quiet=True)
    assert report.exit_code == 1 and report.claims_written == 0
    [item] = [a for a in report.attention if a["claim_id"] == "PCN1001"]
    assert item["disposition"] == "needs-review" and "cannot be written" in item["reasons"][0]
    code, out, _ = edi_main("worklist", "--json", "--state", tmp_path / "state")
    assert code == 0
    [row] = [r for r in json.loads(out) if r["reason"] == "not-written"]
    assert row["claim_id"] == "PCN1001" and row["action"] == "REVIEW" and "DOE" not in row["note"]


@pytest.mark.parametrize("where", ["out", "report", "state", "ack"])
def test_outputs_inside_the_drop_are_refused(tmp_path, where):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "c.837").write_bytes(pair(5, 2)[0])
    args = {"out": tmp_path / "out", "report": None, "state": tmp_path / "state", "ack": None}
    args[where] = drop if where == "out" else drop / "inner"
    cli = ["batch", drop, "--out", args["out"], "--state", args["state"], "--gate-workers", "0"]
    if args["report"]:
        cli += ["--report", args["report"]]
    if args["ack"]:
        cli += ["--ack", args["ack"]]
    code, _, err = edi_main(*cli)
    assert code == 2 and "lies inside" in err
    assert sorted(p.name for p in drop.iterdir()) == ["c.837"]  # nothing read, moved or written


def test_links_and_special_files_are_skipped_with_a_logged_reason(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    secret = tmp_path / "elsewhere.txt"
    secret.write_text("root:x:0:0:SECRET-ROOT-LINE\n")
    (drop / "passwd").symlink_to(secret)
    os.mkfifo(drop / "pipe")
    (drop / "c.837").write_bytes(pair(6, 2)[0])
    code, _, err = edi_main(
        "--log-level", "INFO", "batch", drop, "--out", tmp_path / "out", "--state", tmp_path / "s", "--quiet"
    )
    assert code == 0
    assert "SECRET" not in err and "root:x" not in err
    skipped = [json.loads(line) for line in err.splitlines() if '"intake.skipped"' in line]
    assert {(e["file"], e["reason"].split(" (")[0]) for e in skipped} == {
        ("passwd", "a symbolic link"),
        ("pipe", "not a regular file"),
    }
    assert (drop / "passwd").is_symlink() and secret.read_text().startswith("root")


def test_a_zip_bomb_member_is_refused_before_it_is_inflated(tmp_path):
    archive = tmp_path / "drop.zip"
    b837, b835 = pair(7, 3)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("c.837", b837)
        zf.writestr("r.835", b835)
        zf.writestr("bomb.837", b"\0" * (3 << 19))  # 1.5 MiB of zeros (under the size limit): ratio ~1000
        zf.writestr("big.837", os.urandom(3 << 20))  # incompressible, over the member limit
    report = run_batch(archive, tmp_path / "out", settings(tmp_path, max_zip_member_bytes=2 << 20), quiet=True)
    outcomes = {f.input.name: (f.outcome, (f.report or {}).get("reason", "")) for f in report.files}
    assert outcomes["c.837"][0] == outcomes["r.835"][0] == "processed"
    assert outcomes["bomb.837"][0] == "rejected" and "zip bomb" in outcomes["bomb.837"][1]
    assert outcomes["big.837"][0] == "rejected" and "over the limit" in outcomes["big.837"][1]
    rejected = tmp_path / "rejected" / "drop.zip"
    assert (rejected / "bomb.837.report.json").exists() and not (rejected / "bomb.837").exists()
    assert report.exit_code == 1


def test_a_file_over_the_size_limit_is_rejected_unread(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "big.835").write_bytes(b" " * 5000)
    report = run_batch(drop, tmp_path / "out", settings(tmp_path, max_file_bytes=4096), quiet=True)
    [result] = report.files
    assert result.outcome == "rejected" and "over the limit of 4096" in result.report["reason"]
    assert (drop / "rejected" / "big.835").exists()


def test_the_drop_must_exist_and_be_a_folder_or_zip(tmp_path):
    with pytest.raises(DropError, match="no such folder"):
        run_batch(tmp_path / "nope", tmp_path / "out", settings(tmp_path))


# ---------------------------------------------------------------------------------------------- watch
class FailingRunner:
    def __init__(self):
        self.calls = 0

    def run(self, inputs):
        self.calls += 1
        raise RuntimeError("a fault of ours outside one file's processing")


def test_watch_keeps_watching_past_a_failure_and_does_not_spin_on_the_file(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.837").write_bytes(pair(8, 2)[0])
    os.utime(inbox / "a.837", (0, 0))
    watcher = Watcher(inbox, tmp_path / "out", settings(tmp_path), stable_seconds=0)
    runner = FailingRunner()
    watcher._take(runner)  # logged, not raised
    assert runner.calls == 1 and watcher.complete_files() == []  # not taken again until it changes
    (inbox / "a.837").write_bytes(pair(9, 2)[0])
    os.utime(inbox / "a.837", (1, 1))
    assert [p.name for p in watcher.complete_files()] == ["a.837"]


def test_watch_refuses_a_missing_inbox_unless_told_to_create_it(tmp_path):
    args = ["--out", tmp_path / "out", "--state", tmp_path / "s"]
    code, _, err = edi_main("watch", tmp_path / "typo", *args)
    assert code == 2 and "typo" in err and "does not exist" in err and not (tmp_path / "typo").exists()
    code, _, err = edi_main("watch", tmp_path, "--out", tmp_path / "out", "--state", tmp_path / "s")
    assert code == 2 and "lies inside" in err


def test_reports_and_logs_name_no_patient_data(tmp_path):
    """Example A through the primary and the secondary payer, with a PHI-bearing trailer and a broken file:
    the run report, the sidecars and the INFO logs keep claim ids and amounts, never names or member ids."""
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(EXAMPLES / "A_original.837", drop / "a.837")
    shutil.copy(EXAMPLES / "A_primary.835", drop / "b.835")
    trailer = b"NM1*IL*1*DOE*JANE****MI*SEC778899~"
    (drop / "c.835").write_bytes((EXAMPLES / "A_secondary_payer.835").read_bytes() + trailer)
    (drop / "d.835").write_bytes(b"NM1*QC*1*DOE*JANE****MI*PRI112233~" * 3)
    code, _, err = edi_main(
        "--log-level", "INFO", "batch", drop, "--out", tmp_path / "out", "--state", tmp_path / "s",
        "--report", tmp_path / "run.json", "--quiet", "--gate-workers", "0",
    )  # fmt: skip
    assert code == 1  # d.835 is rejected
    texts = [err, (tmp_path / "run.json").read_text()]
    texts += [p.read_text() for p in (drop / "rejected").glob("*.report.json")]
    run = json.loads(texts[1])
    assert run["postings"]["claims"] and run["claims"]["total"] >= 2
    for text in texts:
        for phi in ("DOE", "JANE", "SEC778899", "PRI112233", "19700315", "OAK AVE"):
            assert phi not in text, phi
