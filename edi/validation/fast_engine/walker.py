"""Where a segment goes in the map, and the loop/segment counting errors on the way: pyx12's `walk_tree`
(map_walker.py) over compiled tables.

pyx12 walks from the node of the previous segment: it scans the current loop's children from that node's
position on, then each enclosing loop from the position of the loop it leaves, until a segment matches
(its id and, when it has one, its qualifier), a loop's first segment matches (the loop is entered: its
counts below are forgotten, its own count goes up), or the map root is passed (segment not found).
Required segments and loops passed over with a count of 0 become "mandatory ... missing" errors, kept
back until the match decides them.

What is scanned, and what matches, depends only on the start node and the segment's id and qualifier
values, so that part is worked out once and kept as a `Plan`; only the counts are looked at per segment
(`apply`). The counts live in one list indexed by the compiled slots (see compile.py).
"""

from __future__ import annotations

from .compile import LOOP, ROOT, SEGMENT, GuideTables

__all__ = ["Plan", "plan_for", "apply", "SEG", "ENTER", "NOT_FOUND"]

SEG, ENTER, NOT_FOUND = 0, 1, 2
_MAX_PLANS = 50_000


class Plan:
    """The static part of one walk: candidate 'missing' errors in order, and the outcome."""

    __slots__ = (
        "kind",
        "node",
        "target",
        "events",
        "slot",
        "usage",
        "max",
        "eq_key",
        "pos",
        "loop",
        "first",
        "name",
        "simple",
    )

    def __init__(self, kind: int, node: int, events: tuple, target=None):
        self.kind = kind
        self.node = node  # the matched segment (the start node when not found)
        self.target = target  # its Node (None when not found)
        self.events = events  # (slot, missing node, seg id, message, pos, eq_key) per candidate
        self.slot = self.usage = self.max = self.eq_key = self.pos = self.loop = self.first = self.name = None
        self.simple = False  # a segment found with no candidate 'missing' error and not marked not used


def _value(seg: list[str], match: tuple, sub: str) -> str | None:
    ele, comp = match[0], match[1]
    if ele >= len(seg):
        return None
    if comp:
        parts = seg[ele].split(sub)
        return parts[comp - 1] if comp <= len(parts) else None
    return seg[ele].rstrip(sub)


class _Scan:
    """One static walk (pyx12's walk_errors without the counts)."""

    def __init__(self, tables: GuideTables, seg: list[str], sub: str, start: int):
        self.nodes = tables.nodes
        self.seg = seg
        self.sub = sub
        self.events: list[tuple] = []
        # The previous segment was counted when it was placed and nothing has forgotten it since: a
        # 'missing' candidate with its slot can never fire, so it is not recorded.
        self.counted = tables.nodes[start].slot

    def is_match(self, index: int) -> bool:
        node = self.nodes[index]
        if node.id != self.seg[0]:
            return False
        return node.match is None or _value(self.seg, node.match, self.sub) in node.match[2]

    def missing_segment(self, index: int) -> None:
        n = self.nodes[index]
        if n.slot == self.counted:
            return
        self.events.append((n.slot, index, n.id, f'Mandatory segment "{n.name}" ({n.id}) missing', n.pos, n.eq_key))

    def missing_loop(self, loop: int, first: int) -> None:
        lp, f = self.nodes[loop], self.nodes[first]
        msg = f'Mandatory loop "{lp.name}" ({lp.id}) missing'
        self.events.append((lp.slot, first, f.id, msg, f.pos, f.eq_key))

    def loop_match(self, loop: int) -> bool:
        """pyx12 _is_loop_match: does the segment start this loop (or, for a wrapper, one of its loops)?"""
        lp = self.nodes[loop]
        if not lp.children:
            return False
        first = lp.children[0]
        if self.nodes[first].kind == LOOP:
            return any(self.nodes[c].kind == LOOP and self.loop_match(c) for c in lp.children)
        if self.is_match(first):
            return True
        if lp.usage == "R":
            self.missing_loop(loop, first)
        return False

    def goto(self, loop: int) -> tuple[list[int], int] | None:
        """pyx12 _goto_seg_match: the loops entered down to the matching first segment."""
        lp = self.nodes[loop]
        if lp.children and self.nodes[lp.children[0]].kind == SEGMENT and self.is_match(lp.children[0]):
            return [loop], lp.children[0]
        for c in lp.children:
            if self.nodes[c].kind == LOOP:
                found = self.goto(c)
                if found is not None:
                    return [loop, *found[0]], found[1]
        return None

    def run(self, start: int) -> Plan:
        nodes = self.nodes
        loop, index = nodes[start].parent, nodes[start].scan_from
        while True:
            lp = nodes[loop]
            for child in lp.children[index:]:
                if nodes[child].kind == SEGMENT:
                    if self.is_match(child):
                        if lp.kind == LOOP and self.loop_match(loop):
                            return self.enter(loop)
                        return self.found(child)
                    if nodes[child].usage == "R":
                        self.missing_segment(child)
                elif self.loop_match(child):
                    return self.enter(child)
            if lp.kind == ROOT:
                return Plan(NOT_FOUND, start, tuple(self.events))
            index, loop = lp.scan_from, lp.parent

    def found(self, index: int) -> Plan:
        n = self.nodes[index]
        plan = Plan(SEG, index, tuple(self.events), n)
        plan.simple = not self.events and n.usage != "N"
        plan.slot, plan.usage, plan.max, plan.eq_key, plan.pos, plan.name = (
            n.slot,
            n.usage,
            n.max_repeat,
            n.eq_key,
            n.pos,
            n.id,
        )
        return plan

    def enter(self, loop: int) -> Plan:
        found = self.goto(loop)
        if found is None:  # cannot happen with pyx12's maps: loop_match and goto agree
            raise AssertionError(f"loop {self.nodes[loop].path} matched but no first segment did")
        chain, first = found
        entered = self.nodes[chain[-1]]
        plan = Plan(ENTER, first, tuple(self.events), self.nodes[first])
        plan.loop, plan.first = entered, self.nodes[first].slot
        return plan


