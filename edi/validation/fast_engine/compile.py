"""The guide compiler: one pyx12 map (TR3 XML) -> plain lookup tables the engine walks, cached on disk.

The tables are read from pyx12's own map objects (`pyx12.map_if.load_map_file`), so they hold exactly what
pyx12 checks: loops and segments in pyx12's scan order (sorted by position, loops before segments at a
position), usage R/S/N, repeat and max use, the qualifier a segment is matched on (pyx12's own
`_resolve_unique_key_field`), elements with usage, data type, min/max length from dataele.xml, code lists
(inline codes plus the external sets of codes.xml pyx12 checks: states, country, currency, pos,
remark_code), regex, composites, and the syntax notes P/R/C/L/E.

Counters. pyx12 counts loops and segments by path ("/ISA_LOOP/GS_LOOP/ST_LOOP/HEADER/1000A/NM1") and, on
entering a loop, forgets the counts under it. Here every distinct path gets a slot in one list, numbered
depth first with a loop's segments before its sub-loops, so what lies under a loop is one slice
(`Node.below`) and the envelope paths every map shares (ISA_LOOP, ISA, TA1, IEA, GS_LOOP, GS, GE) get the
same slots 0-6 in every map: one counter list serves the control map and each transaction map.

Cache: a pickle per map under $XDG_CACHE_HOME/edi-cob (or ~/.cache/edi-cob), named by a hash of the pyx12
version, this compiler's version and the bytes of the map, dataele.xml and codes.xml. A cache that cannot
be written is skipped (tables are compiled in memory); one that cannot be read is compiled again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

COMPILER_VERSION = 3  # part of the cache key: bump when the tables (or what they hold) change
MAXINT = 2147483647
ENVELOPE_SLOTS = (
    "/ISA_LOOP",
    "/ISA_LOOP/ISA",
    "/ISA_LOOP/TA1",
    "/ISA_LOOP/IEA",
    "/ISA_LOOP/GS_LOOP",
    "/ISA_LOOP/GS_LOOP/GS",
    "/ISA_LOOP/GS_LOOP/GE",
)
ROOT, LOOP, SEGMENT = 0, 1, 2

__all__ = ["Elem", "Comp", "Node", "GuideTables", "load_tables", "map_file_for", "map_dir", "cache_dir"]


@dataclass(slots=True)
class Elem:
    """One simple element (or component of a composite) as pyx12 validates it."""

    ref: str  # "CLM01", "CLM05-1": segment id + position (+ component), how findings name it
    xid: str  # the map's own id ("CLM05-01"), what pyx12's messages name
    name: str
    usage: str  # R, S or N
    seq: int
    data_ele: str
    dtype: str  # AN, ID, DT, TM, N0, N2, R, ...
    min_len: int
    max_len: int
    codes: frozenset | None  # inline codes plus the external set; None = no code check
    regex: str | None
    formats: tuple = ()  # data element 1250: its codes (the formats a 1251 in the segment may take)
    is_1251: bool = False
    in_composite: bool = False
    composite_usage: str = ""
    clean: frozenset = frozenset()  # codes that pass every other check too (the fast path)


@dataclass(slots=True)
class Comp:
    """A composite element and its components, in position order."""

    ref: str
    name: str
    usage: str
    seq: int
    elements: tuple


@dataclass(slots=True)
class Node:
    """A loop or segment of the map (the root is node 0)."""

    index: int
    kind: int  # ROOT, LOOP, SEGMENT
    id: str
    name: str
    usage: str
    pos: int
    max_repeat: int  # loop repeat / segment max use
    parent: int  # -1 for the root
    path: str
    slot: int
    eq_key: tuple  # pyx12's node equality: (id, parent id)
    children: tuple = ()  # loops/root: node indices in pyx12's scan order
    scan_from: int = 0  # index in the parent's children of the first child at or after this node's position
    below: tuple = (0, 0)  # loops: the slot slice of every path under this loop
    match: tuple | None = None  # segments: (element, component or 0, codes) the segment is matched on
    specs: tuple = ()  # segments: Elem/Comp per element position (index 0 = element 01)
    syntax: tuple = ()  # segments: ("P", 8, 9) ...


@dataclass
class GuideTables:
    """A compiled map: nodes by index, plus what the engine looks up per segment."""

    map_file: str
    transaction_id: str  # the map's xid: "837", "837Q3", "835W1", "999"; "" for the control map
    icvn: str
    nodes: list[Node]
    slots: int
    by_path: dict[str, int]
    qualifier_positions: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def node(self, path: str) -> Node:
        """The node at a pyx12 path ("/ISA_LOOP/GS_LOOP/GS")."""
        return self.nodes[self.by_path[path]]


# ----------------------------------------------------------------------------------------------- compiling
def _usage(node) -> str:
    return (node.usage or "").strip() or "S"


def _elem(e, seg_id: str, position: int, component: int, ext_codes, composite=None) -> Elem:
    de = e._resolve_data_ele()
    codes = None
    if e._valid_codes_set or e.external_codes is not None:
        codes = set(c for c in e.valid_codes if c is not None)
        if e.external_codes is not None:
            codes |= set(c for c in ext_codes.codes[e.external_codes]["codes"] if c is not None)
        codes = frozenset(codes)
    ref = f"{seg_id}{position:02d}" + (f"-{component}" if component else "")
    out = Elem(
        ref=ref,
        xid=e.refdes or ref,
        name=e.name or "",
        usage=_usage(e),
        seq=e.seq,
        data_ele=e.data_ele or "",
        dtype=de["data_type"] or "",
        min_len=int(de["min_len"]),
        max_len=int(de["max_len"]),
        codes=codes,
        regex=e.res or None,
        formats=tuple(c for c in e.valid_codes if c) if e.data_ele == "1250" else (),
        is_1251=e.data_ele == "1251",
        in_composite=composite is not None,
        composite_usage=_usage(composite) if composite is not None else "",
    )
    if codes:
        from .elements import element_errors  # the clean set is what the full check finds no fault in

        out.clean = frozenset(c for c in codes if not element_errors(out, c))
    return out


def _specs(seg, ext_codes) -> tuple:
    import pyx12.map_if

    specs = []
    for i, child in enumerate(seg.children, 1):
        if child.seq != i:
            raise ValueError(f"{seg.id}: element positions are not 1..n (found {child.seq} at {i})")
        if isinstance(child, pyx12.map_if.composite_if):
            parts = tuple(_elem(c, seg.id, i, j, ext_codes, child) for j, c in enumerate(child.children, 1))
            specs.append(Comp(f"{seg.id}{i:02d}", child.name or "", _usage(child), i, parts))
        else:
            specs.append(_elem(child, seg.id, i, 0, ext_codes))
    return tuple(specs)


def _match(seg) -> tuple | None:
    key = seg._resolve_unique_key_field(seg.id, with_qual=False)
    if key is None:
        return None
    child, ele_idx, sub_idx = key
    return (ele_idx, sub_idx or 0, frozenset(c for c in child.valid_codes if c is not None))


def _ordered_children(node) -> list:
    """pyx12's scan order: by position; at a position, loops (in map order) before segments."""
    return [child for pos in sorted(node.pos_map) for child in node.pos_map[pos]]


