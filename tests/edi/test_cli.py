"""The command line as a person uses it: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi.cli import cli
from tests.support import CORPUS as CORPUS_DIR
from tests.support import EXAMPLES, corpus_files

CORPUS = corpus_files()
TRUNCATED = "docs__odd-separator.edi"  # INDEX.tsv: TRUNCATED (no SE/GE/IEA)


def run_edi(*args: str, env_state: Path | None = None) -> subprocess.CompletedProcess:
    """The installed console entry point, as a real process (so exits and stderr are the real ones)."""
    code = "from edi.cli import main; main()"
    env = None
    if env_state is not None:
        import os

        env = dict(os.environ, EDI_STATE_DIR=str(env_state))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_inspect_reads_every_corpus_file_or_names_what_is_wrong(path):
    result = CliRunner().invoke(cli, ["inspect", "--json", str(path)])
    if path.name == TRUNCATED:
        assert result.exit_code != 0
        assert "expected SE" in str(result.exception)
    else:
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        assert summary["file"] == str(path)
        for finding in summary["findings"]:
            assert finding["position"]["file"] == str(path)


def test_inspect_truncated_file_exits_2_with_one_line():
    done = run_edi("inspect", str(next(p for p in CORPUS if p.name == TRUNCATED)))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "segment 46 (PRV)" in lines[0] and "expected SE" in lines[0]
    assert "Traceback" not in done.stderr


def test_inspect_not_x12_exits_2(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello, this is not X12\n")
    done = run_edi("inspect", str(bad))
    assert done.returncode == 2
    assert "not X12: expected ISA" in done.stderr
    assert "Traceback" not in done.stderr


def test_inspect_text_reports_balancing_findings():
    sample = CORPUS_DIR / "affect-therapeutics__edi-835-parser" / "tests__test_edi_835_files__sample_835.txt"
    result = CliRunner().invoke(cli, ["inspect", str(sample)])
    assert result.exit_code == 0
    assert "[B3]" in result.output and "[SE01]" in result.output


def test_convert_exit_codes_and_outputs(tmp_path):
    out = tmp_path / "sec.837"
    done = run_edi(
        "convert",
        str(EXAMPLES / "A_primary.835"),
        "--claims",
        str(EXAMPLES / "A_original.837"),
        "--out",
        str(out),
        "--report",
        str(tmp_path / "r.json"),
        env_state=tmp_path / "state",
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("ISA*")
    # The 835 names a claim that no original file holds: needs review, exit 1, nothing written.
    out2 = tmp_path / "none.837"
    done = run_edi(
        "convert",
        str(EXAMPLES / "B_primary.835"),
        "--claims",
        str(EXAMPLES / "A_original.837"),
        "--out",
        str(out2),
        env_state=tmp_path / "state",
    )
    assert done.returncode == 1
    assert "needs-review" in done.stderr
    assert not out2.exists()


def test_convert_to_stdout(tmp_path):
    done = run_edi(
        "convert",
        str(EXAMPLES / "C_primary.835"),
        "--claims",
        str(EXAMPLES / "C_original.837"),
        "--out",
        "-",
        env_state=tmp_path / "state",
    )
    assert done.returncode == 0
    assert done.stdout.startswith("ISA*") and done.stdout.rstrip().endswith("~")
    assert "convert.done" not in done.stdout  # logs go to stderr, never into the claim file


def test_convert_unreadable_input_exits_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "cut.835"
    bad.write_bytes((EXAMPLES / "A_primary.835").read_bytes()[:400])
    out = tmp_path / "x.837"
    done = run_edi(
        "convert",
        str(bad),
        "--claims",
        str(EXAMPLES / "A_original.837"),
        "--out",
        str(out),
        env_state=tmp_path / "state",
    )
    assert done.returncode == 2
    assert str(bad) in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".x.837*"))


def test_bad_usage_exits_2(tmp_path):
    done = run_edi("convert", str(EXAMPLES / "A_primary.835"), "--out", str(tmp_path / "x"))
    assert done.returncode == 2
    assert "--claims" in done.stderr
