"""The benchmark generator writes a valid, balanced, deterministic 837P/835 pair.

The checks here are independent of the project's parsers: raw splits of the bytes and Decimal sums, plus pyx12
(the validator of record) on small files. No timing assertions.
"""

from __future__ import annotations

import io
import json
import logging
from collections import Counter
from decimal import Decimal

import pytest

from benchmarks.generate import DEFAULT_SEED, generate_pair, write_pair


def segments(data: bytes) -> list[list[str]]:
    text = data.decode("ascii")
    assert text.startswith("ISA")
    element, terminator = text[3], text[105]
    assert len(text.split(terminator)[0]) + 1 == 106, "ISA must be 106 characters with its terminator"
    return [s.strip().split(element) for s in text.split(terminator) if s.strip()]


def amount(value: str) -> Decimal:
    assert "." not in value or len(value.split(".")[1]) <= 2, f"more than two decimals: {value}"
    assert not value.startswith("+") and value != "-0"
    return Decimal(value) if value else Decimal(0)


def cas_sum(seg: list[str]) -> Decimal:
    return sum((amount(seg[i]) for i in range(3, len(seg), 3) if seg[i]), Decimal(0))


def check_envelopes(segs: list[list[str]]) -> Counter:
    """SE01, GE01, IEA01 counts and control numbers; returns segment-id counts."""
    ids: Counter = Counter()
    n_in_st = groups = sts = 0
    st02 = gs06 = isa13 = None
    for s in segs:
        ids[s[0]] += 1
        if s[0] == "ISA":
            isa13, groups = s[13], 0
        elif s[0] == "GS":
            gs06, sts = s[6], 0
            groups += 1
        elif s[0] == "ST":
            st02, n_in_st = s[2], 0
            sts += 1
        n_in_st += 1
        if s[0] == "SE":
            assert int(s[1]) == n_in_st, f"SE01 {s[1]} != {n_in_st} counted"
            assert s[2] == st02
        elif s[0] == "GE":
            assert int(s[1]) == sts and s[2] == gs06
        elif s[0] == "IEA":
            assert int(s[1]) == groups and s[2] == isa13
    return ids


def check_835(segs: list[list[str]]) -> dict:
    """B1 every line, B2 every claim, B3 every transaction, CLP05 = Σ PR (except reversals)."""
    claims: dict = {}
    bpr = total_paid = plb = None
    claim = line = None
    stats = Counter()

    def close_line():
        if line is not None:
            svc, cas = line[0], line[1]
            assert amount(svc[2]) - cas == amount(svc[3]), f"B1 line {svc} off by {amount(svc[2]) - cas}"

    def close_claim():
        close_line()
        if claim is not None:
            clp, cas, pr = claim["clp"], claim["cas"], claim["pr"]
            assert amount(clp[3]) - cas == amount(clp[4]), f"B2 claim {clp[1]} off"
            if clp[2] != "22":
                assert amount(clp[5]) == pr, f"CLP05 != Σ PR for {clp[1]}"
            else:
                stats["reversals"] += 1

    for s in segs:
        tag = s[0]
        if tag == "ST":
            bpr, total_paid, plb = None, Decimal(0), Decimal(0)
        elif tag == "BPR":
            bpr = amount(s[2])
            assert bpr >= 0
        elif tag == "CLP":
            close_claim()
            line = None
            claim = {"clp": s, "cas": Decimal(0), "pr": Decimal(0), "svc": []}
            total_paid += amount(s[4])
            stats[f"clp02_{s[2]}"] += 1
            if s[2] != "22":
                claims[s[1]] = claim
        elif tag == "SVC":
            close_line()
            line = [s, Decimal(0)]
            claim["svc"].append(s)
        elif tag == "CAS":
            value = cas_sum(s)
            claim["cas"] += value
            if s[1] == "PR":
                claim["pr"] += value
            if line is not None:
                line[1] += value
            else:
                stats["claim_level_cas"] += 1
            for i in range(2, len(s), 3):
                if s[i]:
                    stats[f"{s[1]}-{s[i]}"] += 1
        elif tag == "REF" and s[1] == "6R":
            assert line is not None, "REF*6R outside a 2110"
            line.append(s[2])
        elif tag == "NM1" and s[1] == "TT":
            stats["nm1_tt"] += 1
        elif tag == "PLB":
            close_claim()
            claim = line = None
            plb += sum((amount(s[i]) for i in range(4, len(s), 2)), Decimal(0))
            stats["plb"] += 1
        elif tag == "SE":
            close_claim()
            claim = line = None
            assert bpr == total_paid - plb, f"B3: BPR02 {bpr} != {total_paid} - {plb}"
        elif tag == "LX":
            stats["lx"] += 1
    return {"claims": claims, "stats": stats}


def check_837(segs: list[list[str]]) -> dict:
    """B7 CLM02 = Σ SV102, REF*6R unique within a claim, every claim's 2320 is SBR*S."""
    claims: dict = {}
    claim = None
    for s in segs + [["SE"]]:
        tag = s[0]
        if tag in ("CLM", "HL", "SE") and claim is not None:
            assert claim["charge"] == sum((ln[0] for ln in claim["lines"]), Decimal(0)), f"B7 {claim['id']}"
            refs = [ln[1] for ln in claim["lines"]]
            assert len(set(refs)) == len(refs) and all(refs), f"REF*6R not unique in {claim['id']}"
            claims[claim["id"]] = claim
            claim = None
        if tag == "CLM":
            assert s[1] not in claims, f"duplicate CLM01 {s[1]}"
            claim = {"id": s[1], "charge": amount(s[2]), "lines": [], "secondary": False}
        elif tag == "SBR" and claim is not None:
            assert s[1] == "S"
            claim["secondary"] = True
        elif tag == "SV1":
            claim["lines"].append([amount(s[2]), None])
        elif tag == "REF" and s[1] == "6R":
            claim["lines"][-1][1] = s[2]
    return claims


