"""The command line on hostile and broken input (issue 13): one line naming the file and position, exit 0/1/2,
every file a verdict, no store conjured by a typo, global options after the subcommand, helps that say what
an argument is and the exit codes."""

from __future__ import annotations

import json
import shutil

import click
import pytest

from edi.cli import cli
from edi.store import StoreError, open_store
from edi.validation import validate_file
from tests.support import EXAMPLES, FIXTURES, edi_main, fixture_files

BAD_835 = (EXAMPLES / "A_primary.835").read_bytes().replace(b"CAS*CO*45*40~", b"CAS*CO*45*1E+1000000~")
BAD_837 = (EXAMPLES / "A_secondary.837").read_bytes().replace(b"AMT*D*108", b"AMT*D*ABC")


@pytest.mark.parametrize(
    ("name", "data", "element"),
    [("bad.835", BAD_835, "CAS03"), ("bad.837", BAD_837, "AMT02")],
)
def test_inspect_of_a_bad_amount_is_one_line_naming_the_file_and_position(tmp_path, name, data, element):
    path = tmp_path / name
    path.write_bytes(data)
    code, out, err = edi_main("inspect", path)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert name in err and f", {element})" in err and "segment" in err and "Traceback" not in err


def test_validate_gives_a_verdict_for_every_file_whatever_the_bytes(tmp_path):
    bad = tmp_path / "bad.835"
    bad.write_bytes(BAD_835)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\xff" * 3000)
    code, out, _ = edi_main("validate", "--json", EXAMPLES / "A_primary.835", bad, junk)
    verdicts = {v["file"].rsplit("/", 1)[-1]: v for v in json.loads(out)["files"]}
    assert verdicts["A_primary.835"]["verdict"] in ("clean", "warnings")
    assert verdicts["bad.835"]["exit_code"] == 2 and verdicts["junk.bin"]["verdict"] == "unreadable"
    assert code == 2


def test_validate_file_never_raises_even_when_our_checks_fail(tmp_path, monkeypatch):
    from edi.validation import validator

    def broken(path, name, verdict):
        raise KeyError("a fault of ours")

    monkeypatch.setattr(validator, "read_835_checks", broken)
    verdict = validate_file(EXAMPLES / "A_primary.835")
    [issue] = [i for i in verdict.issues if i.rule == "internal-error"]
    assert issue.severity == "error" and "KeyError" in issue.message and verdict.exit_code == 1


def test_validate_ack_keeps_one_acknowledgment_per_input_even_with_the_same_name(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(EXAMPLES / "A_original.837", tmp_path / folder / "claims.837")
    acks = tmp_path / "acks"
    code, _, err = edi_main(
        "validate", tmp_path / "a" / "claims.837", tmp_path / "b" / "claims.837", "--ack", acks, "--state", tmp_path
    )
    written = sorted(p.name for p in acks.iterdir())
    assert len(written) == 2 and "claims.837.999" in written, (written, err)


@pytest.mark.parametrize(
    "command", [["statement", "PCN1001"], ["worklist"], ["ledger", "export"], ["post", EXAMPLES / "A_primary.835"]]
)
def test_commands_that_need_the_store_refuse_a_state_directory_without_one(tmp_path, command):
    typo = tmp_path / "stat"
    code, _, err = edi_main(*command, "--state", typo)
    assert code == 2 and str(typo) in err and "no claim store" in err
    assert not typo.exists()  # nothing conjured


def test_a_store_that_cannot_be_opened_names_its_path(tmp_path):
    (tmp_path / "state").write_text("a file where the state folder should be")
    with pytest.raises(StoreError, match=str(tmp_path / "state")):
        open_store(tmp_path / "state")
    code, _, err = edi_main("post", EXAMPLES / "A_primary.835", "--state", tmp_path / "state")
    assert code == 2 and str(tmp_path / "state") in err and "internal error" not in err


def test_global_options_work_after_the_subcommand(tmp_path):
    code, out, err = edi_main("inspect", EXAMPLES / "A_primary.835", "--log-level", "DEBUG")
    assert code == 0 and "claims 1" in out
    code, _, err = edi_main("ledger", "export", "--state", tmp_path, "--log-level", "nonsense")
    assert code == 2 and "--log-level" in err


def commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


@pytest.mark.parametrize(
    ("path", "command"), list(commands(cli)), ids=lambda x: " ".join(x) if isinstance(x, tuple) else ""
)  # noqa: E501
def test_every_help_says_what_its_arguments_are_and_the_exit_codes(path, command):
    code, out, _ = edi_main(*path, "--help")
    assert code == 0 and "Exits" in out, out
    assert "--log-level" in out
    for argument in (p for p in command.params if isinstance(p, click.Argument)):
        assert argument.name.upper().rstrip("S") in command.help.split("\n\n")[0], argument.name
    if path == ("statement",):
        assert "CLM01" in out


REPRODUCERS = fixture_files(FIXTURES / "hostile", "*.x12")


@pytest.fixture(scope="module")
def example_store(tmp_path_factory):
    """A claim store holding example A's original claim (what `edi post` posts on)."""
    state = tmp_path_factory.mktemp("state")
    drop = tmp_path_factory.mktemp("drop")
    shutil.copy(EXAMPLES / "A_original.837", drop / "a.837")
    assert edi_main("batch", drop, "--out", drop.parent / "out", "--state", state, "--quiet")[0] == 0
    return state


@pytest.mark.parametrize("path", REPRODUCERS, ids=lambda p: p.name)
def test_every_reproducer_exits_0_1_or_2_with_one_line_naming_the_file(tmp_path, path, example_store):
    partner = ["--claims", EXAMPLES / "A_original.837"]
    runs = {
        "inspect": ["inspect", path],
        "convert": ["convert", path, *partner, "--out", tmp_path / "o.837", "--state", tmp_path / "s"],
        "post": ["post", path, "--state", example_store],
        "validate": ["validate", path],
    }
    if b"ST*837" in path.read_bytes()[:400]:
        runs["convert"] = ["convert", EXAMPLES / "A_primary.835", "--claims", path, "--out", tmp_path / "o.837"]
        runs["convert"] += ["--state", tmp_path / "s"]
    for command, args in runs.items():
        code, out, err = edi_main(*args)
        assert code in (0, 1, 2), (command, code, err)
        assert "Traceback" not in err and "internal error" not in err, (command, err)
        if code == 2 and command != "validate":
            [line] = [ln for ln in err.splitlines() if ln.startswith("edi: ")]
            assert line.startswith(f"edi: {path}") and err.strip() == line, (command, err)
