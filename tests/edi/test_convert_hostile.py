"""`edi convert` on hostile and broken input (issue 13): never destroy an input, never publish what the gate
would refuse, report before publishing, a claim that cannot be written is needs-review, wrong kinds named."""

from __future__ import annotations

import json
import shutil

import pytest

from edi.config import Settings
from edi.pipeline import OutputConflict, convert
from rules.outcome import NEEDS_REVIEW
from tests.support import EXAMPLES, edi_main, pipe_delimited


def copies(tmp_path, *names):
    out = []
    for name in names:
        shutil.copy(EXAMPLES / name, tmp_path / name)
        out.append(tmp_path / name)
    return out


@pytest.mark.parametrize("flag", ["--out", "--report"])
def test_an_output_naming_an_input_is_refused_and_the_input_kept(tmp_path, flag):
    remit, original = copies(tmp_path, "A_primary.835", "A_original.837")
    before = original.read_bytes()
    args = ["convert", remit, "--claims", original, "--state", tmp_path / "s", "--out", tmp_path / "o.837"]
    args += [flag, tmp_path / "." / "A_original.837"]
    code, _, err = edi_main(*args)
    assert code == 2 and "is one of the input files" in err and err.count("\n") == 1
    assert original.read_bytes() == before


def test_the_python_api_refuses_too(tmp_path):
    remit, original = copies(tmp_path, "A_primary.835", "A_original.837")
    with pytest.raises(OutputConflict):
        convert(remit, [original], remit, None, Settings(state_dir=tmp_path / "s"))


def test_a_837_given_as_the_remittance_and_a_835_as_claims_are_named(tmp_path):
    state = ["--state", tmp_path / "s", "--out", tmp_path / "o.837"]
    code, _, err = edi_main("convert", EXAMPLES / "A_original.837", "--claims", EXAMPLES / "A_original.837", *state)
    assert code == 2 and "not an 835" in err and "A_original.837" in err
    code, _, err = edi_main("convert", EXAMPLES / "A_primary.835", "--claims", EXAMPLES / "B_primary.835", *state)
    assert code == 2 and "not an 837" in err and "B_primary.835" in err
    code, _, err = edi_main("post", EXAMPLES / "A_original.837", "--state", tmp_path / "s")
    assert code == 2 and "not an 835" in err


def test_the_report_is_written_before_the_837_and_a_report_failure_publishes_nothing(tmp_path):
    (tmp_path / "not-a-folder").write_text("a file where the report's folder should be")
    out = tmp_path / "secondary.837"
    code, _, err = edi_main(
        "convert",
        EXAMPLES / "A_primary.835",
        "--claims",
        EXAMPLES / "A_original.837",
        "--out",
        out,
        "--report",
        tmp_path / "not-a-folder" / "r.json",
        "--state",
        tmp_path / "s",
    )
    assert code == 2 and "not-a-folder" in err and err.count("\n") == 1
    assert not out.exists()  # the claim did not go out: a rerun cannot send it twice


def test_non_ascii_in_a_claim_is_not_published_and_the_claims_need_review(tmp_path):
    text = (EXAMPLES / "A_original.837").read_bytes().replace(b"NM1*IL*1*DOE*JANE", "NM1*IL*1*DOË*JANE".encode())
    original = tmp_path / "A_original.837"
    original.write_bytes(text)
    out, report = tmp_path / "secondary.837", tmp_path / "r.json"
    result = convert(EXAMPLES / "A_primary.835", [original], out, report, Settings(state_dir=tmp_path / "s"))
    assert not out.exists() and result.output is None and result.exit_code == 1
    [outcome] = result.outcomes
    assert outcome.disposition == NEEDS_REVIEW and "outbound validation failed" in outcome.reasons[-1]
    written = json.loads(report.read_text())
    assert written["output"] is None and written["outbound_check"]["ok"] is False
    assert any(f["rule"] == "encoding" for f in written["outbound_check"]["findings"])


def test_a_claim_the_writer_cannot_render_needs_review_and_is_not_dropped(tmp_path):
    # '|'-delimited, with our output separator '*' inside a value: the claim cannot be written as it is
    text = pipe_delimited((EXAMPLES / "A_original.837").read_bytes()).replace(b"|DOE|JANE", b"|DOE*X|JANE")
    original = tmp_path / "A_original.837"
    original.write_bytes(text)
    result = convert(EXAMPLES / "A_primary.835", [original], tmp_path / "o.837", None, Settings(state_dir=tmp_path))
    [outcome] = result.outcomes
    assert outcome.disposition == NEEDS_REVIEW and "cannot be written" in outcome.reasons[-1]
    assert "DOE" not in outcome.reasons[-1]
    assert result.exit_code == 1 and result.output is None


def test_an_unpadded_isa_with_a_20_character_sender_needs_review(tmp_path):
    data = (EXAMPLES / "A_original.837").read_bytes()
    isa, rest = data.split(b"~", 1)
    fields = [f.strip() for f in isa.split(b"*")]
    fields[6] = b"ACMECLINIC0123456789"  # 20 characters: no ISA06 can hold it
    original = tmp_path / "A_original.837"
    original.write_bytes(b"*".join(fields[:16]) + b"*" + isa.split(b"*")[16] + b"~" + rest)
    result = convert(EXAMPLES / "A_primary.835", [original], tmp_path / "o.837", None, Settings(state_dir=tmp_path))
    [outcome] = result.outcomes
    assert outcome.disposition == NEEDS_REVIEW and "ISA06" in outcome.reasons[-1]