@pytest.fixture(scope="module")
def pair_300():
    return generate_pair(300)


def test_balanced_and_matched(pair_300):
    b837, b835 = pair_300
    s837, s835 = segments(b837), segments(b835)
    ids837, ids835 = check_envelopes(s837), check_envelopes(s835)
    assert ids837["ST"] == 1 and ids837["CLM"] == 300
    claims = check_837(s837)
    result = check_835(s835)
    paid = result["claims"]
    assert set(paid) == set(claims), "every claim adjudicated exactly once (besides reversals)"
    for pcn, clm in claims.items():
        clp = paid[pcn]["clp"]
        assert amount(clp[3]) == clm["charge"], f"CLP03 != CLM02 for {pcn}"
        if paid[pcn]["svc"]:
            svc02 = [amount(s[2]) for s in paid[pcn]["svc"]]
            assert svc02 == [ln[0] for ln in clm["lines"]], "SVC02 != SV102"
    stats = result["stats"]
    # the scenario mix is present
    for key in (
        "clp02_1",
        "clp02_4",
        "clp02_19",
        "clp02_22",
        "claim_level_cas",
        "nm1_tt",
        "plb",
        "CO-45",
        "PR-1",
        "PR-2",
        "PR-3",
        "CO-50",
        "PR-204",
        "CO-253",
    ):
        assert stats[key] > 0, f"no {key} in a 300-claim file"
    assert stats["clp02_22"] == stats["reversals"]
    assert ids835["ST"] >= 3 and stats["lx"] > ids835["ST"], "several ST and LX groupings"
    with_secondary = sum(c["secondary"] for c in claims.values())
    assert 250 < with_secondary < len(claims), "a few claims without a secondary payer"
    assert ids837["PAT"] > 0, "some dependents (2000C)"
    assert ids835["SVC"] == ids835["REF"] - sum(1 for s in s835 if s[0] == "REF" and s[1] != "6R")


def test_line_refs_echoed(pair_300):
    b837, b835 = pair_300
    refs837 = {ref for claim in check_837(segments(b837)).values() for _, ref in claim["lines"]}
    refs835 = {s[2] for s in segments(b835) if s[0] == "REF" and s[1] == "6R"}
    assert refs835 <= refs837 and len(refs835) > 0.8 * len(refs837)


def test_no_float_formatting(pair_300):
    for data in pair_300:
        assert b"e-" not in data.lower() and b"E+" not in data
        assert all(c < 128 for c in data)
        assert data.count(b"~\n") == data.count(b"~")


def test_deterministic():
    assert generate_pair(40) == generate_pair(40)
    assert generate_pair(40, seed=DEFAULT_SEED) == generate_pair(40)
    assert generate_pair(40, seed=7) != generate_pair(40)


def test_write_pair_matches_and_caches(tmp_path):
    p837, p835 = write_pair(tmp_path, 25, seed=11)
    assert (p837.read_bytes(), p835.read_bytes()) == generate_pair(25, seed=11)
    mtime = p837.stat().st_mtime_ns
    assert write_pair(tmp_path, 25, seed=11) == (p837, p835)
    assert p837.stat().st_mtime_ns == mtime
    assert not list(tmp_path.glob("*.tmp"))


def test_one_claim_and_sizes():
    for n in (1, 2, 3, 7):
        b837, b835 = generate_pair(n)
        check_envelopes(segments(b837))
        check_envelopes(segments(b835))
        assert len(check_835(segments(b835))["claims"]) == n


def pyx12_errors(data: bytes, tmp_path, name: str) -> tuple[bool, list]:
    import pyx12.params
    import pyx12.x12n_document

    path = tmp_path / name
    path.write_bytes(data)
    fd_json = io.StringIO()
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    ok = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(), src_file=str(path), fd_997=None, fd_html=None, fd_json=fd_json
    )
    errors: list = []

    def walk(node):
        if isinstance(node, dict):
            for e in node.get("errors", []) or []:
                errors.append(e)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    text = fd_json.getvalue()
    if text.strip():
        walk(json.loads(text))
    return ok, errors


@pytest.mark.parametrize("n_claims,seed", [(5, DEFAULT_SEED), (60, DEFAULT_SEED), (30, 3)])
def test_pyx12_validates_837(tmp_path, n_claims, seed):
    b837, _ = generate_pair(n_claims, seed)
    ok, errors = pyx12_errors(b837, tmp_path, "gen.837")
    assert errors == [] and ok


@pytest.mark.parametrize("n_claims,seed", [(5, DEFAULT_SEED), (60, DEFAULT_SEED), (30, 3)])
def test_pyx12_validates_835(tmp_path, n_claims, seed):
    _, b835 = generate_pair(n_claims, seed)
    ok, errors = pyx12_errors(b835, tmp_path, "gen.835")
    assert errors == [] and ok
