"""Institutional benchmark: a generated 837I + primary 835 pair (fixed seed), read and converted end to end.

    .venv/bin/python -m benchmarks.institutional                 # 20,000 claims, seed 20261127
    .venv/bin/python -m benchmarks.institutional --claims 2000   # quicker
    .venv/bin/python -m benchmarks.institutional --json out/inst-bench.json

Measures, each in its own child process (so peak RSS, VmHWM, is that run's own):

1. a naive split pass over the same bytes (``data.split(b"~")`` then each segment ``.split(b"*")``), for the
   837I and for the 835: the floor any reader is compared with;
2. our streaming readers: ``Reader837`` over the 837I, ``Reader835`` over the 835;
3. ``edi.pipeline.convert`` end to end (read both, net, match, decide, derive, balance, write the secondary
   837I and the report).

Reported: seconds, claims/s, MB/s (input bytes; for convert both inputs together), peak RSS, and the ratio to
the naive pass. File reading is included in every row. The files are cached under benchmarks/data/
(``inst<version>_<claims>_<seed>.837i`` / ``.835``).

The claims (about 30% inpatient DRG claims remitted at claim level only with MIA, the rest outpatient with
1-6 SV2 lines: revenue-code-only lines answered as NU, HCPCS lines with or without SVC04, some denied, REF*6R
on half of them with the SVC loops then shuffled; 10% dependents) balance by construction (B1-B3, B7), so
nearly every claim converts; the few with no patient responsibility are "nothing-due".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GENERATOR_VERSION = 1
DEFAULT_SEED = 20261127
DATA_DIR = Path(__file__).resolve().parent / "data"
CLAIMS_PER_ST = 2500
MB = 1024 * 1024
TERM = "~\n"

REVENUE_ONLY = ("0120", "0250", "0270", "0300", "0450", "0636", "0730")
WITH_HCPCS = (
    ("0320", "71046"),
    ("0300", "80053"),
    ("0300", "85025"),
    ("0510", "99213"),
    ("0450", "99284"),
    ("0360", "29881"),
    ("0636", "J3301"),
)
FIRST = ("JANE", "JOHN", "MARY", "JAMES", "LINDA", "ROBERT", "SUSAN", "DAVID")
LAST = ("DOE", "SMITH", "JOHNSON", "BROWN", "GARCIA", "MILLER", "DAVIS", "WILSON")


def money(cents: int) -> str:
    whole, frac = divmod(cents, 100)
    return f"{whole}.{frac:02d}" if frac else str(whole)


def _isa(sender: str, receiver: str, number: int) -> str:
    return f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{receiver:<15}*240425*0900*^*00501*{number:09d}*0*T*:"


def _split(rng: random.Random, total: int, parts: int, pr_first: bool) -> list[tuple[str, str, int]]:
    out = []
    left = total
    groups = [("CO", "45"), ("PR", "1"), ("PR", "2"), ("PR", "3"), ("OA", "23")]
    for k in range(parts):
        if left <= 0:
            break
        group = ("PR", "2") if pr_first and k == 0 else rng.choice(groups)
        amount = rng.randint(1, max(1, left // 2))
        out.append((group[0], group[1], amount))
        left -= amount
    return out


def _claim(rng: random.Random, i: int, hl: list[int]) -> tuple[list[str], list[str], int]:
    """(837I segments from 2000B to the last line, 835 segments from CLP on, CLP04 cents) of claim i."""
    cid = f"IPCN{i:07d}"
    first, last = rng.choice(FIRST), rng.choice(LAST)
    dependent = rng.random() < 0.10
    inpatient = rng.random() < 0.30
    hl_sub = hl[0] = hl[0] + 1  # HL01 sequential within the transaction set
    if dependent:
        hl_pat = hl[0] = hl[0] + 1
    member = f"PRI{i:08d}"
    s837: list[str] = []
    if dependent:
        s837 += [
            f"HL*{hl_sub}*1*22*1",
            "SBR*P**GRP1001******12",
            f"NM1*IL*1*{last}*{first}****MI*{member}",
            "N3*44 ELM ST",
            "N4*SPRINGFIELD*IL*627040000",
            "DMG*D8*19581102*M",
            "NM1*PR*2*PRIMARY HEALTH PLAN*****PI*11111",
            f"HL*{hl_pat}*{hl_sub}*23*0",
            "PAT*19",
            f"NM1*QC*1*{last}*TIMMY",
            "N3*44 ELM ST",
            "N4*SPRINGFIELD*IL*627040000",
            "DMG*D8*20120607*M",
        ]
    else:
        s837 += [
            f"HL*{hl_sub}*1*22*0",
            "SBR*P*18*GRP1001******12",
            f"NM1*IL*1*{last}*{first}****MI*{member}",
            "N3*12 OAK AVE",
            "N4*SPRINGFIELD*IL*627020000",
            "DMG*D8*19700315*F",
            "NM1*PR*2*PRIMARY HEALTH PLAN*****PI*11111",
        ]
    n_lines = rng.randint(3, 5) if inpatient else rng.randint(1, 6)
    lines = []
    for _ in range(n_lines):
        if inpatient or rng.random() < 0.4:
            lines.append((rng.choice(REVENUE_ONLY), "", rng.randint(5_000, 900_000), rng.randint(1, 5)))
        else:
            rev, code = rng.choice(WITH_HCPCS)
            lines.append((rev, code, rng.randint(5_000, 300_000), rng.randint(1, 3)))
    charge = sum(c for _, _, c, _ in lines)
    if inpatient:
        s837 += [
            f"CLM*{cid}*{money(charge)}***11:A:1**A*Y*Y",
            "DTP*434*RD8*20240406-20240410",
            "DTP*435*DT*202404061000",
            "CL1*1*7*01",
            "HI*ABK:I214",
            "HI*ABJ:R079",
            "HI*DR:280",
        ]
    else:
        s837 += [
            f"CLM*{cid}*{money(charge)}***13:A:1**A*Y*Y",
            "DTP*434*RD8*20240410-20240410",
            "CL1***01",
            "HI*ABK:R0789",
        ]
    rel = rng.choice(("01", "19")) if dependent else "18"
    s837 += [
        f"SBR*S*{rel}*GRP2002******CI",
        "OI***Y***Y",
        f"NM1*IL*1*{last}*{first}****MI*SEC{i:08d}",
        "NM1*PR*2*SECONDARY HEALTH PLAN*****PI*22222",
    ]
    control = not inpatient and rng.random() < 0.5
    for n, (rev, code, cents, units) in enumerate(lines, 1):
        s837 += [f"LX*{n}", f"SV2*{rev}*{'HC:' + code if code else ''}*{money(cents)}*UN*{units}"]
        if not inpatient:
            s837.append("DTP*472*D8*20240410")
        if control:
            s837.append(f"REF*6R*{cid}-{n}")

    names = (
        [f"NM1*QC*1*{last}*TIMMY", f"NM1*IL*1*{last}*{first}****MI*{member}"]
        if dependent
        else [f"NM1*QC*1*{last}*{first}****MI*{member}"]
    )
    if inpatient:
        adjustments = [("CO", "45", charge // 5)] + _split(rng, charge - charge // 5, 2, True)
        paid = charge - sum(a for _, _, a in adjustments)
        pr = sum(a for g, _, a in adjustments if g == "PR")
        s835 = [f"CLP*{cid}*1*{money(charge)}*{money(paid)}*{money(pr)}*12*PRI{cid}*11*1"]
        s835 += [f"CAS*{g}*{r}*{money(a)}" for g, r, a in adjustments]
        s835 += names + [f"MIA*{n_lines}*0**{money(paid + pr)}*MA01", "DTM*050*20240411"]
        return s837, s835, paid
    services = []
    pr = paid = 0
    for n, (rev, code, cents, units) in enumerate(lines, 1):
        if rng.random() < 0.08:
            adjustments = [("CO", "50", cents)]
            paid_units = "0"
        else:
            adjustments = [("CO", "45", cents // 4)] + _split(rng, cents - cents // 4, 2, rng.random() < 0.8)
            paid_units = str(units)
        line_paid = cents - sum(a for _, _, a in adjustments)
        paid += line_paid
        pr += sum(a for g, _, a in adjustments if g == "PR")
        svc01, svc04 = (f"HC:{code}", rev if rng.random() < 0.5 else "") if code else (f"NU:{rev}", "")
        seg = [f"SVC*{svc01}*{money(cents)}*{money(line_paid)}*{svc04}*{paid_units}", "DTM*472*20240410"]
        seg += [f"CAS*{g}*{r}*{money(a)}" for g, r, a in adjustments]
        if control:
            seg.append(f"REF*6R*{cid}-{n}")
        services.append(seg)
    if control:
        rng.shuffle(services)
    s835 = [f"CLP*{cid}*1*{money(charge)}*{money(paid)}*{money(pr)}*12*PRI{cid}*13*1"] + names
    if rng.random() < 0.5:
        s835.append("MOA***MA01")
    s835.append("DTM*050*20240411")
    for seg in services:
        s835 += seg
    return s837, s835, paid


def generate(n_claims: int, seed: int, path837: Path, path835: Path) -> None:
    rng = random.Random(seed)
    with (
        open(path837, "w", encoding="ascii", newline="") as f837,
        open(path835, "w", encoding="ascii", newline="") as f835,
    ):
        f837.write(
            TERM.join(
                [_isa("ACMEHOSP", "CLEARINGHOUSE", 1), "GS*HC*ACMEHOSP*CLEARINGHOUSE*20240411*0800*1*X*005010X223A2"]
            )
            + TERM
        )
        f835.write(
            TERM.join(
                [_isa("PRIMARYPAYER", "ACMEHOSP", 2), "GS*HP*PRIMARYPAYER*ACMEHOSP*20240425*0900*2*X*005010X221A1"]
            )
            + TERM
        )
        head837 = [
            "ST*837*0001*005010X223A2",
            "BHT*0019*00*BENCH*20240411*0800*CH",
            "NM1*41*2*ACME GENERAL HOSPITAL*****46*ACMEHOSP",
            "PER*IC*PATIENT ACCOUNTS*TE*5555551313",
            "NM1*40*2*CLEARINGHOUSE INC*****46*CLEARINGHOUSE",
            "HL*1**20*1",
            "NM1*85*2*ACME GENERAL HOSPITAL*****XX*1987654328",
            "N3*500 HOSPITAL DR",
            "N4*SPRINGFIELD*IL*627030000",
            "REF*EI*371239999",
        ]
        body837 = list(head837)
        n_st = 0
        hl = [1]
        for start in range(0, n_claims, CLAIMS_PER_ST):
            n_st += 1
            body835: list[str] = []
            total = 0
            for i in range(start, min(n_claims, start + CLAIMS_PER_ST)):
                s837, s835, paid = _claim(rng, i, hl)
                body837 += s837
                body835 += s835
                total += paid
                if len(body837) > 50_000:
                    f837.write(TERM.join(body837) + TERM)
                    body837 = []
            st = [
                f"ST*835*{n_st:04d}",
                f"BPR*I*{money(total)}*C*ACH*CCP*01*999999999*DA*123456*1111111111**01*888888888*DA*98765*20240425",
                f"TRN*1*EFT{n_st:06d}*1111111111",
                "DTM*405*20240424",
                "N1*PR*PRIMARY HEALTH PLAN",
                "N3*1 PAYER WAY",
                "N4*CHICAGO*IL*606010000",
                "REF*2U*11111",
                "PER*BL*EDI SUPPORT*TE*8005550100",
                "N1*PE*ACME GENERAL HOSPITAL*XX*1987654328",
                "LX*1",
            ] + body835
            st.append(f"SE*{len(st) + 1}*{n_st:04d}")
            f835.write(TERM.join(st) + TERM)
        f835.write(TERM.join([f"GE*{n_st}*2", "IEA*1*000000002"]) + TERM)
        # SE01 of the one 837 transaction: count what was written since ST
        f837.write(TERM.join(body837) + TERM)
    count = 0
    with open(path837, "rb") as f:
        for seg in f.read().split(b"~")[2:]:
            if seg.strip():
                count += 1
    with open(path837, "a", encoding="ascii", newline="") as f837:
        f837.write(TERM.join([f"SE*{count + 1}*0001", "GE*1*1", "IEA*1*000000001"]) + TERM)


def pair_paths(n_claims: int, seed: int) -> tuple[Path, Path]:
    stem = DATA_DIR / f"inst{GENERATOR_VERSION}_{n_claims}_{seed}"
    return stem.with_suffix(".837i"), stem.with_suffix(".835")


def write_pair(n_claims: int, seed: int = DEFAULT_SEED) -> tuple[Path, Path]:
    p837, p835 = pair_paths(n_claims, seed)
    if not (p837.is_file() and p835.is_file()):
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        t837, t835 = p837.with_suffix(".837i.tmp"), p835.with_suffix(".835.tmp")
        generate(n_claims, seed, t837, t835)
        os.replace(t837, p837)
        os.replace(t835, p835)
    return p837, p835


# ------------------------------------------------------------------------------------------- child side
def _peak_rss() -> int:
    """This process's own peak RSS. VmHWM belongs to the process's address space, which exec starts afresh;
    ru_maxrss is not reset by exec on Linux, so a child forked from a big parent would report the parent's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _child(kind: str, args: list[str]) -> dict:
    count = 0
    if kind == "naive":
        t0 = time.perf_counter()
        with open(args[0], "rb") as f:
            data = f.read()
        for seg in data.split(b"~"):
            seg.split(b"*")
            count += 1
    elif kind == "read837":
        from parsers.read837 import Reader837
        from parsers.syntax import Tokenizer

        t0 = time.perf_counter()
        reader = Reader837(Tokenizer.open(args[0]))
        for _claim in reader.claims():
            count += 1
    elif kind == "read835":
        from parsers.read835 import Reader835
        from parsers.syntax import Tokenizer

        t0 = time.perf_counter()
        for _claim in Reader835(Tokenizer.open(args[0])).claims():
            count += 1
    elif kind == "convert":
        from edi.config import Settings
        from edi.pipeline import convert

        remit, claims, out, report, state = args
        t0 = time.perf_counter()
        result = convert(  # the conversion alone: the outbound checks (pyx12) are measured in benchmarks.batch
            remit, [claims], out, report, Settings(state_dir=Path(state)), keep_claims=False, check_outbound=False
        )
        seconds = time.perf_counter() - t0
        counts: dict[str, int] = {}
        for outcome in result.outcomes:
            counts[outcome.disposition] = counts.get(outcome.disposition, 0) + 1
        return {
            "seconds": seconds,
            "count": len(result.outcomes),
            "peak_rss": _peak_rss(),
            "dispositions": counts,
            "out_bytes": Path(out).stat().st_size if Path(out).is_file() else 0,
        }
    else:
        raise SystemExit(f"unknown measurement {kind!r}")
    return {"seconds": time.perf_counter() - t0, "count": count, "peak_rss": _peak_rss()}


