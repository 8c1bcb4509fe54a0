"""edi.validation: pyx12 as the validator of record, its quirks turned into findings."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from edi.validation import validate_files
from edi.validation.pyx12_engine import GuideValidation, validate_guide, validate_guide_text
from tests.support import CORPUS, EXAMPLES, ROOT, fixture_files

ORIGINAL_A = EXAMPLES / "A_original.837"
X222A2 = CORPUS / "LinuxForHealth__x12" / "src__tests__resources__837_005010X222A2__demo.example1.837"

EXAMPLE_837S = fixture_files(EXAMPLES, "*.837")
EXAMPLE_835S = fixture_files(EXAMPLES, "*.835")


def _lines(path: Path = ORIGINAL_A) -> list[str]:
    """A_original.837 is one segment per line, so a segment's ordinal is its line number."""
    return path.read_text(encoding="ascii").splitlines()


def _ordinal(lines: list[str], prefix: str) -> int:
    hits = [i + 1 for i, line in enumerate(lines) if line.startswith(prefix)]
    assert len(hits) == 1, f"{prefix!r} should occur once, found {hits}"
    return hits[0]


def _with_se_count(lines: list[str]) -> str:
    """Re-count SE01 after an edit so the only errors are the ones a test plants."""
    st, se = _ordinal(lines, "ST*"), _ordinal(lines, "SE*")
    parts = lines[se - 1].rstrip("~").split("*")
    parts[1] = str(se - st + 1)
    lines = [*lines[: se - 1], "*".join(parts) + "~", *lines[se:]]
    return "\n".join(lines) + "\n"


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="ascii")
    return path


def _only(result: GuideValidation, rule: str):
    hits = [f for f in result.findings if f.rule == rule]
    assert len(hits) == 1, [str(f) for f in result.findings]
    return hits[0]


# ---------------------------------------------------------------------------------------------- clean files


def test_examples_exist():
    assert len(EXAMPLE_837S) >= 5 and len(EXAMPLE_835S) >= 5


@pytest.mark.parametrize("path", EXAMPLE_837S, ids=lambda p: p.name)
def test_every_example_837_is_valid_005010X222A1(path):
    result = validate_guide(path)
    assert result.findings == []
    assert result.ok is True
    assert result.guide == "005010X222A1"
    assert result.file == str(path)
    # pyx12's 999 accepts the transaction and acknowledges the guide it checked.
    assert result.ack_999.startswith("ISA*")
    assert "AK2*837*" in result.ack_999 and "IK5*A~" in result.ack_999 and "AK9*A*1*1*1~" in result.ack_999


@pytest.mark.parametrize("path", EXAMPLE_835S, ids=lambda p: p.name)
def test_example_835s_validate_without_a_999(path):
    result = validate_guide(path)
    assert result.findings == []
    assert result.ok is True
    assert result.guide == "005010X221A1"
    # pyx12 cannot build a 999 for an 835 (no ST03): it writes half a 999 and logs; we return none.
    assert result.ack_999 == ""


# ---------------------------------------------------------------------------------------------- bad codes


@pytest.fixture(scope="module")
def bad_place_of_service(tmp_path_factory):
    lines = _lines()
    clm = _ordinal(lines, "CLM*")
    parts = lines[clm - 1].split("*")
    assert parts[5].startswith("11:B:")
    parts[5] = "ZZ" + parts[5][2:]
    lines[clm - 1] = "*".join(parts)
    path = _write(tmp_path_factory.mktemp("pos"), "bad_pos.837", "\n".join(lines) + "\n")
    return path, clm


def test_invalid_place_of_service_names_clm05_1(bad_place_of_service):
    path, clm = bad_place_of_service
    result = validate_guide(path)
    assert result.ok is False
    assert result.guide == "005010X222A1"
    f = _only(result, "IK403-7")
    assert (f.position.file, f.position.segment, f.position.segment_id, f.position.element) == (
        str(path),
        clm,
        "CLM",
        "CLM05-1",
    )
    assert f.severity == "error"
    assert "(ZZ) is not a valid code for Place of Service Code" in f.message
    assert len(result.findings) == 1
    # the 999 rejects it and points at the same segment (IK3 counts within the ST) and element (IK4).
    assert "IK5*R" in result.ack_999
    st = _ordinal(_lines(path), "ST*")
    assert f"IK3*CLM*{clm - st + 1}**8~" in result.ack_999
    assert "IK4*5:1*1331*7*ZZ~" in result.ack_999


