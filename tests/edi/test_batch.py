"""`edi batch` on a real file system: split drops, pending originals, duplicates, rejects, zips, concurrency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections import Counter

import pytest
from click.testing import CliRunner

from edi.cli import cli
from edi.config import Settings
from edi.runner import run_batch
from edi.store import open_store
from tests.support import ROOT, check_outputs, expected_converted, pair, write_drops

# ------------------------------------------------------------------------------------------ helpers


# ------------------------------------------------------------------------------------------ tests
def test_split_drops_837_after_835_convert_every_claim_exactly_once(tmp_path):
    """1,000 claims over 50 files: the 835s arrive in one drop, their 837s in a later one."""
    remits, claims = tmp_path / "drop1", tmp_path / "drop2"
    write_drops(claims, remits, range(1, 26), 40)
    assert len(list(remits.iterdir())) + len(list(claims.iterdir())) == 50
    originals = {f.name: f.read_bytes() for f in [*claims.iterdir(), *remits.iterdir()]}
    out, settings = tmp_path / "out", Settings(state_dir=tmp_path / "state")

    first = run_batch(remits, out, settings, quiet=True).as_dict()
    assert first["claims"]["by_disposition"] == {"pending-original": first["claims"]["total"]}
    assert first["claims"]["total"] >= 1000
    assert first["outputs"] == [] and not list(out.glob("*.837"))

    second = run_batch(claims, out, settings, quiet=True, report_path=tmp_path / "r2.json").as_dict()
    resolved = second["claims"]["resolved_pending"]
    assert sum(resolved.values()) == first["claims"]["total"]
    written = check_outputs(out)
    assert len(written) == resolved["converted"] == second["totals"]["claims_written"]
    # one interchange per destination (the generator bills two secondary payers; Medigap ones are crossovers)
    assert len(second["outputs"]) == len({o["payer_id"] for o in second["outputs"]})
    # the store agrees with the files, and every input was moved, none lost
    store = open_store(settings.state_dir)
    rows = store.secondary_rows()
    assert sorted(r[0] for r in rows) == sorted(written)
    store.close()
    moved = {p.name: p.read_bytes() for p in [*(claims / "processed").iterdir(), *(remits / "processed").iterdir()]}
    assert moved == originals
    assert json.loads((tmp_path / "r2.json").read_text())["run_id"] == second["run_id"]
    # and the same claims as one mixed drop gives
    assert set(written) == expected_converted(
        tmp_path,
        [claims / "processed" / n for n in os.listdir(claims / "processed")]
        + [remits / "processed" / n for n in os.listdir(remits / "processed")],
    )


def test_mixed_drop_in_any_order_matches_convert(tmp_path):
    from edi.pipeline import convert

    drop = tmp_path / "drop"
    drop.mkdir()
    b837, b835 = pair(7, 60)
    (drop / "0-remit.dat").write_bytes(b835)  # sorts before its claims: ordering is by content, not by name
    (drop / "1-claims.dat").write_bytes(b837)
    report = run_batch(drop, tmp_path / "out", Settings(state_dir=tmp_path / "state"), quiet=True).as_dict()
    (tmp_path / "c.837").write_bytes(b837)
    (tmp_path / "r.835").write_bytes(b835)
    result = convert(tmp_path / "r.835", [tmp_path / "c.837"], None, None, Settings(state_dir=tmp_path / "s2"))
    assert report["claims"]["by_disposition"] == {
        "stored-original": 60,
        **Counter(o.disposition for o in result.outcomes),
    }
    assert sorted(check_outputs(tmp_path / "out")) == sorted(
        o.claim_id for o in result.outcomes if o.disposition == "converted"
    )


def test_malformed_files_are_quarantined_with_a_report_and_the_rest_proceeds(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    b837, b835 = pair(3, 30)
    (drop / "claims.837").write_bytes(b837)
    (drop / "remit.835").write_bytes(b835)
    (drop / "cut.835").write_bytes(b835[: len(b835) // 2])  # cut short in the middle of a transaction set
    (drop / "notes.txt").write_bytes(b"hello, this is not X12\n")
    bad_amount = b835.replace(b"CLP*S0003", b"CLP*S9003", 1)
    start = bad_amount.index(b"CLP*S9003")
    fields = bad_amount[start : bad_amount.index(b"~", start)].split(b"*")
    bad_amount = bad_amount.replace(b"*".join(fields), b"*".join(fields[:3] + [b"12X.00"] + fields[4:]), 1)
    (drop / "amount.835").write_bytes(bad_amount)

    result = CliRunner().invoke(
        cli,
        [
            "batch",
            str(drop),
            "--out",
            str(tmp_path / "out"),
            "--state",
            str(tmp_path / "state"),
            "--report",
            str(tmp_path / "r.json"),
        ],
    )
    assert result.exit_code == 1, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    outcomes = {f["name"]: f["outcome"] for f in report["files"]}
    assert outcomes == {
        "claims.837": "processed",
        "remit.835": "processed",
        "cut.835": "rejected",
        "notes.txt": "rejected",
        "amount.835": "rejected",
    }
    assert sorted(os.listdir(drop / "processed")) == ["claims.837", "remit.835"]
    rejected = drop / "rejected"
    assert sorted(os.listdir(rejected)) == sorted(
        [
            "amount.835",
            "amount.835.report.json",
            "cut.835",
            "cut.835.report.json",
            "notes.txt",
            "notes.txt.report.json",
        ]
    )
    amount = json.loads((rejected / "amount.835.report.json").read_text())
    assert amount["file"] == "amount.835" and amount["position"]["segment_id"] == "CLP"
    assert amount["position"]["element"] == "CLP03" and amount["position"]["segment"] > 0
    assert "not a decimal amount" in amount["reason"]
    cut = json.loads((rejected / "cut.835.report.json").read_text())
    assert "ends inside" in cut["reason"] and cut["position"]["segment"] > 0
    assert json.loads((rejected / "notes.txt.report.json").read_text())["reason"]
    assert check_outputs(tmp_path / "out")  # the good pair still converted
    assert "rejected cut.835" in result.output


def test_the_same_drop_twice_emits_nothing_new(tmp_path):
    drop = tmp_path / "drop"
    b837, b835 = pair(5, 40)
    drop.mkdir()
    (drop / "c.837").write_bytes(b837)
    (drop / "r.835").write_bytes(b835)
    out, settings = tmp_path / "out", Settings(state_dir=tmp_path / "state")
    first = run_batch(drop, out, settings, quiet=True).as_dict()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert first["totals"]["claims_written"] > 0
    (drop / "again-c.837").write_bytes(b837)  # the same bytes under other names
    (drop / "again-r.835").write_bytes(b835)
    second = run_batch(drop, out, settings, quiet=True).as_dict()
    assert {f["outcome"] for f in second["files"]} == {"duplicate"}
    assert second["outputs"] == [] and second["exit_code"] == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(os.listdir(drop / "processed")) == ["again-c.837", "again-r.835", "c.837", "r.835"]


def test_a_resent_835_with_a_new_envelope_is_already_billed(tmp_path):
    """Same TRN02/TRN03/CLP07 in a file with other bytes (a new ISA13): nothing is billed twice."""
    drop = tmp_path / "drop"
    drop.mkdir()
    b837, b835 = pair(9, 30)
    (drop / "c.837").write_bytes(b837)
    (drop / "r.835").write_bytes(b835)
    out, settings = tmp_path / "out", Settings(state_dir=tmp_path / "state")
    first = run_batch(drop, out, settings, quiet=True).as_dict()
    (drop / "r-resent.835").write_bytes(b835.replace(b"000000501", b"000000777"))
    second = run_batch(drop, out, settings, quiet=True).as_dict()
    assert second["outputs"] == []
    assert second["claims"]["by_disposition"]["already-billed"] == first["totals"]["claims_written"]
    check_outputs(out)


def test_zip_drop(tmp_path):
    b837, b835 = pair(11, 25)
    archive = tmp_path / "drop.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("remits/x.835", b835)
        zf.writestr("claims/y.837", b837)
        zf.writestr("broken.837", b837[:300])
        zf.writestr(".hidden", b"ignored")
    out = tmp_path / "out"
    report = run_batch(archive, out, Settings(state_dir=tmp_path / "state"), quiet=True).as_dict()
    assert {f["name"]: f["outcome"] for f in report["files"]} == {
        "claims/y.837": "processed",
        "remits/x.835": "processed",
        "broken.837": "rejected",
    }
    assert report["exit_code"] == 1
    assert check_outputs(out)
    rejected = tmp_path / "rejected" / "drop.zip"
    assert (rejected / "broken.837").read_bytes() == b837[:300]
    assert json.loads((rejected / "broken.837.report.json").read_text())["archive"] == "drop.zip"


def test_unreadable_drop_exits_2(tmp_path):
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    for drop in (tmp_path / "missing", tmp_path / "junk.zip"):
        result = CliRunner().invoke(
            cli, ["batch", str(drop), "--out", str(tmp_path / "out"), "--state", str(tmp_path / "state")]
        )
        assert result.exit_code == 2


def test_a_new_drop_while_a_batch_is_running(tmp_path):
    """Two `edi batch` processes on one store and one output folder at once: no claim twice, no number twice."""
    first, second = tmp_path / "first", tmp_path / "second"
    write_drops(first, first, range(30, 40), 30)
    write_drops(second, second, range(40, 50), 30)
    args = ["--out", str(tmp_path / "out"), "--state", str(tmp_path / "state"), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    running = subprocess.Popen([sys.executable, "-m", "edi.cli", "batch", str(first), *args], cwd=ROOT, env=env)
    subprocess.run([sys.executable, "-m", "edi.cli", "batch", str(second), *args], cwd=ROOT, env=env, check=False)
    assert running.wait(timeout=600) in (0, 1)
    written = check_outputs(tmp_path / "out")
    sources = [p for d in (first, second) for p in (d / "processed").iterdir()]
    assert len(sources) == 40
    assert set(written) == expected_converted(tmp_path, sources)


@pytest.mark.parametrize("state_first", [True, False])
def test_convert_and_batch_share_the_control_number_counter(tmp_path, state_first):
    from edi.pipeline import convert

    b837, b835 = pair(13, 20)
    (tmp_path / "c.837").write_bytes(b837)
    (tmp_path / "r.835").write_bytes(b835)
    settings = Settings(state_dir=tmp_path / "state")
    drop = tmp_path / "drop"
    write_drops(drop, drop, [14], 20)
    if state_first:
        run_batch(drop, tmp_path / "out", settings, quiet=True)
        convert(tmp_path / "r.835", [tmp_path / "c.837"], tmp_path / "out" / "convert.837", None, settings)
    else:
        convert(tmp_path / "r.835", [tmp_path / "c.837"], tmp_path / "out" / "convert.837", None, settings)
        run_batch(drop, tmp_path / "out", settings, quiet=True)
    check_outputs(tmp_path / "out")
