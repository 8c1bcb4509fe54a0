"""Provider numbers by payer: the secondary identifiers a payer assigned to the provider (REF*G2 provider
commercial number, REF*LU location number) belong to that payer and go to no other.

The original claim went to the primary, so its 2310 provider loops and its 2010BB billing provider REFs
carry the primary's numbers, and the destination payer's own numbers sit in the original's 2330C-I loops under
the destination's 2320. In the secondary claim the two swap, as the guide places them:

* the primary's 2310 REF*G2/LU move to the primary's new 2330C-I loop for the same provider (837P: 2330C
  referring, D rendering, E service facility, F supervising, G billing; 837I: 2330C attending, D operating,
  E other operating, F service facility, G rendering, H referring, I billing), its 2010BB REF*G2/LU to
  2330G (837P) / 2330I (837I);
* the destination's 2330 numbers move into the 2310 loop of the same provider, its billing provider numbers
  into 2010BB;
* what has no place (a line's 2420 REF*G2/LU, a destination number for a provider the claim has no 2310 loop
  for) is dropped, and the report says so.

The provider's own identifiers (REF*0B state license, REF*1G UPIN) are not payer-assigned and stay where they
are. Source: 005010X222A1 / 005010X223A2, loops 2010BB, 2310A-F, 2330C-I, 2420A-H (REF qualifier lists of the
pyx12 maps).
"""

from __future__ import annotations

from parsers.models import Claim837, HierarchyLevel, OtherPayer, Segment, ServiceLine

PAYER_ASSIGNED = frozenset({"G2", "LU"})
BILLING = "85"
# 2310 NM101 entity codes, in the order the guide puts the matching 2330C-I loops.
PROVIDER_LOOPS = {"P": ("DN", "P3", "82", "77", "DQ", BILLING), "I": ("71", "72", "ZZ", "77", "82", "DN", BILLING)}
# 2420 NM101 entity codes of the line-level provider loops (837P 2420A-F, 837I 2420A-D).
LINE_PROVIDERS = {"P": ("82", "QB", "77", "DQ", "DK", "DN", "P3"), "I": ("72", "ZZ", "82", "DN")}


def _entity_of(seg: Segment) -> str:
    return seg[1] if len(seg) > 1 else ""


def _split(segments: list[Segment], entities: tuple[str, ...], start: int = 0) -> tuple[list[Segment], dict]:
    """The segments without the payer-assigned REFs of the provider loops among them, and those REFs by
    entity code, with the NM1 entity type (NM102): {entity: (nm102, [REF, ...])}."""
    if not any(seg[0] == "REF" and len(seg) > 1 and seg[1] in PAYER_ASSIGNED for seg in segments):
        return segments, {}  # the common case: nothing payer-assigned, nothing to copy
    kept: list[Segment] = []
    found: dict[str, tuple[str, list[Segment]]] = {}
    entity = ""
    for index, seg in enumerate(segments):
        if index >= start and seg[0] == "NM1":
            entity = _entity_of(seg) if _entity_of(seg) in entities else ""
            if entity:
                found.setdefault(entity, (seg[2] if len(seg) > 2 else "", []))
        elif entity and seg[0] == "REF" and len(seg) > 1 and seg[1] in PAYER_ASSIGNED:
            found[entity][1].append(seg)
            continue
        kept.append(seg)
    return kept, {k: v for k, v in found.items() if v[1]}


def _insert_into_2310(segments: list[Segment], entity: str, refs: list[Segment]) -> list[Segment] | None:
    """The 2300/2310 segments with `refs` added to the 2310 loop of `entity` (after its NM1, PRV, N3, N4 and
    REFs), or None when the claim has no such loop."""
    start = next((i for i, s in enumerate(segments) if i and s[0] == "NM1" and _entity_of(s) == entity), None)
    if start is None:
        return None
    end = start + 1
    while end < len(segments) and segments[end][0] in ("PRV", "N3", "N4", "REF"):
        end += 1
    return segments[:end] + refs + segments[end:]


def _destination_numbers(
    segments: list[Segment], subscriber: HierarchyLevel, destination: OtherPayer, kind: str, notes: list[str]
) -> tuple[list[Segment], HierarchyLevel]:
    """The destination payer's own provider numbers (its original 2330C-I) into the 2310 loops and 2010BB."""
    entities = PROVIDER_LOOPS[kind]
    for seg_entity, loop in _name_loops(destination.segments):
        if seg_entity in ("IL", "PR"):
            continue
        refs = [s for s in loop if s[0] == "REF" and len(s) > 1 and s[1] in PAYER_ASSIGNED]
        others = [s[1] for s in loop if s[0] == "REF" and len(s) > 1 and s[1] not in PAYER_ASSIGNED]
        if others:
            notes.append(
                f"the destination's 2330 NM1*{seg_entity} REF {', '.join(others)} not carried: not a payer-assigned "
                "number (the 2310 loops keep the provider's own ids)"
            )
        if not refs:
            continue
        if seg_entity == BILLING:
            subscriber = HierarchyLevel(subscriber.segments + refs, subscriber.position, subscriber.parent)
            notes.append("the destination's billing provider number(s) (its 2330 NM1*85) sent in 2010BB")
            continue
        placed = _insert_into_2310(segments, seg_entity, refs) if seg_entity in entities else None
        if placed is None:
            notes.append(
                f"the destination's provider number(s) for NM1*{seg_entity} not sent: the claim has no 2310 loop "
                "for that provider"
            )
            continue
        segments = placed
        notes.append(f"the destination's provider number(s) for NM1*{seg_entity} sent in its 2310 loop")
    return segments, subscriber


