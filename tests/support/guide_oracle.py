"""pyx12 as the oracle of the guide engine: run both on the same bytes and compare their verdicts.

`compare(data, name)` runs pyx12 (through `edi.validation.pyx12_engine.validate_guide`, the project's pyx12 wrapper that
turns its log and error tree into findings) and `edi.validation.fast_engine.validate_bytes`, judges both findings lists
over the same envelope layout (`edi.validation.fast_engine.verdicts`) and returns a `Comparison`: the verdict of every
transaction set (by ST ordinal), group (GS ordinal) and interchange (ISA ordinal), and of the file, on
each side, and their differences.

`KNOWN_PYX12_ERRORS` lists where the engine deliberately parts from pyx12 because pyx12 is wrong, with the
X12 rule; a difference is excused only when the engine's findings carry that entry's rule and the engine
is the stricter side (it rejects, pyx12 accepts). Everything else pyx12 4.0.0 does, right or wrong, the
engine does too - its crashes included, as a stop that leaves the rest of the file unchecked.

`mutate(segments, rng)` makes one seeded edit of the kinds a broken file shows: a segment dropped,
duplicated or moved; an element emptied, made too long, given the wrong type, a bad code or a bad date; an
HL parent or number broken; an element or component added; a segment id garbled; a count or control
number changed.
"""

from __future__ import annotations

import os
import random
import tempfile
from dataclasses import dataclass, field

from edi.validation.fast_engine import validate_bytes
from edi.validation.fast_engine.verdicts import judge, layout_of
from edi.validation.pyx12_engine import validate_guide

#: engine rule -> the X12 rule pyx12 breaks, for every deliberate difference from pyx12.
KNOWN_PYX12_ERRORS: dict[str, str] = {
    "blank-segment": (
        "X12.5 (interchange syntax): every segment begins with a segment id; two segment terminators in a row "
        "are an empty segment. pyx12 silently stops reading at it and reports only the missing trailers of "
        "the envelopes still open, so the sets after it are never read yet carry no error. The engine "
        "reports the blank segment and leaves everything after it unchecked."
    ),
    "isa-delimiters": (
        "X12.5: the ISA is fixed length (106 characters) and defines the separators by position (element "
        "separator at 4, component separator ISA16 at 105, segment terminator at 106), the same for every "
        "interchange. pyx12 takes them by position even when the ISA's own separators show it is not 106 "
        "characters (or a later ISA uses others) and reads the file with the wrong ones: its errors then "
        "name lines that are not our segments and some sets pass unread. The engine rejects the file."
    ),
}


@dataclass
class Comparison:
    name: str
    ours: dict = field(default_factory=dict)  # ("ST"|"GS"|"ISA"|"file", ordinal) -> accepted
    theirs: dict = field(default_factory=dict)
    our_rules: list = field(default_factory=list)  # (rule, ordinal) of our error findings
    their_rules: list = field(default_factory=list)

    @property
    def differences(self) -> list[tuple]:
        keys = sorted(set(self.ours) | set(self.theirs), key=str)
        return [(k, self.ours.get(k), self.theirs.get(k)) for k in keys if self.ours.get(k) != self.theirs.get(k)]

    @property
    def we_accept_what_pyx12_rejects(self) -> list[tuple]:
        return [(k, o, t) for k, o, t in self.differences if o and t is False]

    @property
    def transactions(self) -> int:
        return sum(1 for k in self.ours if k[0] == "ST")


def _verdicts(findings, data: bytes, name: str) -> dict:
    layout = layout_of(data, name)
    file_codes = judge(findings, layout)
    out: dict = {("file", 0): not file_codes}
    for isa in layout.interchanges:
        out[("ISA", isa.start)] = isa.accepted
        for gs in isa.groups:
            out[("GS", gs.start)] = gs.accepted
            for st in gs.sets:
                out[("ST", st.start)] = st.accepted
    return out


def pyx12_findings(data: bytes, name: str) -> list:
    fd, tmp = tempfile.mkstemp(prefix="guide-oracle-", suffix=".x12")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return validate_guide(tmp).findings
    finally:
        os.unlink(tmp)


def compare(data: bytes, name: str = "<bytes>") -> Comparison:
    """Both validators on `data`; their verdicts per set, group, interchange and file."""
    theirs = pyx12_findings(data, name)
    ours = validate_bytes(data, name).findings
    result = Comparison(name)
    result.ours = _verdicts(ours, data, name)
    result.theirs = _verdicts(theirs, data, name)
    result.our_rules = sorted((f.rule, f.position.segment) for f in ours if f.severity == "error")
    result.their_rules = sorted((f.rule, f.position.segment) for f in theirs if f.severity == "error")
    return result


