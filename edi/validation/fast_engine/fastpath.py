"""Compiled clean-segment tests: per map segment, a small generated function `ok(seg, sub, n)` that returns
True only when `elements.segment_errors` would find nothing, in a handful of inline comparisons (a code in
its set, a length, `str.isdigit`, `str.isprintable`, the syntax notes as boolean expressions).

It may say False for a segment without errors (a negative amount, a regex element, a value ending in a
separator): the full check then decides. It never says True for a segment with an error; the tests run
both on every corpus file and on thousands of mutants to hold it to that. The generated source is kept on
the function (`ok.source`) for reading.

A file whose component separator could be part of a value the fast path accepts (a letter, a digit, '.',
'-' or a space) is checked by the full path only (`usable_separator`).
"""

from __future__ import annotations

from .compile import Comp, Elem, Node
from .elements import Pyx12Stop, is_valid_type
from .elements import number_length as _r_length

__all__ = ["fast_check", "usable_separator"]

_FORMATS_SEEN: dict[tuple[str, tuple], bool] = {}
_DTP_FORMATS = ("RD8", "D8", "D6", "DT", "TM")
_DATE_TYPES = ("RD8", "DT", "D8", "D6", "TM")


def usable_separator(sub: str) -> bool:
    """Whether generated checks may be used with this component separator."""
    return len(sub) == 1 and not sub.isalnum() and sub not in ".- " and sub.isprintable()


def _formats_ok(value: str, formats: tuple) -> bool:
    """pyx12's date/time format check of a 1251 value (memoised: dates repeat)."""
    key = (value, formats)
    ok = _FORMATS_SEEN.get(key)
    if ok is None:
        try:
            ok = any(is_valid_type(value, f) for f in formats if f)
        except Pyx12Stop:
            ok = False
        if len(_FORMATS_SEEN) > 100_000:
            _FORMATS_SEEN.clear()
        _FORMATS_SEEN[key] = ok
    return ok


class _Source:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: dict[str, object] = {}

    def const(self, value: object) -> str:
        name = f"K{len(self.consts)}"
        self.consts[name] = value
        return name

    def add(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)


def _value_test(src: _Source, spec: Elem, var: str, formats: tuple | str | None, simple: bool) -> str | None:
    """A boolean expression true when the present value `var` has no error; None: never fast."""
    if spec.regex is not None or spec.usage == "N":
        return None
    tests = []
    if spec.codes is not None:
        tests.append(f"{var} in {src.const(spec.clean)}")
        if simple and not all(c.isalnum() for c in spec.clean):
            tests.append(f"sub not in {var}")
    elif spec.dtype in ("AN", "ID"):
        tests.append(f"{spec.min_len} <= len({var}) <= {spec.max_len}")
        tests.append(f"{var}[-1] != ' ' and {var}.isprintable()")
        if simple:
            tests.append(f"sub not in {var}")
    elif spec.dtype[:1] == "N":
        tests.append(f"{var}.isdigit() and {spec.min_len} <= len({var}) <= {spec.max_len}")
    elif spec.dtype == "R":
        tests.append(f"{spec.min_len} <= _r_length({var}) <= {spec.max_len}")
    else:
        return None
    if formats == "DTP":
        tests.append(f"(f not in _DTP_FORMATS or _formats_ok({var}, (f,)))")
    elif formats:
        tests.append(f"_formats_ok({var}, {src.const(formats)})")
    return " and ".join(tests)


def _element(src: _Source, spec: Elem, i: int, formats) -> bool:
    """Lines checking simple element i; False when the segment can never take the fast path."""
    if spec.usage == "N":
        src.add(1, f"if n > {i} and seg[{i}]: return False")
        return True
    test = _value_test(src, spec, "v", formats, True)
    if spec.usage == "R":
        if test is None:
            return False
        src.add(1, f"if n <= {i}: return False")
        src.add(1, f"v = seg[{i}]")
        src.add(1, f"if not (v and {test}): return False")
    else:
        src.add(1, f"if n > {i} and seg[{i}]:")
        src.add(2, f"v = seg[{i}]")
        src.add(2, f"if not ({test}): return False" if test is not None else "return False")
    return True


