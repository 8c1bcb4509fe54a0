"""`edi validate`: known-bad files built from the worked examples give the right findings and exit codes;
every corpus file gets a verdict without a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from edi.cli import cli
from edi.validation import PLAIN, explain, outbound_gate, validate_file, validate_files
from tests.support import EXAMPLES, byte_offset, corpus_files, fixture_files, lines, ordinal, recount, replace, write


def run(*args: str):
    result = CliRunner().invoke(cli, ["validate", *args])
    # Never a traceback: the command ends through sys.exit with its status, nothing else.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def rules(verdict) -> list[str]:
    return [i.rule for i in verdict.issues]


def only(verdict, rule: str):
    hits = [i for i in verdict.issues if i.rule == rule]
    assert len(hits) == 1, [(i.rule, i.message) for i in verdict.issues]
    return hits[0]


# ---------------------------------------------------------------------------------------------- clean


def test_clean_837_and_835_exit_0(tmp_path):
    result = run(str(EXAMPLES / "A_original.837"), str(EXAMPLES / "B_secondary.837"))
    assert result.exit_code == 0, result.output
    assert result.output.count(": clean") == 2
    verdict = validate_file(EXAMPLES / "A_primary.835")
    assert verdict.issues == [] and verdict.ok and verdict.exit_code == 0
    assert verdict.kind == "835" and verdict.guide == "005010X221A1" and verdict.claims == 1


# ---------------------------------------------------------------------------------------------- envelope


def test_wrong_se01_is_one_finding_at_the_se_with_pyx12s_code(tmp_path):
    segs = lines("A_original.837")
    path = write(tmp_path, "se01.837", replace(segs, "SE*32*0001~", "SE*31*0001~"))
    verdict = validate_file(path)
    finding = only(verdict, "SE01")
    se = ordinal(segs, "SE*")
    assert (finding.segment, finding.segment_id, finding.element) == (se, "SE", "SE01")
    assert finding.offset == byte_offset(path, se)
    assert finding.codes == ["SE01", "IK502-4"]  # pyx12 said the same: folded, not repeated
    assert finding.explanation == PLAIN["SE01"]
    result = run(str(path))
    assert result.exit_code == 1
    assert "the segment count in SE does not match the transaction" in result.output


def test_iea02_not_isa13(tmp_path):
    segs = lines("A_original.837")
    path = write(tmp_path, "iea02.837", replace(segs, "IEA*1*000000001~", "IEA*1*000000009~"))
    verdict = validate_file(path)
    finding = only(verdict, "IEA02")
    assert finding.segment == len(segs) and finding.segment_id == "IEA"
    assert "TA105-001" in finding.codes
    assert verdict.exit_code == 1


# ---------------------------------------------------------------------------------------------- guide


def test_bad_code_names_segment_element_and_plain_words(tmp_path):
    segs = replace(lines("A_original.837"), "SV1*HC:93000*100*UN*1***1~", "SV1*HC:93000*100*XX*1***1~")
    path = write(tmp_path, "code.837", segs)
    verdict = validate_file(path)
    finding = only(verdict, "IK403-7")
    sv1 = ordinal(segs, "SV1*HC:93000")
    assert (finding.segment, finding.segment_id, finding.element) == (sv1, "SV1", "SV103")
    assert finding.offset == byte_offset(path, sv1)
    assert finding.explanation == "a code that is not allowed here"
    assert finding.source == "guide" and finding.severity == "error"
    out = json.loads(run("--json", str(path)).output)
    f = out["files"][0]
    assert f["exit_code"] == 1 and f["verdict"] == "errors"
    assert {"rule": "IK403-7", "segment": sv1, "element": "SV103", "segment_id": "SV1"}.items() <= f["findings"][
        0
    ].items()


def test_missing_required_segment(tmp_path):
    segs = recount(replace(lines("A_original.837"), "HI*ABK:I10~", None))  # 2300 HI is required
    verdict = validate_file(write(tmp_path, "nohi.837", segs))
    missing = only(verdict, "IK304-3")
    assert missing.segment_id == "HI"  # pyx12 names the missing segment, at the ordinal where it noticed
    assert missing.segment == ordinal(lines("A_original.837"), "HI*")
    assert missing.explanation == "a required segment is missing"
    assert rules(verdict) == ["IK304-3"]
    assert verdict.exit_code == 1


# ---------------------------------------------------------------------------------------------- balancing


def test_835_claim_out_of_balance(tmp_path):
    segs = replace(lines("A_primary.835"), "CAS*CO*45*55~", "CAS*CO*45*50~")
    path = write(tmp_path, "b1.835", segs)
    verdict = validate_file(path)
    b1, b2 = only(verdict, "B1"), only(verdict, "B2")
    assert b1.segment == ordinal(segs, "SVC*HC:93000") and b1.source == "balance"
    assert b2.segment == ordinal(segs, "CLP*") and b2.offset == byte_offset(path, b2.segment)
    assert "claim's payment does not add up" in b2.explanation
    assert not [i for i in verdict.issues if i.source == "guide"]  # pyx12 does not balance: this is ours
    assert run(str(path)).exit_code == 1


def test_secondary_837_whose_2430_cas_no_longer_balances(tmp_path):
    segs = replace(lines("B_secondary.837"), "CAS*CO*45*35~", "CAS*CO*45*30~")
    verdict = validate_file(write(tmp_path, "b4.837", segs))
    b4, b5 = only(verdict, "B4"), only(verdict, "B5")
    assert b4.segment == ordinal(segs, "LX*1~") and b4.segment_id == "LX"
    assert "line 1 charge 120 != paid + adjustments 115" in b4.message
    assert b5.segment == ordinal(segs, "SBR*P*") and b5.segment_id == "SBR"
    assert verdict.exit_code == 1 and not [i for i in verdict.issues if i.source == "guide"]


def test_cob_l3_both_dates(tmp_path):
    segs = lines("B_secondary.837")
    i = ordinal(segs, "NM1*PR*2*PRIMARY HEALTH PLAN")
    segs = recount(segs[:i] + ["DTP*573*D8*20240220~"] + segs[i:])
    verdict = validate_file(write(tmp_path, "l3.837", segs))
    assert "L3" in rules(verdict)


# ---------------------------------------------------------------------------------------------- duplicates


def test_duplicate_isa13_across_two_files(tmp_path):
    first = write(tmp_path, "one.837", lines("A_original.837"))
    second = write(tmp_path, "two.837", lines("A_original.837"))
    verdicts = validate_files([first, second])
    assert verdicts[0].issues == []
    dup = only(verdicts[1], "duplicate-ISA13")
    assert dup.segment == 1 and dup.element == "ISA13" and str(first) in dup.message
    result = run(str(first), str(second))
    assert result.exit_code == 1 and "already used" in result.output


def test_duplicate_gs06_and_st02_in_one_file(tmp_path):
    segs = lines("A_original.837")
    st, se = ordinal(segs, "ST*"), ordinal(segs, "SE*")
    body = segs[st - 1 : se]
    # one group holding the transaction twice (same ST02), then a second group with the same GS06
    two_sets = segs[:se] + body + segs[se:]
    two_sets = replace(two_sets, "GE*1*1~", "GE*2*1~")
    gs = [s for s in two_sets if s.startswith("GS*")][0]
    group = two_sets[1 : len(two_sets) - 1]
    text = [two_sets[0], *group, gs, *body, "GE*1*1~", "IEA*2*000000001~"]
    verdict = validate_file(write(tmp_path, "dups.837", text))
    assert rules(verdict).count("duplicate-ST02") == 1
    assert rules(verdict).count("duplicate-GS06") == 1
    assert verdict.exit_code == 1


# ---------------------------------------------------------------------------------------------- unreadable


def test_unreadable_files_exit_2_without_a_traceback(tmp_path):
    segs = lines("A_original.837")
    cut = write(tmp_path, "cut.837", segs[: ordinal(segs, "SE*") - 3])
    garbage = tmp_path / "garbage.837"
    garbage.write_text("hello, this is not X12\n")
    for path in (cut, garbage, tmp_path / "missing.837"):
        result = run(str(path))
        assert result.exit_code == 2, (path, result.output)
        assert "UNREADABLE" in result.output
    verdict = validate_file(cut)
    assert verdict.unreadable and only(verdict, "unreadable").segment > 0
    # one unreadable file among good ones still makes the run exit 2
    assert run(str(EXAMPLES / "A_original.837"), str(cut)).exit_code == 2


def test_warnings_alone_exit_0(tmp_path):
    segs = lines("A_primary.835")
    segs = replace(segs, "CLP*PCN1001*1*250*108*47*12*PRICLM0001~", "CLP*PCN1001*1*250*108*40*12*PRICLM0001~")
    path = write(tmp_path, "clp05.835", segs)
    verdict = validate_file(path)
    assert rules(verdict) == ["CLP05"] and verdict.issues[0].severity == "warning"
    assert verdict.exit_code == 0
    assert run(str(path)).exit_code == 0


# ---------------------------------------------------------------------------------------------- the table


def test_plain_table_covers_every_rule_the_examples_and_corpus_raise():
    for rule in (
        "IK403-7",
        "IK304-3",
        "IK502-4",
        "AK905-5",
        "TA105-001",
        "B1",
        "B2",
        "B3",
        "B4",
        "B5",
        "B6",
        "B7",
        "L2",
        "L3",
        "L4",
        "SE01",
        "GE02",
        "IEA02",
        "duplicate-ISA13",
    ):
        assert rule in PLAIN
    assert explain("IK403-99") == "a field error (see the message)"
    assert explain("something-new") == "see the message"


# ---------------------------------------------------------------------------------------------- gate


def test_outbound_gate_passes_a_good_file_and_stops_an_imbalanced_one():
    good = (EXAMPLES / "B_secondary.837").read_text(encoding="ascii")
    verdict = outbound_gate(good, "out/B_secondary.837")
    assert verdict.ok and verdict.findings == [] and verdict.file == "out/B_secondary.837"
    assert verdict.guide == "005010X222A1" and verdict.claims == 1
    bad = good.replace("AMT*D*60~", "AMT*D*50~")
    verdict = outbound_gate(bad, "out/bad.837")
    assert not verdict.ok
    assert {"B5", "B6"} <= set(rules(verdict))
    assert all(i.file == "out/bad.837" for i in verdict.findings)


# ---------------------------------------------------------------------------------------------- corpus


def test_every_corpus_file_gets_a_verdict_without_a_crash():
    files = sorted(corpus_files())
    assert len(files) > 60
    result = run("--json", "--workers", "2", *map(str, files))
    out = json.loads(result.output)
    verdicts = out["files"]
    assert [v["file"] for v in verdicts] == [str(p) for p in files]
    assert {v["exit_code"] for v in verdicts} <= {0, 1, 2}
    assert result.exit_code == max(v["exit_code"] for v in verdicts)
    for v in verdicts:
        assert v["exit_code"] == (2 if v["verdict"] == "unreadable" else 1 if v["errors"] else 0)
        for f in v["findings"]:
            assert f["explanation"] and f["message"] and f["severity"] in ("error", "warning")
    by_name = {Path(v["file"]).name: v for v in verdicts}
    # a file cut short (no SE/GE/IEA) is unreadable; a clean 837P from a clearinghouse is clean
    assert by_name["docs__odd-separator.edi"]["exit_code"] == 2
    assert by_name["tests__test-files__837.edi"]["verdict"] == "clean"


def test_both_guide_engines_give_the_same_verdicts_on_the_worked_examples():
    files = [str(p) for p in fixture_files(EXAMPLES, "*.8*")]
    fast = json.loads(run("--json", "--engine", "fast", *files).output)["files"]
    record = json.loads(run("--json", "--engine", "pyx12", "--workers", "2", *files).output)["files"]

    def summary(verdicts):
        return [(v["file"], v["exit_code"], sorted(f["rule"] for f in v["findings"])) for v in verdicts]

    assert summary(fast) == summary(record)