# ------------------------------------------------------------------------------------------ mutants
def split_segments(data: bytes) -> tuple[list[list[str]], str, str, str]:
    """(segments as element lists, element separator, component separator, terminator) of a file whose
    ISA is the usual 106 characters."""
    text = data.decode("latin-1")
    element, component, term = text[3], text[104], text[105]
    segs = [s.strip("\r\n").split(element) for s in text.split(term) if s.strip("\r\n")]
    return segs, element, component, term


def join_segments(segs: list[list[str]], element: str, term: str) -> bytes:
    """The segments as one file, a line break after each terminator (unless the terminator is one)."""
    after = "" if term in "\r\n" else "\n"
    return "".join(element.join(s) + term + (after if s != [""] else "") for s in segs).encode("latin-1")


_ENVELOPE = ("ISA", "IEA", "GS", "GE")


def _pick(rng: random.Random, segs: list[list[str]], inner: bool = True) -> int:
    choices = [i for i, s in enumerate(segs) if not inner or s[0] not in _ENVELOPE]
    return rng.choice(choices)


def _element_edit(rng: random.Random, seg: list[str], component: str) -> str:
    if len(seg) < 2:
        seg.append("X")
        return "element added"
    i = rng.randrange(1, len(seg))
    kind = rng.choice(["empty", "long", "type", "code", "date", "component", "extra", "space", "minus"])
    value = seg[i]
    if kind == "empty":
        seg[i] = ""
    elif kind == "long":
        seg[i] = value + "9" * rng.choice([1, 5, 40, 90])
    elif kind == "type":
        seg[i] = rng.choice(["ABC", "12.5.1", "1E5", "-", "??", "12A", "0x1"])
    elif kind == "code":
        seg[i] = rng.choice(["ZZ9", "Q", "00", "XX", "99", "A1"])
    elif kind == "date":
        seg[i] = rng.choice(["20241331", "20240230", "17991231", "2024010", "240101", "20240101-20241301", "2359"])
    elif kind == "component":
        seg[i] = value + component + rng.choice(["", "X", "99"]) if rng.random() < 0.7 else value.split(component)[0]
    elif kind == "extra":
        seg.append(rng.choice(["", "X", "1"]))
    elif kind == "space":
        seg[i] = value + " "
    else:
        seg[i] = "-" + value
    return f"{seg[0]}{i:02d} {kind}"


def mutate(segs: list[list[str]], rng: random.Random, component: str) -> str:
    """Apply one seeded edit to `segs` in place; returns what it did."""
    kind = rng.choice(["drop", "dup", "move", "element", "element", "element", "hl", "id", "count", "swap", "blank"])
    if kind == "blank" and rng.random() < 0.7:
        kind = "element"  # rare: a blank segment hides the rest of the file from pyx12
    if kind == "blank":
        i = _pick(rng, segs)
        segs.insert(i, [""])
        return f"blank segment before {i + 1}"
    if kind == "drop":
        i = _pick(rng, segs)
        del segs[i]
        return f"drop {i + 1}"
    if kind == "dup":
        i = _pick(rng, segs)
        segs.insert(i, list(segs[i]))
        return f"duplicate {i + 1}"
    if kind == "move":
        i = _pick(rng, segs)
        seg = segs.pop(i)
        j = _pick(rng, segs)
        segs.insert(j, seg)
        return f"move {i + 1} to {j + 1}"
    if kind == "swap":
        i = _pick(rng, segs)
        j = min(i + 1, len(segs) - 1)
        segs[i], segs[j] = segs[j], segs[i]
        return f"swap {i + 1}"
    if kind == "element":
        i = _pick(rng, segs, inner=False)
        return f"seg {i + 1} " + _element_edit(rng, segs[i], component)
    if kind == "hl":
        hls = [s for s in segs if s[0] == "HL"]
        if not hls:
            return mutate(segs, rng, component)
        seg = rng.choice(hls)
        j = rng.choice([1, 2, 3])
        if len(seg) > j:
            seg[j] = rng.choice(["99", "", "1", "3", "22", "23", "20", "X"])
        return f"HL{j:02d} changed"
    if kind == "id":
        i = _pick(rng, segs)
        segs[i][0] = rng.choice(["NM9", "ZZ", "N", "nm1", "SBR", "CLM", "LX", "HL", "REF", "DTP", "SE", "ST"])
        return f"segment {i + 1} id changed"
    seg = rng.choice([s for s in segs if s[0] in ("SE", "GE", "IEA", "ST", "GS")])
    j = rng.choice([1, 2]) if seg[0] != "GS" else rng.choice([6, 8, 1])
    if len(seg) > j:
        seg[j] = rng.choice(["0", "999", "1", "X", "", seg[j] + "1"])
    return f"{seg[0]}{j:02d} changed"