def test_pwk02_ad_is_not_an_attachment_transmission_code(tmp_path):
    lines = _lines()
    clm = _ordinal(lines, "CLM*")
    lines.insert(clm, "PWK*OZ*AD***AC*DOC1~")  # 2300 PWK right after CLM; PWK02 'AD' is not a code
    path = _write(tmp_path, "pwk.837", _with_se_count(lines))
    result = validate_guide(path)
    assert result.ok is False
    f = _only(result, "IK403-7")
    assert (f.position.segment, f.position.segment_id, f.position.element) == (clm + 1, "PWK", "PWK02")
    assert "(AD) is not a valid code for Attachment Transmission Code" in f.message
    assert len(result.findings) == 1


def test_missing_billing_provider_nm1_85(tmp_path):
    lines = _lines()
    nm1_85 = _ordinal(lines, "NM1*85*")
    del lines[nm1_85 - 1]
    path = _write(tmp_path, "no85.837", _with_se_count(lines))
    result = validate_guide(path)
    assert result.ok is False
    # the segment that now sits where NM1*85 belonged is the first one pyx12 cannot place ...
    first = result.findings[0]
    assert (first.rule, first.position.segment, first.position.segment_id) == ("IK304-1", nm1_85, "N3")
    # ... and the missing loop is named as pyx12's 999 names it: the NM1 of 2010AA.
    missing = _only(result, "IK304-3")
    assert missing.position.segment_id == "NM1"
    assert "2010AA" in missing.message and "Billing Provider Name" in missing.message
    assert missing.position.segment == _ordinal(lines, "HL*2*")  # detected at the next HL
    assert "IK3*NM1*" in result.ack_999


def test_isa_element_error_is_positioned(tmp_path):
    # pyx12's JSON tree drops ISA element errors; they still come out, with segment and element.
    lines = _lines()
    isa = lines[0].split("*")
    assert isa[5] == "ZZ"
    isa[5] = "QQ"
    path = _write(tmp_path, "isa05.837", "\n".join(["*".join(isa), *lines[1:]]) + "\n")
    result = validate_guide(path)
    assert result.ok is False
    f = _only(result, "IK403-7")
    assert (f.position.segment, f.position.segment_id, f.position.element) == (1, "ISA", "ISA05")
    assert f.message == "(QQ) is not a valid code for Interchange Sender ID Qualifier (ISA05)"


def test_se_count_error(tmp_path):
    lines = _lines()
    se = _ordinal(lines, "SE*")
    lines[se - 1] = lines[se - 1].replace("SE*32*", "SE*30*")
    path = _write(tmp_path, "se.837", "\n".join(lines) + "\n")
    result = validate_guide(path)
    f = _only(result, "IK502-4")
    assert result.ok is False
    assert (f.position.segment, f.position.segment_id) == (_ordinal(lines, "ST*"), "ST")
    assert "SE count of 30" in f.message


def test_messages_do_not_echo_patient_data(tmp_path):
    lines = _lines()
    dmg = _ordinal(lines, "DMG*")
    lines[dmg - 1] = lines[dmg - 1].replace("19700315", "19701399")  # impossible birth date
    bht = _ordinal(lines, "BHT*")
    lines.insert(bht, "N3*100 MAIN ST~")  # an address in the header: 'Segment N3*100 MAIN ST not found'
    dmg += 1
    path = _write(tmp_path, "phi.837", _with_se_count(lines))
    result = validate_guide(path)
    assert result.ok is False
    text = " ".join(f.message for f in result.findings)
    assert "19701399" not in text and "MAIN ST" not in text
    date = _only(result, "IK403-8")
    assert (date.position.segment, date.position.segment_id, date.position.element) == (dmg, "DMG", "DMG02")
    n3 = [f for f in result.findings if f.rule == "IK304-1"]
    assert [(f.position.segment, f.position.segment_id) for f in n3] == [(bht + 1, "N3")]
    assert n3[0].message.startswith("Segment N3 not found.")


# ---------------------------------------------------------------------------------------------- pyx12 quirks


def test_non_ascii_byte_is_an_encoding_finding(tmp_path):
    data = ORIGINAL_A.read_bytes()
    lines = _lines()
    sbr_name = _ordinal(lines, "NM1*IL*1*DOE*JANE****MI*PRI")
    bad = data.index(b"JANE****MI*PRI") + 3
    data = data[:bad] + b"\xc9" + data[bad + 1 :]  # JANE -> JAN\xc9
    path = _write(tmp_path, "latin1.837", data)
    result = validate_guide(path)
    assert result.ok is False and result.guide == "" and result.ack_999 == ""
    f = _only(result, "encoding")
    assert len(result.findings) == 1
    assert (f.position.segment, f.position.segment_id, f.position.element) == (sbr_name, "NM1", "NM104")
    assert f.position.offset == data.index(b"NM1*IL*1*DOE*JAN\xc9")
    assert f"offset {bad}" in f.message and "0xC9" in f.message
    assert "JAN" not in f.message