def _name_loops(segments: list[Segment]) -> list[tuple[str, list[Segment]]]:
    loops: list[tuple[str, list[Segment]]] = []
    for seg in segments:
        if seg[0] == "NM1":
            loops.append((_entity_of(seg), []))
        if loops:
            loops[-1][1].append(seg)
    return loops


def _primary_loops(found: dict, kind: str) -> list[Segment]:
    """The primary's 2330C-I loops, in guide order: NM1 (entity code and type only) and its REFs."""
    out: list[Segment] = []
    for entity in PROVIDER_LOOPS[kind]:
        if entity in found:
            nm102, refs = found[entity]
            out += [["NM1", entity, nm102 or "2"], *refs]
    return out


def _lines_without_numbers(lines: list[ServiceLine], kind: str, notes: list[str]) -> list[ServiceLine]:
    """The lines without the primary's numbers in their 2420 loops: the guide has no other-payer line loop."""
    out = []
    for line in lines:
        kept, found = _split(line.segments, LINE_PROVIDERS[kind], start=1)
        if found:
            notes.append(
                f"line {line.number}: the primary's provider number(s) ({', '.join(sorted(found))} REF*G2/LU) not "
                "sent: the guide has no place for another payer's line-level provider numbers"
            )
            line = ServiceLine(kept, line.position, line.adjudications, line.trailing)
        out.append(line)
    return out


def _billing_numbers(
    provider: HierarchyLevel, primary: HierarchyLevel, notes: list[str]
) -> tuple[HierarchyLevel, tuple[str, list[Segment]] | None]:
    """The primary's billing provider numbers: its 2010BB REF*G2/LU, and any a non-compliant original put in
    2010AA (5010 has no G2/LU there), with the billing provider's NM102; the 2000A without the latter."""
    kept, in_2010aa = _split(provider.segments, (BILLING,))
    _, in_2010bb = _split(primary.segments, ("PR",))
    refs = in_2010aa.get(BILLING, ("", []))[1] + in_2010bb.get("PR", ("", []))[1]
    if not refs:
        return provider, None
    if in_2010aa:
        notes.append("2010AA REF*G2/LU (the primary's numbers; no 2010AA qualifier in 5010) moved to its 2330 loop")
        provider = HierarchyLevel(kept, provider.position, provider.parent)
    billing = next((s for s in provider.segments if s[0] == "NM1" and _entity_of(s) == BILLING), None)
    return provider, (billing[2] if billing is not None and len(billing) > 2 else "2", refs)


def assign_provider_numbers(original: Claim837, claim: Claim837, destination: OtherPayer, notes: list[str]) -> Claim837:
    """The secondary (or tertiary) claim with each payer's provider numbers where the guide puts them (see the
    module docstring). `claim.other_payers[0]` is the primary's new 2320; notes say what moved or was dropped."""
    kind = claim.kind if claim.kind in PROVIDER_LOOPS else "P"
    entities = PROVIDER_LOOPS[kind]
    segments, found = _split(claim.segments, entities, start=1)
    provider, billing = _billing_numbers(claim.billing_provider, original.subscriber, notes)
    if billing:
        found[BILLING] = billing
    segments, subscriber = _destination_numbers(segments, claim.subscriber, destination, kind, notes)
    primary = claim.other_payers[0]
    loops = _primary_loops(found, kind)
    lines = _lines_without_numbers(claim.lines, kind, notes)
    if (
        not loops
        and provider is claim.billing_provider
        and segments is claim.segments
        and subscriber is claim.subscriber
        and all(a is b for a, b in zip(lines, claim.lines, strict=True))
    ):
        return claim
    if loops:
        primary = OtherPayer(primary.segments + loops, primary.position)
        notes.append(
            "the primary's provider number(s) ("
            + ", ".join(f"NM1*{e} REF*{'/'.join(s[1] for s in found[e][1])}" for e in entities if e in found)
            + ") sent in its 2330 provider loops"
        )
    patient = claim.patient
    if patient is not None and subscriber is not claim.subscriber:
        patient = HierarchyLevel(patient.segments, patient.position, subscriber)
    return Claim837(
        segments,
        claim.transaction,
        provider,
        subscriber,
        patient,
        claim.position,
        [primary, *claim.other_payers[1:]],
        lines,
        claim.levels,
    )
