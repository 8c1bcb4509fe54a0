"""The outbound gate of `edi batch` / `edi watch` and their acknowledgments (issue 7 parts 2-3).

The failing output is not planted in the writer: the ORIGINAL 837 of one pair carries an invalid place of
service (CLM05-1 '1X'), and its secondary claims inherit it, as a real bad original would pass it on. That
pair bills another secondary payer (22222 -> 44444), so its claims go out in their own interchange while
the clean pair's interchange is published in the same run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from edi.cli import cli
from edi.config import GateSettings, Settings
from edi.runner import run_batch
from edi.runner.gate import GATE_FAILED
from edi.store import open_store
from edi.validation import validate_file
from edi.validation.pyx12_engine import validate_guide
from tests.support import EXAMPLES, ROOT, check_outputs, drop, pair, settled, wait_for

BAD_POS = b"1X"


def bad_pair(seed: int, claims: int = 6) -> tuple[bytes, bytes]:
    b837, b835 = pair(seed, claims)
    assert b"***11:B:1*" in b837
    return b837.replace(b"PI*22222", b"PI*44444").replace(b"***11:B:1*", b"***" + BAD_POS + b":B:1*"), b835


def make_drop(folder: Path, good_seed: int = 1, bad_seed: int = 2) -> Path:
    folder.mkdir(parents=True)
    g837, g835 = pair(good_seed, 6)
    b837, b835 = bad_pair(bad_seed)
    (folder / "good.837").write_bytes(g837)
    (folder / "good.835").write_bytes(g835)
    (folder / "bad.837").write_bytes(b837)
    (folder / "bad.835").write_bytes(b835)
    return folder


def published(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("*.837"))


def claims_of(path: Path) -> list[str]:
    return [s.split("*")[1] for s in path.read_text("latin-1").replace("\n", "").split("~") if s.startswith("CLM*")]


def test_the_original_itself_carries_the_bad_code(tmp_path):
    """The premise: the defect comes in with the original 837, not from our writer."""
    folder = make_drop(tmp_path / "drop")
    verdict = validate_file(folder / "bad.837")
    assert {(i.rule, i.segment_id, i.element) for i in verdict.errors} == {("IK403-7", "CLM", "CLM05-1")}
    assert validate_file(folder / "good.837").ok


def test_a_failing_output_is_rejected_with_its_report_and_the_valid_one_is_published(tmp_path):
    folder = make_drop(tmp_path / "drop")
    out, settings = tmp_path / "out", Settings(state_dir=tmp_path / "state")
    report = run_batch(folder, out, settings, quiet=True).as_dict()

    outputs = {o["payer_id"]: o for o in report["outputs"]}
    assert set(outputs) == {"22222", "44444"}
    good, bad = outputs["22222"], outputs["44444"]
    assert (good["gate"], bad["gate"]) == ("passed", GATE_FAILED)
    # the valid output is published, and it is valid; the failing one is not in OUTDIR
    assert published(out) == [good["name"]]
    assert validate_file(out / good["name"]).ok
    written = check_outputs(out)
    assert len(written) == good["claims"] > 0
    # it is in rejected/ with its report, naming every finding with its position and a plain explanation
    rejected = out / "rejected" / bad["name"]
    sidecar = json.loads((out / "rejected" / f"{bad['name']}.report.json").read_text())
    bad_claims = claims_of(rejected)
    assert len(bad_claims) == bad["claims"] > 0
    assert sorted(sidecar["claims"]) == sorted(bad_claims)
    assert sidecar["file"] == bad["name"] and sidecar["guide"] == "005010X222A1"
    findings = sidecar["findings"]
    assert len(findings) == len(bad_claims)  # one bad CLM05-1 per claim, nothing else
    text = rejected.read_text("latin-1")
    for f in findings:
        assert (f["file"], f["segment_id"], f["element"], f["rule"]) == (
            bad["name"],
            "CLM",
            "CLM05-1",
            "IK403-7",
        )
        assert f["explanation"] == "a code that is not allowed here" and "1X" in f["message"]
        assert text[f["offset"] :].startswith(f"CLM*{f['claim_id']}*")  # the position is the claim's CLM
    assert sorted(f["claim_id"] for f in findings) == sorted(bad_claims)
    # its claims need review, in the run report and in the store; they are not recorded as billed
    review = {a["claim_id"]: a["reasons"][0] for a in report["claims"]["attention"] if a["file"] == "(outbound gate)"}
    assert sorted(review) == sorted(bad_claims)
    assert all(r.startswith("outbound validation failed: segment ") and "CLM05-1" in r for r in review.values())
    assert report["claims"]["outbound_rejected"] == len(bad_claims)
    assert report["gate"]["rejected"] == [bad["name"]] and report["gate"]["failed"] == 1
    assert report["totals"]["claims_written"] == good["claims"]
    assert report["exit_code"] == 1
    store = open_store(settings.state_dir)
    try:
        states = dict(
            store.db.execute(
                f"SELECT claim_id, state FROM remittance_claims WHERE claim_id IN ({','.join('?' * len(bad_claims))})",
                bad_claims,
            ).fetchall()
        )
        assert states == dict.fromkeys(bad_claims, "needs-review")
        # and each is on the worklist, with the reason (issue 13: never only a state in a table)
        items = [i for i in store.worklist("open") if i.reason == "outbound-gate"]
        assert sorted(i.claim_id for i in items) == sorted(bad_claims)
        assert all(i.action == "REVIEW" and i.note == review[i.claim_id] for i in items)
        assert sorted(r[0] for r in store.secondary_rows()) == sorted(written)
        assert store.unpublished() == []
    finally:
        store.close()
    # the same drop again: nothing new goes out, the rejected claims stay in review
    again = make_drop(tmp_path / "drop2")
    second = run_batch(again, out, settings, quiet=True).as_dict()
    assert second["outputs"] == [] and published(out) == [good["name"]]


def test_no_gate_publishes_without_validation(tmp_path):
    folder = make_drop(tmp_path / "drop")
    out, report_path = tmp_path / "out", tmp_path / "report.json"
    result = CliRunner().invoke(
        cli,
        [
            "batch",
            str(folder),
            "--out",
            str(out),
            "--state",
            str(tmp_path / "state"),
            "--no-gate",
            "--report",
            str(report_path),
        ],
    )
    assert result.exit_code == 1, result.output  # the generator's own needs-review claims
    assert "outbound gate OFF" in result.output
    report = json.loads(report_path.read_text())
    assert report["gate"]["enabled"] is False and report["gate"]["skipped"] == 2
    assert report["gate"]["checked"] == 0 and report["claims"]["outbound_rejected"] == 0
    names = {o["payer_id"]: o["name"] for o in report["outputs"]}
    assert published(out) == sorted(names.values())  # the bad one too: nothing stopped it
    assert not (out / "rejected").exists()
    assert not validate_file(out / names["44444"]).ok


def test_gate_workers_zero_validates_in_process(tmp_path):
    folder = make_drop(tmp_path / "drop")
    settings = Settings(state_dir=tmp_path / "state", gate=GateSettings(workers=0, rejected_dir=tmp_path / "held"))
    report = run_batch(folder, tmp_path / "out", settings, quiet=True).as_dict()
    assert report["gate"]["workers"] == 0 and report["gate"]["failed"] == 1
    assert sorted(p.name for p in (tmp_path / "held").iterdir()) == sorted(
        [report["gate"]["rejected"][0], report["gate"]["rejected"][0] + ".report.json"]
    )


# ------------------------------------------------------------------------------------------ crash safety
def batch_process(tmp_path: Path, folder: Path, *extra: str, crash_at: str | None = None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("EDI_TEST_CRASH_AT", None)
    if crash_at:
        env["EDI_TEST_CRASH_AT"] = crash_at
    command = [
        sys.executable,
        "-m",
        "edi.cli",
        "batch",
        str(folder),
        "--out",
        str(tmp_path / "out"),
        "--state",
        str(tmp_path / "state"),
        "--quiet",
        *extra,
    ]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=600)


def test_the_gate_verdict_survives_a_crash_before_publishing(tmp_path):
    """Killed after the verdicts are committed, before anything is written: nothing is in OUTDIR; the
    restart publishes by the recorded verdicts, even with --no-gate (it does not judge again), and no claim
    is lost or written twice."""
    folder = make_drop(tmp_path / "drop")
    out = tmp_path / "out"
    first = batch_process(tmp_path, folder, crash_at="after-gate-before-publish")
    assert first.returncode == 137, first.stderr.decode()[-2000:]
    assert not out.exists() or (published(out) == [] and not (out / "rejected").exists())
    store = open_store(tmp_path / "state")
    try:
        verdicts = {r.name: r.gate for r in store.unpublished()}
    finally:
        store.close()
    assert sorted(verdicts.values()) == ["failed", "passed"]
    bad_name = next(n for n, g in verdicts.items() if g == "failed")

    second = batch_process(tmp_path, folder, "--no-gate")
    assert second.returncode == 1, second.stderr.decode()[-2000:]
    good_name = next(n for n, g in verdicts.items() if g == "passed")
    assert published(out) == [good_name]
    assert (out / "rejected" / bad_name).exists() and (out / "rejected" / f"{bad_name}.report.json").exists()
    written = check_outputs(out)
    store = open_store(tmp_path / "state")
    try:
        assert sorted(r[0] for r in store.secondary_rows()) == sorted(written)
        assert store.unpublished() == []
    finally:
        store.close()
    assert sorted(p.name for p in (folder / "processed").iterdir()) == [
        "bad.835",
        "bad.837",
        "good.835",
        "good.837",
    ]


def test_a_crash_before_the_gate_never_publishes_unvalidated(tmp_path):
    """Killed after the outbox commit, before the gate ran: a restart with --no-gate would publish anything
    it judges itself; run with the gate, it validates the waiting rows first."""
    folder = make_drop(tmp_path / "drop")
    out = tmp_path / "out"
    first = batch_process(tmp_path, folder, crash_at="after-commit-before-publish")
    assert first.returncode == 137, first.stderr.decode()[-2000:]
    store = open_store(tmp_path / "state")
    try:
        assert [r.gate for r in store.unpublished()] == [None, None]
    finally:
        store.close()
    second = batch_process(tmp_path, folder)
    assert second.returncode == 1, second.stderr.decode()[-2000:]
    assert len(published(out)) == 1 and len([p for p in (out / "rejected").iterdir() if p.suffix == ".837"]) == 1
    assert validate_file(out / published(out)[0]).ok


# ------------------------------------------------------------------------------------------ acknowledgments
def test_ack_writes_valid_999s_for_inbound_837s_and_a_ta1_for_a_bad_envelope(tmp_path):
    folder = make_drop(tmp_path / "drop")
    g837, _ = pair(3, 4)
    assert g837.count(b"IEA*1*000000001~") == 1
    (folder / "broken.837").write_bytes(g837.replace(b"IEA*1*000000001~", b"IEA*1*000000099~"))
    acks = tmp_path / "acks"
    report = run_batch(
        folder, tmp_path / "out", Settings(state_dir=tmp_path / "state", ack_dir=acks), quiet=True
    ).as_dict()
    names = sorted(p.name for p in acks.iterdir())
    assert names == ["bad.837.999", "broken.837.ta1", "good.837.999"]  # none for the 835s (ISA14=0)
    assert sorted(report["acknowledgments"]) == names
    for name in ("good.837.999", "bad.837.999"):
        result = validate_guide(acks / name)
        assert result.ok and result.findings == [] and result.guide == "005010X231A1", name
    good = (acks / "good.837.999").read_text("latin-1")
    bad = (acks / "bad.837.999").read_text("latin-1")
    assert "IK5*A~" in good and "AK9*A*1*1*1~" in good
    assert "IK3*CLM*" in bad and "IK4*5:1**7*1X~" in bad and "AK9*R*1*1*0~" in bad  # CLM05-1: invalid code 1X
    ta1 = [
        s for s in (acks / "broken.837.ta1").read_text("latin-1").replace("\n", "").split("~") if s.startswith("TA1")
    ]
    assert len(ta1) == 1 and ta1[0].split("*")[1] == "000000001" and ta1[0].split("*")[4:6] == ["R", "001"]
    # the acknowledgments passed the gate like every other file we publish
    assert report["gate"]["passed"] == 1 + len(names) and report["gate"]["failed"] == 1
    # the same files again are duplicates: acknowledged when they first came in, not again
    again = make_drop(tmp_path / "drop2")
    second = run_batch(
        again, tmp_path / "out", Settings(state_dir=tmp_path / "state", ack_dir=acks), quiet=True
    ).as_dict()
    assert second["acknowledgments"] == [] and sorted(p.name for p in acks.iterdir()) == names


def test_watch_gates_and_acknowledges(tmp_path):
    inbox, out, acks = tmp_path / "inbox", tmp_path / "out", tmp_path / "acks"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("EDI_TEST_CRASH_AT", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "edi.cli",
            "--log-level",
            "INFO",
            "watch",
            str(inbox),
            "--out",
            str(out),
            "--state",
            str(tmp_path / "state"),
            "--stable-seconds",
            "0.3",
            "--poll-interval",
            "0.2",
            "--ack",
            str(acks),
            "--gate-workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stderr=open(tmp_path / "watch.log", "ab"),
    )
    try:
        g837, g835 = pair(5, 6)
        b837, b835 = bad_pair(6)
        for name, data in [("g.837", g837), ("b.837", b837), ("g.835", g835), ("b.835", b835)]:
            drop(inbox, name, data)
        wait_for(lambda: settled(inbox, 4), process)
        wait_for(lambda: len(list(acks.glob("*.999"))) == 2, process)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0
    assert len(published(out)) == 1 and validate_file(out / published(out)[0]).ok
    rejected = [p for p in (out / "rejected").iterdir() if p.suffix == ".837"]
    assert len(rejected) == 1 and (out / "rejected" / f"{rejected[0].name}.report.json").exists()
    assert sorted(p.name for p in acks.iterdir()) == ["b.837.999", "g.837.999"]
    log = (tmp_path / "watch.log").read_text()
    assert '"event": "gate.failed"' in log and '"event": "gate.passed"' in log


def test_the_gate_cross_checks_one_output_in_n_with_pyx12(tmp_path):
    """[gate] cross_check = 1: every output the fast engine judged is validated by pyx12 too, and they agree."""
    folder = tmp_path / "drop"
    folder.mkdir()
    for name in ("A_original.837", "A_primary.835", "B_original.837", "B_primary.835"):
        shutil.copy(EXAMPLES / name, folder / name)
    settings = Settings(state_dir=tmp_path / "state", gate={"workers": 0, "cross_check": 1})
    report = run_batch(folder, tmp_path / "out", settings, quiet=True).as_dict()
    gate = report["gate"]
    assert gate["engine"] == "fast" and gate["passed"] == len(report["outputs"]) >= 1
    assert gate["cross_checked"] == gate["checked"] and gate["cross_check_disagreements"] == []


def test_the_gate_can_run_pyx12_itself(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    for name in ("A_original.837", "A_primary.835"):
        shutil.copy(EXAMPLES / name, folder / name)
    settings = Settings(state_dir=tmp_path / "state", gate={"workers": 0, "engine": "pyx12", "cross_check": 1})
    gate = run_batch(folder, tmp_path / "out", settings, quiet=True).as_dict()["gate"]
    assert (gate["engine"], gate["passed"], gate["cross_checked"]) == ("pyx12", 1, 0)


def test_a_verdict_started_in_step_4_is_used_only_for_the_text_committed(tmp_path):
    """Step 4 starts validating each output as it writes it; step 5 takes that verdict only when the committed
    row holds the same text (an id given back by a rollback may come back with another text)."""
    from edi.runner.gate import OutboundGate, ValidationPool

    b837, b835 = pair(1, 6)
    (folder := tmp_path / "drop").mkdir()
    (folder / "c.837").write_bytes(b837)
    (folder / "r.835").write_bytes(b835)
    run_batch(folder, tmp_path / "out", Settings(state_dir=tmp_path / "state"), quiet=True)
    (output,) = (tmp_path / "out").glob("*.837")
    good = output.read_text("latin-1")
    store = open_store(tmp_path / "other")
    try:
        gate = OutboundGate(store, ValidationPool(0), True, tmp_path / "rejected")
        row = store.add_outbox("x.837", str(tmp_path), good, 6, "d", "run")
        gate.validate_early(row, "x.837", good.replace("CLM*", "CLM*X*", 1))  # not the text committed
        same = store.add_outbox("y.837", str(tmp_path), good, 6, "d", "run")
        gate.validate_early(same, "y.837", good)
        assert gate.early[same][1].result().ok and not gate.early[row][1].result().ok
        gate.judge(store.unpublished())
        assert [(g["name"], g["gate"]) for g in gate.log] == [("x.837", "passed"), ("y.837", "passed")]
        assert gate.early == {}
    finally:
        store.close()
