"""The guide engine: one pass over a file's segments (our Tokenizer) doing what pyx12's `x12n_document`
does, on compiled tables.

Per segment, in pyx12's order: the reader's checks are queued (reader.py); ISA and GS put the walk at
their own map node (the control map for the ISA; for a GS the map pyx12 picks from ISA12/GS01/GS08); any
other segment is walked from the previous one (walker.py); a segment that is placed gets the queued reader
errors, then its element checks (elements.py). At the end of the file the open envelopes report their
missing trailers.

Findings use the rules edi.validation gives pyx12's errors: "IK304-<code>" (segment), "IK403-<code>"
(element), "IK502-<code>" (transaction set), "AK905-<code>" (group), "TA105-<code>" (interchange), positioned
where pyx12 logs them (its "Line:" is our segment ordinal). Where pyx12 stops (it raises, or has no map for
the group), so does the engine, with a finding in `verdicts.STOP_RULES` ("pyx12-crash", "no-map", ...).
"""

from __future__ import annotations

from parsers.errors import Finding, Position, X12Error
from parsers.syntax import Tokenizer

from .compile import GuideTables, load_tables, map_file_for
from .elements import Pyx12Stop, segment_errors
from .fastpath import fast_check, usable_separator
from .reader import ENVELOPE_IDS, Pyx12Crash, ReaderChecks, to_int, value
from .verdicts import Layout
from .walker import NOT_FOUND, apply, plan_for

__all__ = ["Engine", "CONTROL_MAP"]

CONTROL_MAP = "x12.control.00501.xml"
FAST_PATH = True  # the generated clean-segment tests (fastpath.py); False: the full check on every segment
_PREFIX = {"isa": "TA105", "gs": "AK905", "st": "IK502", "seg": "IK304"}
_TRAILER = {"ISA": "IEA", "GS": "GE", "ST": "SE"}
_PLANS: dict[str, dict] = {}
_CHECKS: dict[str, dict] = {}  # per map: segment node index -> its generated clean-segment test


class _Envelope:
    """An ISA, GS or ST node of pyx12's error tree: errors are logged at its header, or at its trailer
    once that has been read."""

    __slots__ = ("kind", "line", "offset", "end_line", "end_offset")

    def __init__(self, kind: str, line: int, offset: int):
        self.kind, self.line, self.offset = kind, line, offset
        self.end_line = self.end_offset = 0

    def where(self) -> tuple[int, int, str]:
        if self.end_line:
            return self.end_line, self.end_offset, _TRAILER[self.kind]
        return self.line, self.offset, self.kind