def measure(kind: str, *args) -> dict:
    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, "-m", "benchmarks.institutional", "--child", kind, *map(str, args)]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        print(json.dumps(_child(argv[1], argv[2:])))
        return 0
    ap = argparse.ArgumentParser(prog="python -m benchmarks.institutional", description=__doc__.split("\n")[0])
    ap.add_argument("--claims", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    a = ap.parse_args(argv)

    t0 = time.perf_counter()
    p837, p835 = write_pair(a.claims, a.seed)
    size837, size835 = p837.stat().st_size, p835.stat().st_size
    print(
        f"837I {p837.name}: {size837 / MB:.1f} MB; 835 {p835.name}: {size835 / MB:.1f} MB; "
        f"{a.claims} claims, seed {a.seed} (ready in {time.perf_counter() - t0:.1f}s)"
    )
    results: dict[str, dict] = {}
    results["naive 837I"] = dict(measure("naive", p837), bytes=size837)
    results["Reader837 837I"] = dict(measure("read837", p837), bytes=size837)
    results["naive 835"] = dict(measure("naive", p835), bytes=size835)
    results["Reader835 835"] = dict(measure("read835", p835), bytes=size835)
    with tempfile.TemporaryDirectory() as tmp:
        results["convert (end to end)"] = dict(
            measure("convert", p835, p837, Path(tmp) / "secondary.837", Path(tmp) / "report.json", Path(tmp) / "state"),
            bytes=size837 + size835,
        )
    naive = {"837I": results["naive 837I"]["seconds"], "835": results["naive 835"]["seconds"]}
    naive["both"] = naive["837I"] + naive["835"]
    header = f"{'measurement':<22} {'seconds':>8} {'claims/s':>10} {'MB/s':>7} {'peak RSS':>9} {'x naive':>8}"
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        base = naive["both"] if name.startswith("convert") else naive["835" if "835" in name else "837I"]
        claims_s = f"{a.claims / r['seconds']:,.0f}" if not name.startswith("naive") else "-"
        print(
            f"{name:<22} {r['seconds']:>8.3f} {claims_s:>10} {r['bytes'] / MB / r['seconds']:>7.1f} "
            f"{r['peak_rss'] / MB:>7.0f}MB {r['seconds'] / base:>8.1f}"
        )
    conv = results["convert (end to end)"]
    print(
        f"convert: {conv['count']} claims, dispositions {conv['dispositions']}, "
        f"secondary 837I {conv['out_bytes'] / MB:.1f} MB"
    )
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        summary = {"claims": a.claims, "seed": a.seed, "results": results}
        Path(a.json).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
