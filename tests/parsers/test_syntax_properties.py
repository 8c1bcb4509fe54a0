"""Properties of the syntax layer and readers: delimiters never change what is read, and damaged input
only ever raises the project's own error, with a position."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.errors import X12Error
from parsers.read835 import read_835
from parsers.read837 import read_837
from parsers.syntax import Delimiters, Tokenizer
from tests.support import EXAMPLES, fixture_files
from writers.claim837 import claim_body
from writers.x12 import SegmentRenderer, translate

FILES_835 = fixture_files(EXAMPLES, "*.835")
FILES_837 = fixture_files(EXAMPLES, "*.837")
CANONICAL = Delimiters("*", ":", "^", "~")
# Characters that never occur in the example files' data, so any of them can serve as a delimiter.
CANDIDATES = "*|!^~>`\\{}"


@st.composite
def delimiter_sets(draw) -> tuple[Delimiters, bool]:
    chars = draw(st.permutations(CANDIDATES))
    terminator = draw(st.sampled_from([chars[3], "\n"]))
    line_break = terminator != "\n" and draw(st.booleans())
    return Delimiters(chars[0], chars[1], chars[2], terminator), line_break


def rewrite(data: bytes, target: Delimiters, line_break: bool) -> bytes:
    """The same interchange(s), written with other delimiters (ISA11 and ISA16 follow them)."""
    tokenizer = Tokenizer.from_bytes(data)
    renderer = SegmentRenderer(target, line_break)
    out = []
    for seg in tokenizer:
        source = tokenizer.delimiters
        if seg[0] == "ISA":
            seg = seg[:11] + [target.repetition] + seg[12:16] + [target.component]
            out.append(target.element.join(seg) + renderer.end)
        else:
            out.append(renderer.render(seg, source))
    return "".join(out).encode("latin-1")


def view_835(data: bytes):
    remittances, findings = read_835(data)
    claims = []
    for remittance in remittances:
        for c in remittance.claims:
            claims.append(
                (
                    c.clp,
                    c.adjustments,
                    c.names,
                    c.outpatient,
                    c.inpatient,
                    c.references,
                    c.dates,
                    c.amounts,
                    [
                        (
                            s.procedure,
                            s.charge,
                            s.paid,
                            s.revenue_code,
                            s.units_paid,
                            s.original_procedure,
                            s.adjustments,
                            s.dates,
                            s.control_number,
                            s.amounts,
                            s.remarks,
                        )
                        for s in c.services
                    ],
                )
            )
    return (
        claims,
        [
            (
                r.bpr,
                r.trn,
                r.payer and r.payer.segments,
                r.provider_adjustments and [(a.reason, a.reference, a.amount) for a in r.provider_adjustments],
            )
            for r in remittances
        ],
        sorted(f.rule for f in findings),
    )


def view_837(data: bytes):
    claims, findings = read_837(data)
    out = []
    for claim in claims:
        source = claim.delimiters
        body = [translate(s, source, CANONICAL) for s in claim_body(claim)]
        levels = [
            translate(s, source, CANONICAL)
            for level in (claim.billing_provider, claim.subscriber, claim.patient)
            if level
            for s in level.segments
        ]
        out.append((claim.claim_id, claim.charge, claim.frequency, body, levels))
    return out, sorted(f.rule for f in findings)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FILES_835), delimiter_sets())
def test_835_reads_the_same_whatever_the_delimiters(path, choice):
    data = path.read_bytes()
    target, line_break = choice
    assert view_835(rewrite(data, target, line_break)) == view_835(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FILES_837), delimiter_sets())
def test_837_reads_the_same_whatever_the_delimiters(path, choice):
    data = path.read_bytes()
    target, line_break = choice
    assert view_837(rewrite(data, target, line_break)) == view_837(data)


@st.composite
def damaged(draw) -> tuple[str, bytes]:
    path = draw(st.sampled_from(FILES_835 + FILES_837))
    data = bytearray(path.read_bytes())
    kind = draw(st.sampled_from(["truncate", "flip", "delete", "insert"]))
    at = draw(st.integers(0, len(data) - 1))
    if kind == "truncate":
        data = data[:at]
    elif kind == "flip":
        data[at] = draw(st.integers(0, 255))
    elif kind == "delete":
        data = data[:at] + data[at + draw(st.integers(1, 40)) :]
    else:
        data = data[:at] + draw(st.binary(min_size=1, max_size=20)) + data[at:]
    return path.suffix, bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_damaged_input_raises_only_our_error_with_a_position(case):
    suffix, data = case
    reader = read_835 if suffix == ".835" else read_837
    try:
        reader(data, "damaged" + suffix)
    except X12Error as error:
        assert error.position.file == "damaged" + suffix
        assert str(error).startswith("damaged" + suffix)
        assert error.position.segment > 0 or "empty" in error.message