class Engine:
    """Validates one file; `run(tokenizer)` fills `findings` and `layout`."""

    def __init__(self, name: str, head: str):
        self.name = name
        self.findings: list[Finding] = []
        self.layout = Layout()
        self.stopped = False
        self.sub = head[104]  # pyx12 takes the delimiters of the first ISA, by position, for the whole file
        self.element = head[3]
        self.term = head[105]
        self.control = load_tables(CONTROL_MAP)
        self.tables: GuideTables = self.control  # the map of `node`
        self.cur_map: GuideTables | None = None  # the transaction map of the current group
        self.map_file = CONTROL_MAP
        self.node = self.control.by_path["/ISA_LOOP/ISA"]
        self.counts = [0] * self.control.slots
        self.zeros = [0] * self.control.slots
        self.reader = ReaderChecks()
        self.isa: _Envelope | None = None
        self.gs: _Envelope | None = None
        self.st: _Envelope | None = None
        self.cursor: _Envelope | tuple = ("seg", 0, 0, "")  # pyx12's current error-tree segment
        self.icvn: str | None = None
        self.last = (0, 0)
        self.tok: Tokenizer | None = None
        self._use(self.control)
        self.fast = FAST_PATH and usable_separator(self.sub)

    # ------------------------------------------------------------------------------------------ findings
    def _add(self, rule: str, message: str, line: int, offset: int, seg_id: str, element: str = "") -> None:
        self.findings.append(Finding(rule, message, Position(self.name, line, offset, seg_id, element)))

    def _cursor_where(self) -> tuple[int, int, str]:
        c = self.cursor
        return c.where() if isinstance(c, _Envelope) else (c[1], c[2], c[3])

    def _seg_error(self, code: str, message: str, line: int = 0, offset: int = 0, seg_id: str = "") -> None:
        c_line, c_offset, c_id = self._cursor_where()
        if not line:
            line, offset = c_line, c_offset
        self._add(f"IK304-{code}", message, line, offset, c_id if isinstance(self.cursor, tuple) else seg_id)

    def _handle_pending(self) -> None:
        pending, self.reader.pending = self.reader.pending, []
        for level, code, message, line, offset, seg_id in pending:
            if level == "seg":
                self._seg_error(code, message, line, offset, seg_id)
                continue
            node = {"isa": self.isa, "gs": self.gs, "st": self.st}[level]
            if node is None:
                raise Pyx12Crash(f"pyx12 raises AttributeError: a {level.upper()} error with no {level.upper()}")
            where = node.where()
            self._add(f"{_PREFIX[level]}-{code}", message, *where)

    # ------------------------------------------------------------------------------------------ the pass
    def run(self, tok: Tokenizer, bad_offset: int = -1) -> None:
        """Validate every segment `tok` yields; stop where pyx12 would. `bad_offset`: where the segment
        holding the first byte pyx12 cannot decode (not ASCII) starts, -1 when there is none."""
        segments = iter(tok)
        self.tok = tok
        try:
            for seg in segments:
                line = tok.ordinal
                if 0 <= bad_offset <= tok.offset:
                    self._stop("pyx12 cannot decode a byte of this segment (not ASCII)", line, tok.offset, "encoding")
                    self.layout_only(seg, line, tok.offset, segments, tok)
                    return
                if tok.blank_ordinal and line >= tok.blank_ordinal:
                    why = "a blank segment (two terminators in a row): pyx12 stops reading here"
                    self._stop(why, line, tok.offset, "blank-segment")
                    self.layout_only(seg, line, tok.offset, segments, tok)
                    return
                lead_space = False
                if tok.layout_ordinal == line:
                    seg, lead_space = self._pyx12_view(tok, seg)
                self.last = (line, tok.offset)
                self._segment(seg, line, tok.offset, lead_space)
                if self.stopped:
                    self.layout_only(None, line, tok.offset, segments, tok)
                    return
        except X12Error as exc:
            if not exc.message.startswith("file ends inside a segment"):
                self._stop(f"the file cannot be read past here: {exc.message}", *self._next())
                self.layout.finish(self.last[0])
                return
        self._finish(tok)

    def _next(self) -> tuple[int, int]:
        return self.last[0] + 1, self.last[1]

    def layout_only(self, seg, line: int, offset: int, segments, tok: Tokenizer) -> None:
        """After a stop: record the envelopes that follow (they are unchecked), nothing else."""
        try:
            if seg is not None and seg[0] in ENVELOPE_IDS:
                self.layout.see(seg, line, offset)
            for seg in segments:
                if seg[0] in ENVELOPE_IDS:
                    self.layout.see(seg, tok.ordinal, tok.offset)
                line = tok.ordinal
        except X12Error:
            pass
        self.layout.finish(max(line, tok.ordinal))

    def _pyx12_view(self, tok: Tokenizer, seg: list[str]) -> tuple[list[str], bool]:
        """The segment as pyx12 splits it when our tokenizer tidied something pyx12 keeps."""
        text = tok.layout_raw.lstrip("\r\n")
        if self.term == "\r" and tok.delimiters.segment == "\n" and text.endswith("\r"):
            text = text[:-1]
        lead_space = text.startswith(" ")
        if lead_space:
            text = text.lstrip()
            if not text:
                raise X12Error("a segment of spaces only (pyx12 raises IndexError)", tok.position())
        return text.split(self.element), lead_space

    def _stop(self, why: str, line: int, offset: int, rule: str = "pyx12-crash") -> None:
        self._add(rule, why + "; nothing after this point is checked", line, offset, "")
        self.stopped = True

    def _finish(self, tok: Tokenizer) -> None:
        for f in tok.findings:  # data after the last IEA, which pyx12 would read as segments
            self._add("IK304-1", f.message, f.position.segment, f.position.offset, f.position.segment_id)
        self.reader.cleanup()
        try:
            self._handle_pending()
        except Pyx12Crash as exc:
            self._stop(str(exc), *self._next())
        self.layout.finish(self.last[0])

    # ------------------------------------------------------------------------------------------ one segment
    def _segment(self, seg: list[str], line: int, offset: int, lead_space: bool) -> None:
        sid = seg[0]
        if sid in ENVELOPE_IDS or lead_space:
            self._general(seg, line, offset, lead_space)
            return
        sub = self.sub
        try:
            self.reader.read(seg, line, offset, sub)
            node = self._walk(seg, line, offset, sub)
            if node is None:
                return
            self.cursor = ("seg", line, offset, sid)
            if self.reader.pending:
                self._handle_pending()
            if self.fast:
                ok = self.checks.get(node.index)
                if ok is None:
                    ok = self.checks[node.index] = fast_check(node)
                if ok(seg, sub, len(seg)):
                    return
            self._report(node, seg, sub)
        except (Pyx12Crash, Pyx12Stop) as exc:
            self._stop(str(exc), line, offset)

    def _general(self, seg: list[str], line: int, offset: int, lead_space: bool) -> None:
        """Envelope segments (and any segment pyx12 sees with a leading space): every step spelled out."""
        sid = seg[0]
        if sid in ENVELOPE_IDS:
            self.layout.see(seg, line, offset)
        sub = self.sub if sid != "ISA" else None
        try:
            self.reader.read(seg, line, offset, sub, lead_space)
            if sid == "ISA":
                node = self._start_isa(seg, line, offset)
            elif sid == "GS":
                node = self._start_gs(seg, line, offset)
            else:
                node = self._walk(seg, line, offset, sub)
                if node is not None:
                    self._place(seg, line, offset)
            if node is not None:
                self._element_errors(node, seg, sub)
        except (Pyx12Crash, Pyx12Stop) as exc:
            self._stop(str(exc), line, offset)

    def _walk(self, seg: list[str], line: int, offset: int, sub: str) -> object | None:
        """Place `seg` in the map from the current node (walker.py); None when it is not found."""
        start = self.node
        sid = seg[0]
        positions = self.qualifiers.get(sid)
        if positions is None:
            key = (start, sid)
        elif len(positions) == 1:
            p = positions[0]
            key = (start, sid, seg[p] if p < len(seg) else None)
        else:
            key = (start, sid, *[seg[p] if p < len(seg) else None for p in positions])
        plan = self.plans.get(key)
        if plan is None:
            plan = plan_for(self.tables, self.plans, start, seg, sub)
        if plan.simple:  # a segment of the current loop, nothing to count but itself
            counts = self.counts
            counts[plan.slot] += 1
            if counts[plan.slot] <= plan.max:
                self.node = plan.node
                return plan.target
            counts[plan.slot] -= 1  # let apply() count it and word the error
        errors = apply(plan, self.counts, self.zeros, sid, self.tables.nodes[start].path)
        for code, seg_id, message in errors:
            if seg_id is None:  # no map node: pyx12 hangs it on its current segment
                self._seg_error(code, message, line, offset, sid)
            else:
                self.cursor = ("seg", line, offset, seg_id)
                self._add(f"IK304-{code}", message, line, offset, seg_id)
        if plan.kind == NOT_FOUND:
            return None
        self.node = plan.node
        return plan.target

    def _place(self, seg: list[str], line: int, offset: int) -> None:
        """pyx12's error-tree bookkeeping for a segment placed in the map, and the queued reader errors."""
        sid = seg[0]
        if sid == "IEA":
            self._handle_pending()
            self.isa.end_line, self.isa.end_offset = line, offset
            self.cursor = self.isa
        elif sid == "GE":
            self._handle_pending()
            if to_int(value(seg, 1, self.sub)) is None:
                raise Pyx12Crash("pyx12 raises on a GE01 that is not a number (closing its group)")
            self.gs.end_line, self.gs.end_offset = line, offset
            self.cursor = self.gs
        elif sid == "ST":
            self.st = self.cursor = _Envelope("ST", line, offset)
            self._handle_pending()
        elif sid == "SE":
            self._handle_pending()
            self.st.end_line, self.st.end_offset = line, offset
            self.cursor = self.st
        else:
            self.cursor = ("seg", line, offset, sid)
            self._handle_pending()

    def _use(self, tables: GuideTables) -> None:
        """Walk `tables` from now on (with its memoised plans and generated checks)."""
        self.tables = tables
        self.plans = _PLANS.setdefault(tables.map_file, {})
        self.checks = _CHECKS.setdefault(tables.map_file, {})
        self.qualifiers = tables.qualifier_positions

    def _force(self, loop_slot: int, seg_slot: int) -> None:
        """pyx12's forceWalkCounterToLoopStart: forget the counts under the loop, count it and its header."""
        counts = self.counts
        counts[seg_slot:] = self.zeros[seg_slot:]
        counts[loop_slot] += 1
        counts[seg_slot] += 1

    def _start_isa(self, seg: list[str], line: int, offset: int):
        d = self.tok.delimiters
        if not (
            d.element == self.element
            and d.component == self.sub
            and (d.segment == self.term or (self.term == "\r" and d.segment == "\n"))
        ):
            why = "the ISA's separators are not where a 106-character ISA has them, or differ from the first ISA's"
            self._stop(
                why + " (pyx12 reads the whole file with the first ISA's, by position)", line, offset, "isa-delimiters"
            )
            return None
        self._use(self.control)
        self.node = self.control.by_path["/ISA_LOOP/ISA"]
        self._force(0, 1)
        self.isa = self.cursor = _Envelope("ISA", line, offset)
        self.icvn = value(seg, 12, None)
        self._handle_pending()
        return self.control.nodes[self.node]

    def _start_gs(self, seg: list[str], line: int, offset: int):
        self._force(4, 5)
        new = map_file_for(self.icvn, value(seg, 8, self.sub), value(seg, 1, self.sub))
        if new == self.map_file and self.cur_map is None:
            raise Pyx12Crash("pyx12 raises AttributeError: this GS names the control map, not a transaction map")
        if new != self.map_file:
            if new is None:
                self._stop("pyx12 has no map for this group's guide (GS08) and version (ISA12)", line, offset, "no-map")
                return None
            if self.icvn != "00501":
                self._stop(
                    f"interchange version {self.icvn} is not supported by the guide engine", line, offset, "unsupported"
                )
                return None
            self.cur_map = load_tables(new)
            self.map_file = new
            self.reader.check_837_lx = self.cur_map.transaction_id == "837"
            if self.cur_map.slots > len(self.counts):
                grow = self.cur_map.slots - len(self.counts)
                self.counts += [0] * grow
                self.zeros += [0] * grow
        self._use(self.cur_map)
        self.node = self.cur_map.by_path["/ISA_LOOP/GS_LOOP/GS"]
        self.gs = self.cursor = _Envelope("GS", line, offset)
        self._handle_pending()
        return self.cur_map.nodes[self.node]

    def _element_errors(self, node, seg: list[str], sub: str | None) -> None:
        """The full element checks (elements.py), reported as pyx12 reports them."""
        if sub is not None and self.fast:
            ok = self.checks.get(node.index)
            if ok is None:
                ok = self.checks[node.index] = fast_check(node)
            if ok(seg, sub, len(seg)):
                return
        self._report(node, seg, sub)

    def _report(self, node, seg: list[str], sub: str | None) -> None:
        for rule, ref, message in segment_errors(node, seg, sub, self.tables.icvn):
            if rule == "IK304-8":
                self._seg_error("8", message, 0, 0, seg[0])
                continue
            if isinstance(self.cursor, tuple) and self.st is None:
                raise Pyx12Crash("pyx12 raises AttributeError: an element error before any transaction set")
            c_line, c_offset, _ = self._cursor_where()
            self._add(rule, message, c_line, c_offset, seg[0], ref)