def _composite(src: _Source, spec: Comp, i: int) -> bool:
    if spec.usage == "N":
        src.add(1, f"if n > {i} and seg[{i}].strip(sub): return False")
        return True
    if spec.usage == "R":
        src.add(1, f"if n <= {i} or not seg[{i}].strip(sub): return False")
        src.add(1, f"p = seg[{i}].split(sub)")
        indent = 1
    else:
        src.add(1, f"if n > {i} and seg[{i}].strip(sub):")
        src.add(2, f"p = seg[{i}].split(sub)")
        indent = 2
    k = len(spec.elements)
    src.add(indent, f"if len(p) > {k}: return False")
    src.add(indent, f"p += [''] * ({k} - len(p))")
    for j, part in enumerate(spec.elements):
        required = part.usage == "R" and (part.seq != 1 or spec.usage == "R")
        if part.usage == "N":
            src.add(indent, f"if p[{j}]: return False")
            continue
        test = _value_test(src, part, f"p[{j}]", None, False)
        if test is None:
            src.add(indent, f"if p[{j}]: return False")
            if required:
                src.add(indent, "return False")
        elif required:
            src.add(indent, f"if not (p[{j}] and {test}): return False")
        else:
            src.add(indent, f"if p[{j}] and not ({test}): return False")
    return True


def _syntax(src: _Source, syntax: tuple) -> None:
    used = sorted({i for syn in syntax for i in syn[1:]})
    for i in used:
        src.add(1, f"p{i} = n > {i} and seg[{i}] != '' and seg[{i}].strip(sub) != ''")
    for syn in syntax:
        kind, idx = syn[0], syn[1:]
        if len(idx) < 2:
            src.add(1, "return False")
            continue
        names = [f"p{i}" for i in idx]
        if kind == "P":
            cond = f"({' + '.join(names)}) in (0, {len(names)})"
        elif kind == "R":
            cond = " or ".join(names)
        elif kind == "E":
            cond = f"({' + '.join(names)}) <= 1"
        elif kind == "C":
            cond = f"not {names[0]} or ({' and '.join(names[1:])})"
        else:  # L
            cond = f"not {names[0]} or ({' or '.join(names[1:])})"
        src.add(1, f"if not ({cond}): return False")


def fast_check(node: Node):
    """The generated clean-segment test of a segment node (a function of seg, sub, n)."""
    src = _Source()
    src.add(0, "def ok(seg, sub, n):")
    src.add(1, f"if n > {len(node.specs) + 1}: return False")
    formats: tuple = ()
    possible = True
    for i, spec in enumerate(node.specs, 1):
        if isinstance(spec, Comp):
            possible &= _composite(src, spec, i)
            continue
        if spec.formats:
            formats = formats + spec.formats
        if node.id == "DTP" and i == 2:
            src.add(1, "f = seg[2] if n > 2 else ''")
        if node.id == "DTP" and i == 3:
            possible &= _element(src, spec, i, "DTP")
        else:
            possible &= _element(src, spec, i, formats if spec.is_1251 else None)
    _syntax(src, node.syntax)
    src.add(1, "return True")
    if not possible:
        src.lines = ["def ok(seg, sub, n):", "    return False"]
    namespace = {
        "_r_length": _r_length,
        "_formats_ok": _formats_ok,
        "_DTP_FORMATS": _DTP_FORMATS,
        **src.consts,
    }
    text = "\n".join(src.lines) + "\n"
    exec(compile(text, f"<guide fast check {node.path}>", "exec"), namespace)  # noqa: S102 - our own source
    ok = namespace["ok"]
    ok.source = text
    return ok
