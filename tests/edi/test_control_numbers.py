"""One control-number counter for every command that writes an interchange: convert, batch (outputs and
acknowledgments) and validate --ack, run in turn on one state directory, never repeat a number: ISA13 and GS06
both come from the one counter, so no number appears twice among them (ST02 need only be unique within its
group; a 999 numbers its sets from 0001)."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from edi.cli import cli
from parsers.syntax import Tokenizer
from tests.support import EXAMPLES


def control_numbers(path: Path) -> dict[str, list[int]]:
    """ISA13 and GS06 of every envelope in the file."""
    found: dict[str, list[int]] = {"ISA13": [], "GS06": []}
    for seg in Tokenizer.open(path):
        if seg[0] == "ISA":
            found["ISA13"].append(int(seg[13]))
        elif seg[0] == "GS":
            found["GS06"].append(int(seg[6]))
    return found


def edi(*args) -> None:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output


def test_convert_batch_and_validate_ack_share_one_counter(tmp_path):
    state = tmp_path / "state"
    edi(
        "convert",
        EXAMPLES / "A_primary.835",
        "--claims",
        EXAMPLES / "A_original.837",
        "--out",
        tmp_path / "converted.837",
        "--state",
        state,
    )
    drop = tmp_path / "drop"
    drop.mkdir()
    for name in ("B_original.837", "B_primary.835"):
        shutil.copy(EXAMPLES / name, drop / name)
    edi("batch", drop, "--out", tmp_path / "out", "--state", state, "--ack", tmp_path / "acks", "--gate-workers", 0)
    edi(
        "validate",
        EXAMPLES / "A_original.837",
        EXAMPLES / "C_original.837",
        "--ack",
        tmp_path / "acks2",
        "--state",
        state,
    )

    written = [
        tmp_path / "converted.837",
        *sorted((tmp_path / "out").glob("*.837")),
        *sorted((tmp_path / "acks").iterdir()),
        *sorted((tmp_path / "acks2").iterdir()),
    ]
    kinds = {p.suffix for p in written}
    assert {".837", ".999"} <= kinds and len(written) == 5
    numbers = [control_numbers(p) for p in written]
    assert [len(n["ISA13"]) for n in numbers] == [1] * len(written)
    every = [number for n in numbers for kind in n.values() for number in kind]
    assert len(set(every)) == len(every), numbers
