"""Helpers of the billing office's tests: the `edi` command line in-process, a store holding the worked
examples' drop, and the secondary payer's answers the examples lack (a partial payment leaving the patient
a balance, a denial to appeal, and the payer's changed answer after a won appeal)."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from edi.cli import cli
from rules.ledger import read_jsonl

from . import EXAMPLES

SECONDARY_HEADER = [
    "ISA*00*          *00*          *ZZ*SECONDARYPLAN  *ZZ*ACMECLINIC     *240301*0900*^*00501*000000{n}*0*T*:",
    "GS*HP*SECONDARYPLAN*ACMECLINIC*20240301*0900*{g}*X*005010X221A1",
    "ST*835*0001",
    "BPR*I*{paid}*C*CHK************{day}",
    "TRN*1*{trace}*1222222222",
    "N1*PR*SECONDARY HEALTH PLAN",
    "N3*2 PLAN ST",
    "N4*DALLAS*TX*752010000",
    "PER*BL*EDI*TE*8005550200",
    "N1*PE*ACME CLINIC*XX*1234567893",
]


def remit835(trace: str, day: str, paid: str, body: list[str], n: str = "901") -> bytes:
    """A secondary payer's 835 (payer 22222 resolved as the next expected payer) with `body` (LX onward)."""
    head = [s.format(n=n, g=n, paid=paid, day=day, trace=trace) for s in SECONDARY_HEADER]
    st = head[2:] + body
    segs = head[:2] + st + [f"SE*{len(st) + 1}*0001", f"GE*1*{n}", f"IEA*1*000000{n}"]
    return ("~\n".join(segs) + "~\n").encode()


# Example A: the secondary pays 30 and leaves the patient PR-2 17 (§5.2's variant).
A_PARTIAL = [
    "LX*1",
    "CLP*PCN1001*2*250*30*17*12*SECCLM0009",
    "NM1*QC*1*DOE*JANE****MI*SEC778899",
    "SVC*HC:99214*150*30**1",
    "DTM*472*20240105",
    "CAS*OA*23*112",
    "CAS*PR*2*8",
    "REF*6R*PCN1001-1",
    "SVC*HC:93000*100*0**1",
    "DTM*472*20240105",
    "CAS*OA*23*91",
    "CAS*PR*2*9",
    "REF*6R*PCN1001-2",
]


def b_lines(paid3: str, cas3: str) -> list[str]:
    return [
        "SVC*HC:99213*120*25**1",
        "DTM*472*20240210",
        "CAS*OA*23*95",
        "REF*6R*PCN2002-1",
        "SVC*HC:97140*80*0**0",
        "DTM*472*20240210",
        "CAS*OA*23*80",
        "REF*6R*PCN2002-2",
        f"SVC*HC:97810*90*{paid3}**1",
        "DTM*472*20240210",
        *([cas3] if cas3 else []),
        "REF*6R*PCN2002-3",
    ]


# Example B: the secondary pays the copay line and denies the non-covered line CO-197 (no authorization).
B_DENIAL = [
    "LX*1",
    "CLP*PCN2002*2*290*25**12*SECCLM0002",
    "NM1*QC*1*DOE*JANE****MI*SEC778899",
    *b_lines("0", "CAS*CO*197*90"),
]
# ... then, the appeal won, it reverses that answer and pays the line (reversal + correction).
B_REVERSAL = [
    "LX*1",
    "CLP*PCN2002*22*-290*-25**12*SECCLM0002",
    "NM1*QC*1*DOE*JANE****MI*SEC778899",
    "SVC*HC:99213*-120*-25**-1",
    "CAS*OA*23*-95",
    "REF*6R*PCN2002-1",
    "SVC*HC:97140*-80*0**0",
    "CAS*OA*23*-80",
    "REF*6R*PCN2002-2",
    "SVC*HC:97810*-90*0**-1",
    "CAS*CO*197*-90",
    "REF*6R*PCN2002-3",
    "CLP*PCN2002*2*290*115**12*SECCLM0002B",
    "NM1*QC*1*DOE*JANE****MI*SEC778899",
    *b_lines("90", ""),
]


def edi(*args) -> tuple[int, str]:
    """Run `edi ARGS` in-process: (exit code, stdout). A bug of ours raises."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout + (result.stderr if result.stderr_bytes else "")


TEMPLATES: dict[bool, Path] = {}  # built once per test process, then copied (a batch run takes seconds)


def worked_store(tmp_path: Path, denial: bool = True) -> Path:
    """A store with the worked examples' drop through `edi batch`, then the secondaries' answers: A partial
    (patient owes 17), B denied CO-197 at the secondary. Returns the state directory (a copy of one built
    once per test process)."""
    if denial not in TEMPLATES:
        where = Path(tempfile.mkdtemp(prefix="edi-office-"))
        atexit.register(shutil.rmtree, where, True)
        TEMPLATES[denial] = build_store(where, denial)
    state = tmp_path / "state"
    shutil.copytree(TEMPLATES[denial], state)
    (tmp_path / "answers").mkdir(exist_ok=True)
    return state


def build_store(tmp_path: Path, denial: bool) -> Path:
    """The store `worked_store` copies."""
    drop = tmp_path / "drop"
    drop.mkdir()
    names = [
        "A_original.837",
        "A_primary.835",
        "B_original.837",
        "B_primary.835",
        "C_original.837",
        "C_primary.835",
        "C2_original.837",
        "C2_primary.835",
        "D_original.837",
        "D_medicare_crossover.835",
        "E_original.837",
        "E_reversal_correction.835",
    ]
    for name in names:
        shutil.copy(EXAMPLES / name, drop / name)
    state = tmp_path / "state"
    code, out = edi("batch", drop, "--out", tmp_path / "out", "--state", state, "--quiet")
    assert code in (0, 1), out
    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / "a.835").write_bytes(remit835("CHK7001", "20240301", "30", A_PARTIAL, "901"))
    code, out = edi("post", answers / "a.835", "--state", state)
    assert code == 0, out
    if denial:
        (answers / "b.835").write_bytes(remit835("CHK7002", "20240305", "25", B_DENIAL, "902"))
        code, out = edi("post", answers / "b.835", "--state", state)
        assert code == 0, out
    return state


def post_b_paid(tmp_path: Path, state: Path) -> None:
    """The secondary's changed answer for B after a won appeal."""
    path = tmp_path / "answers" / "b-paid.835"
    path.write_bytes(remit835("CHK7003", "20240601", "90", B_REVERSAL, "903"))
    code, out = edi("post", path, "--state", state)
    assert code == 0, out


def ledger_by_category(state: Path, kind: str | None = None) -> dict[str, Decimal]:
    """`edi ledger export` summed by category (only rows of `kind` when given)."""
    code, out = edi("ledger", "export", "--state", state)
    assert code == 0
    sums: dict[str, Decimal] = {}
    for e in read_jsonl(out):
        if kind is None or e.kind == kind:
            sums[e.category] = sums.get(e.category, Decimal(0)) + e.amount
    return sums


def statement(state: Path, claim: str) -> dict:
    code, out = edi("statement", claim, "--state", state, "--json")
    assert code in (0, 1), out
    return json.loads(out)


def item_id(state: Path, claim: str, reason: str) -> int:
    """The id of the open worklist item of `claim` with CARC `reason`."""
    code, out = edi("worklist", "--state", state, "--json", "--today", "2024-03-10")
    rows = [r for r in json.loads(out) if r["claim_id"] == claim and r["reason"] == reason]
    assert len(rows) == 1, rows
    return rows[0]["id"]