def test_validate_text_with_non_ascii_character():
    text = ORIGINAL_A.read_text(encoding="ascii").replace("ACME CLINIC*****XX", "ACMÉ CLINIC*****XX")
    result = validate_guide_text(text, name="claims-from-memory")
    assert result.ok is False
    f = _only(result, "encoding")
    assert f.position.file == "claims-from-memory"
    assert f.position.segment_id == "NM1" and f.position.element == "NM103"


def test_validate_text_clean():
    result = validate_guide_text(ORIGINAL_A.read_text(encoding="ascii"), name="A")
    assert (result.ok, result.file, result.guide, result.findings) == (True, "A", "005010X222A1", [])
    assert "IK5*A~" in result.ack_999


def test_unpadded_isa_is_not_x12(tmp_path):
    text = ORIGINAL_A.read_text(encoding="ascii").replace("ISA*00*          *00*", "ISA*00**00*", 1)
    path = _write(tmp_path, "unpadded.837", text)
    result = validate_guide(path)
    assert result.ok is False and result.guide == "" and result.ack_999 == ""
    f = _only(result, "not-x12")
    assert len(result.findings) == 1
    assert "96 characters" in f.message and "106" in f.message


def test_file_without_isa_is_not_x12(tmp_path):
    path = _write(tmp_path, "st-only.835", "ST*835*0001~BPR*I*1*C*NON************20240101~SE*3*0001~")
    result = validate_guide(path)
    assert result.ok is False
    assert "does not begin with 'ISA'" in _only(result, "not-x12").message


def test_x222a2_has_no_map():
    result = validate_guide(X222A2)
    assert result.ok is False and result.guide == "" and result.ack_999 == ""
    f = _only(result, "no-map")
    assert len(result.findings) == 1
    assert "005010X222A2" in f.message
    assert (f.position.segment, f.position.segment_id, f.position.element) == (2, "GS", "GS08")


def test_missing_file_is_a_finding(tmp_path):
    result = validate_guide(tmp_path / "nope.837")
    assert result.ok is False
    assert _only(result, "unreadable").position.file == str(tmp_path / "nope.837")


# ---------------------------------------------------------------------------------------------- logging


def test_pyx12_logs_reach_neither_the_callers_handlers_nor_stderr(bad_place_of_service):
    path, _ = bad_place_of_service
    seen: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record)

    root = logging.getLogger()
    handler = Collect(logging.DEBUG)
    root.addHandler(handler)
    pyx12_logger = logging.getLogger("pyx12")
    before = (pyx12_logger.propagate, pyx12_logger.level, list(pyx12_logger.handlers))
    try:
        result = validate_guide(path)
    finally:
        root.removeHandler(handler)
    assert result.ok is False and result.findings  # errors were found ...
    assert [r for r in seen if r.name.startswith("pyx12")] == []  # ... and none was logged to the caller
    assert (pyx12_logger.propagate, pyx12_logger.level, list(pyx12_logger.handlers)) == before


def test_nothing_printed_to_stderr(bad_place_of_service):
    path, _ = bad_place_of_service
    code = (
        "import sys; from edi.validation.pyx12_engine import validate_guide as v\n"
        f"r = v({str(path)!r}); r2 = v({str(EXAMPLE_835S[0])!r}); r3 = v({str(X222A2)!r})\n"
        "print(r.ok, r2.ok, r3.ok)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "True", "False"]
    assert proc.stderr == ""


# ---------------------------------------------------------------------------------------------- many


def test_validate_files_in_processes_matches_sequential(bad_place_of_service, tmp_path):
    bad_pos, _ = bad_place_of_service
    latin = _write(tmp_path, "latin.837", ORIGINAL_A.read_bytes().replace(b"JANE", b"JAN\xc9", 1))
    paths = [ORIGINAL_A, bad_pos, EXAMPLE_835S[0], latin, X222A2]
    sequential = validate_files(paths)
    parallel = validate_files(paths, workers=2)
    assert [r.file for r in parallel] == [str(p) for p in paths]
    assert [r.ok for r in parallel] == [True, False, True, False, False]
    assert [r.as_dict() for r in parallel] == [r.as_dict() for r in sequential]


def test_concurrent_calls_from_threads_do_not_mix(bad_place_of_service):
    from concurrent.futures import ThreadPoolExecutor

    bad_pos, _ = bad_place_of_service
    paths = [ORIGINAL_A, bad_pos, ORIGINAL_A, bad_pos]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(validate_guide, paths))
    assert [r.ok for r in results] == [True, False, True, False]
    assert [len(r.findings) for r in results] == [0, 1, 0, 1]
    assert all(f.position.file == str(bad_pos) for r in results[1::2] for f in r.findings)