def _assign_slots(root) -> dict[str, int]:
    """Slot per distinct path, depth first, a loop's segments before its loops (contiguous subtrees)."""
    slots: dict[str, int] = {}

    def visit(node) -> None:
        kids = _ordered_children(node)
        for child in [k for k in kids if not k.is_loop()] + [k for k in kids if k.is_loop()]:
            slots.setdefault(child.get_path(), len(slots))
            if child.is_loop():
                visit(child)

    visit(root)
    return slots


def compile_map(map_file: str) -> GuideTables:
    """Compile one pyx12 map file (a name in pyx12's map folder) into GuideTables."""
    import pyx12.map_if
    import pyx12.params

    root = pyx12.map_if.load_map_file(map_file, pyx12.params.ParamsBase())
    slots = _assign_slots(root)
    _check_envelope_slots(map_file, slots)
    nodes: list[Node] = [Node(0, ROOT, root.id or "", root.name or "", "R", 0, MAXINT, -1, "/", -1, ("", ""))]
    by_path: dict[str, int] = {}
    qualifiers: dict[str, set[int]] = {}

    def add(x12node, parent: int) -> int:
        index = len(nodes)
        path = x12node.get_path()
        is_loop = x12node.is_loop()
        node = Node(
            index=index,
            kind=LOOP if is_loop else SEGMENT,
            id=x12node.id or "",
            name=x12node.name or "",
            usage=_usage(x12node),
            pos=x12node.pos,
            max_repeat=x12node.get_max_repeat(),
            parent=parent,
            path=path,
            slot=slots[path],
            eq_key=(x12node.id, x12node.parent.id),
        )
        nodes.append(node)
        by_path.setdefault(path, index)
        if is_loop:
            _fill_loop(node, x12node)
        else:
            node.match = _match(x12node)
            node.specs = _specs(x12node, root.ext_codes)
            node.syntax = tuple(tuple(s) for s in x12node.syntax)
            if node.match:
                qualifiers.setdefault(node.id, set()).add(node.match[0])
        return index

    def _fill_loop(node: Node, x12node) -> None:
        kids = _ordered_children(x12node)
        node.children = tuple(add(k, node.index) for k in kids)
        under = [slots[p] for p in slots if p.startswith(node.path + "/")]
        node.below = (min(under), max(under) + 1) if under else (0, 0)
        if under and node.below[1] - node.below[0] != len(set(under)):
            raise ValueError(f"{map_file}: the paths under {node.path} do not have contiguous slots")

    nodes[0].children = tuple(add(k, 0) for k in _ordered_children(root))
    _set_scan_from(nodes)
    return GuideTables(
        map_file=map_file,
        transaction_id=root.id or "",
        icvn=root.icvn or "00401",
        nodes=nodes,
        slots=len(slots),
        by_path=by_path,
        qualifier_positions={k: tuple(sorted(v)) for k, v in qualifiers.items()},
    )