def plan_for(tables: GuideTables, cache: dict, start: int, seg: list[str], sub: str) -> Plan:
    """The plan of walking `seg` from node `start` (memoised in `cache` by start, id and qualifiers)."""
    positions = tables.qualifier_positions.get(seg[0])
    if positions is None:
        key = (start, seg[0])
    else:
        n = len(seg)
        key = (start, seg[0], *[seg[p] if p < n else None for p in positions])
    plan = cache.get(key)
    if plan is None:
        if len(cache) >= _MAX_PLANS:
            cache.clear()
        plan = cache[key] = _Scan(tables, seg, sub, start).run(start)
    return plan


def apply(plan: Plan, counts: list[int], zeros: list[int], seg_id: str, path: str) -> list[tuple]:
    """Apply a plan to the counts; the walk errors pyx12 would report, in its order, as
    (code, segment id or None for 'the previous segment', message)."""
    missing = None
    for ev in plan.events:
        if counts[ev[0]] < 1:
            if missing is None:
                missing = [ev]
            else:
                missing.append(ev)
    kind = plan.kind
    if kind == SEG:
        slot = plan.slot
        counts[slot] += 1
        errors: list[tuple] = []
        if plan.usage == "N":
            errors.append(("2", None, f"Segment {plan.name} found but marked as not used"))
        elif counts[slot] > plan.max:
            errors.append(
                ("5", seg_id, f"Segment {seg_id} exceeded max count.  Found {counts[slot]}, should have {plan.max}")
            )
        if missing:
            errors += [("3", m[2], m[3]) for m in missing if m[5] != plan.eq_key and m[4] != plan.pos]
        return errors
    if kind == ENTER:
        errors = []
        loop = plan.loop
        if loop.usage == "N":
            errors.append(("2", None, f"Loop {loop.id} found but marked as not used"))
        else:
            lo, hi = loop.below
            if hi > lo:
                counts[lo:hi] = zeros[lo:hi]
            counts[loop.slot] += 1
            if counts[loop.slot] > loop.max_repeat:
                errors.append(
                    (
                        "4",
                        seg_id,
                        f"Loop {loop.id} exceeded max count.  Found {counts[loop.slot]}, should have {loop.max_repeat}",
                    )
                )
        counts[plan.first] += 1
        if missing:
            errors += [("3", m[2], m[3]) for m in missing]
        return errors
    return [("1", seg_id, f"Segment {seg_id} not found.  Started at {path}")]