# ------------------------------------------------------------------------------------------ campaign
def fixture_sources() -> list:
    """Every corpus, example, institutional, tertiary and replacement file."""
    from tests.support import EXAMPLES, FIXTURES, corpus_files, fixture_files

    return (
        corpus_files()
        + fixture_files(EXAMPLES)
        + fixture_files(FIXTURES / "institutional", "*.8*")
        + fixture_files(FIXTURES / "tertiary", "*.8*")
        + fixture_files(FIXTURES / "replacement")
    )


def mutant_sources() -> list:
    """The fixture files pyx12 can read at all (a 106-character 00501 ISA): the ones worth mutating."""
    return [p for p in fixture_sources() if p.read_bytes()[:3] == b"ISA" and p.read_bytes()[84:89] == b"00501"]


def make_mutant(seed: int, sources: list) -> tuple[bytes, str]:
    """Mutant number `seed`: 1 to 3 seeded edits of one source file."""
    rng = random.Random(seed)
    source = rng.choice(sources)
    segs, element, component, term = split_segments(source.read_bytes())
    edits = [mutate(segs, rng, component) for _ in range(rng.choice([1, 1, 2, 3]))]
    return join_segments(segs, element, term), f"{source.name} seed {seed}: {'; '.join(edits)}"


def excused(result: Comparison) -> bool:
    """Whether every difference of `result` is a listed pyx12 error (the engine stricter, its rule found)."""
    known = set(KNOWN_PYX12_ERRORS) & {r for r, _ in result.our_rules}
    return bool(known) and all(o is False and t is True for _, o, t in result.differences)


def campaign(items, tally: dict) -> list[str]:
    """Compare every (bytes, name) of `items`; add the figures to `tally`; return the unexcused disagreements."""
    bad = []
    for data, name in items:
        r = compare(data, name)
        tally["files"] = tally.get("files", 0) + 1
        for kind in ("ST", "GS", "ISA"):
            tally[kind] = tally.get(kind, 0) + sum(1 for k in r.ours if k[0] == kind)
        tally["rejected_sets_pyx12"] = tally.get("rejected_sets_pyx12", 0) + sum(
            1 for k, v in r.theirs.items() if k[0] == "ST" and not v
        )
        tally["same_findings"] = tally.get("same_findings", 0) + (r.our_rules == r.their_rules)
        if r.differences:
            key = "excused" if excused(r) else "disagree"
            tally[key] = tally.get(key, 0) + 1
            for rule in set(KNOWN_PYX12_ERRORS) & {x for x, _ in r.our_rules} if key == "excused" else ():
                tally[f"excused:{rule}"] = tally.get(f"excused:{rule}", 0) + 1
            tally["set_differences"] = tally.get("set_differences", 0) + sum(
                1 for d in r.differences if d[0][0] == "ST"
            )
            if key == "disagree":
                bad.append(f"{name}: {r.differences[:3]}")
        if r.we_accept_what_pyx12_rejects:
            tally["engine_accepts_pyx12_rejects"] = tally.get("engine_accepts_pyx12_rejects", 0) + 1
    return bad


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.support.guide_oracle [--mutants N] [--seed S]`: the agreement figures."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--mutants", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1000)
    args = ap.parse_args(argv)
    files = fixture_sources()
    fixture_tally: dict = {}
    bad = campaign(((p.read_bytes(), str(p)) for p in files), fixture_tally)
    sources = mutant_sources()
    mutant_tally: dict = {}
    mutants = (make_mutant(s, sources) for s in range(args.seed, args.seed + args.mutants))
    bad += campaign(mutants, mutant_tally)
    print("fixture files:", fixture_tally)
    print("mutants:      ", mutant_tally)
    for line in bad[:20]:
        print("DISAGREE", line)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