def _check_envelope_slots(map_file: str, slots: dict[str, int]) -> None:
    """The envelope's paths (ISA, GS, ST ...) take the same first slots in every map: the state machine
    shares them across guides."""
    for i, path in enumerate(ENVELOPE_SLOTS):
        if slots.get(path, i) != i:
            raise ValueError(f"{map_file}: envelope path {path} does not get the shared slot {i}")


def _set_scan_from(nodes: list[Node]) -> None:
    """Each child's scan_from: the first sibling at or after its position, where a search for it starts."""
    for parent in nodes:
        for index in parent.children:
            child = nodes[index]
            child.scan_from = next(j for j, k in enumerate(parent.children) if nodes[k].pos >= child.pos)


# ----------------------------------------------------------------------------------------------- cache
def map_dir() -> Path:
    import pyx12

    return Path(pyx12.__file__).parent / "map"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "edi-cob"


def fingerprint(map_file: str) -> str:
    import pyx12.version

    h = hashlib.sha256(f"{pyx12.version.__version__}|{COMPILER_VERSION}|{map_file}".encode())
    for name in (map_file, "dataele.xml", "codes.xml"):
        h.update((map_dir() / name).read_bytes())
    return h.hexdigest()[:24]


def _read_cache(path: Path) -> GuideTables | None:
    try:
        with open(path, "rb") as f:
            tables = pickle.load(f)
        return tables if isinstance(tables, GuideTables) else None
    except Exception:  # missing, truncated, from another version, not a pickle: compile again
        return None


def _write_cache(path: Path, tables: GuideTables) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(tables, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a read-only or full cache folder: the tables stay in memory


_LOADED: dict[str, GuideTables] = {}  # map file -> tables, loaded in this process
_LOCK = threading.Lock()


def load_tables(map_file: str, use_cache: bool = True) -> GuideTables:
    """The compiled tables of `map_file`: from this process, else the disk cache, else compiled now."""
    with _LOCK:
        tables = _LOADED.get(map_file)
        if tables is not None:
            return tables
        path = cache_dir() / f"{map_file}.{fingerprint(map_file)}.pickle"
        tables = _read_cache(path) if use_cache else None
        if tables is None:
            tables = compile_map(map_file)
            if use_cache:
                _write_cache(path, tables)
        _LOADED[map_file] = tables
        return tables


# ----------------------------------------------------------------------------------------------- map index
_INDEX: list[tuple[str, str, str, str]] | None = None


def map_file_for(icvn: str | None, vriic: str | None, fic: str | None) -> str | None:
    """The map pyx12 picks for ISA12/GS08/GS01 (pyx12's maps.xml, first match), or None."""
    global _INDEX
    if _INDEX is None:
        import pyx12.map_index

        _INDEX = [(m["icvn"], m["vriic"], m["fic"], m["map_file"]) for m in pyx12.map_index.map_index().maps]
    for i, v, f, name in _INDEX:
        if i == icvn and v == vriic and f == fic:
            return name
    return None


def forget_loaded() -> None:
    """Forget the tables loaded in this process (the next `load_tables` reads the disk cache or compiles)."""
    _LOADED.clear()
