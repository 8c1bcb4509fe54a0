"""Element and segment checks, as pyx12 4.0.0 makes them (`segment_if.is_valid_errors`,
`element_if.is_valid_errors`, `composite_if.is_valid_errors`, `pyx12.validation`, `pyx12.syntax`).

`segment_errors(node, seg, sub)` returns the errors of one segment as (rule, element, message) tuples, in
pyx12's order: too many elements, then each element in position order, then the elements missing at the
end, then the syntax notes. Element errors are "IK403-<code>"; what pyx12 raises at segment level (too
many elements, a mandatory or not-used composite, every syntax note) is "IK304-8", as pyx12 forwards
them. Where pyx12 itself would crash (a composite with more components than its map, an RD8 value with two
hyphens), `Pyx12Stop` is raised: the validator of record checks nothing past that segment.

The common case is a table lookup: a code in its list that passes every other check (`Elem.clean`), an AN
value of the right length with only printable characters, a number of digits. Anything else takes the
full path, which mirrors pyx12 check for check. Messages name the element and the rule, never a data
value other than the bad value of a code element.
"""

from __future__ import annotations

import re

from .compile import Comp, Elem

__all__ = ["Pyx12Stop", "segment_errors", "element_errors", "is_valid_type"]

_CONTROL = frozenset("\x07\x09\x0a\x0b\x0c\x0d\x1c\x1d\x1e\x1f\x01\x02\x03\x04\x05\x06\x11\x12\x13\x14\x15\x16\x17")
_N_RE = re.compile(r"-?[0-9]+", re.S | re.ASCII)
_R_RE = re.compile(r"-?[0-9]*(\.[0-9]+)?", re.S | re.ASCII)
_DIGITS = frozenset("0123456789")
_DATE_TYPES = ("RD8", "DT", "D8", "D6")
_DTP_FORMATS = ("RD8", "D8", "D6", "DT", "TM")


class Pyx12Stop(Exception):
    """pyx12 would raise here (an internal error, not a finding): it validates nothing after this segment."""


def _shown(value: str) -> str:
    """A bad code as the message shows it: verbatim, as edi.validation keeps pyx12's (the 999's IK404 copies
    it from there when it is at most 30 characters). It is a value of a code element, not free text."""
    return value


# ----------------------------------------------------------------------------------------------- data types
def _valid_date(dtype: str, val: str) -> bool:
    if (dtype == "D8" and len(val) != 8) or (dtype == "D6" and len(val) != 6):
        return False
    if not val or not _DIGITS.issuperset(val) or len(val) not in (6, 8, 12):
        return False
    if len(val) == 6:
        val = ("20" if int(val[0:2]) < 50 else "19") + val
    year, month, day = int(val[0:4]), int(val[4:6]), int(val[6:8])
    if year < 1800 or not 1 <= month <= 12:
        return False
    if month in (1, 3, 5, 7, 8, 10, 12):
        last = 31
    elif month in (4, 6, 9, 11):
        last = 30
    else:
        last = 29 if year % 4 == 0 and not (year % 100 == 0 and year % 400 != 0) else 28
    if not 1 <= day <= last:
        return False
    return len(val) != 12 or _valid_time(val[8:12])


def _valid_time(val: str) -> bool:
    if val and not _DIGITS.issuperset(val):
        return False
    if val[0:2] > "23" or val[2:4] > "59":
        return False
    if len(val) > 4 and (len(val) < 6 or val[4:6] > "59" or len(val) > 8):
        return False
    return True


def is_valid_type(val: str, dtype: str, icvn: str = "00401") -> bool:
    """pyx12.validation.IsValidDataType with charset E (pyx12's default), for a non-empty value."""
    if not dtype:
        return True
    if dtype[0] == "N":
        return _N_RE.fullmatch(val) is not None
    if dtype == "R":
        return _R_RE.fullmatch(val) is not None
    if dtype in ("ID", "AN"):
        # charset E: every printable ASCII character; 4010's extended set lacks ^ and `
        return val.isascii() and val.isprintable() and (icvn == "00501" or not ("^" in val or "`" in val))
    if dtype == "RD8":
        if "-" not in val:
            return False
        parts = val.split("-")
        if len(parts) != 2:
            raise Pyx12Stop("pyx12 raises ValueError on an RD8 value with more than one hyphen")
        return _valid_date("D8", parts[0]) and _valid_date("D8", parts[1])
    if dtype in ("DT", "D8", "D6"):
        return _valid_date(dtype, val)
    if dtype == "TM":
        return _valid_time(val)
    return dtype == "B"


# ----------------------------------------------------------------------------------------------- elements
def element_errors(spec: Elem, val: str, formats: tuple = (), icvn: str = "00501") -> list[tuple[str, str]]:
    """(code, message) errors of a present, non-composite value, in pyx12's order (length, control
    characters, trailing spaces, code list, data type, date/time format, regex)."""
    name = f'Data element "{spec.name}" ({spec.xid})'
    dtype = spec.dtype
    out: list[tuple[str, str]] = []
    measured = len(val.replace("-", "").replace(".", "")) if dtype and (dtype == "R" or dtype[0] == "N") else len(val)
    if measured < spec.min_len:
        out.append(("4", f"{name} is too short: {measured} < {spec.min_len} (min_len)"))
    if measured > spec.max_len:
        out.append(("5", f"{name} is too long: {measured} > {spec.max_len} (max_len)"))
    if not _CONTROL.isdisjoint(val):
        out.append(("6", f"{name}, contains an invalid control character"))
        return out
    if dtype in ("AN", "ID") and val[-1] == " " and len(val.rstrip()) >= spec.min_len:
        out.append(("6", f"{name} has unnecessary trailing spaces."))
    if spec.codes is not None and val not in spec.codes:
        out.append(("7", f"({_shown(val)}) is not a valid code for {spec.name} ({spec.xid})"))
    if not is_valid_type(val, dtype, icvn):
        if dtype in _DATE_TYPES:
            out.append(("8", f"{name} contains an invalid date"))
        elif dtype == "TM":
            out.append(("9", f"{name} contains an invalid time"))
        else:
            out.append(("6", f"{name} is type {dtype}, contains an invalid character"))
    if formats and not any(is_valid_type(val, f) for f in formats if f):
        if "TM" in formats:
            out.append(("9", f"{name} contains an invalid time"))
        elif any(t in formats for t in _DATE_TYPES):
            out.append(("8", f"{name} contains an invalid date"))
    if spec.regex is not None and re.search(spec.regex, val, re.S) is None:
        out.append(("7", f'Data element "{spec.name}" failed to match the regular expression "{spec.regex}"'))
    return out


def number_length(val: str) -> int:
    """Length of an R value that is a well-formed decimal (pyx12 counts digits only), else -1."""
    t = val[1:] if val[:1] == "-" else val
    if t.isdigit():
        return len(t) if t.isascii() else -1
    whole, dot, frac = t.partition(".")
    if dot and frac.isdigit() and (not whole or whole.isdigit()) and t.isascii():
        return len(whole) + len(frac)
    return -1


def _fast_ok(spec: Elem, val: str) -> bool:
    """True when a non-empty `val` certainly has no error (no date formats in play); False: full check."""
    if spec.codes is not None:
        return val in spec.clean
    if spec.regex is not None:
        return False
    dtype = spec.dtype
    if dtype == "AN" or dtype == "ID":
        return spec.min_len <= len(val) <= spec.max_len and val[-1] != " " and val.isprintable() and val.isascii()
    if dtype == "R":
        return spec.min_len <= number_length(val) <= spec.max_len
    if dtype[:1] == "N":
        return spec.min_len <= len(val) <= spec.max_len and val.isdigit() and val.isascii()
    return False


def _empty_errors(spec: Elem) -> list[tuple[str, str, str]]:
    if spec.usage == "R" and (spec.seq != 1 or not spec.in_composite or spec.composite_usage == "R"):
        return [("IK403-1", spec.ref, f'Mandatory data element "{spec.name}" ({spec.xid}) is missing')]
    return []


def _element(spec: Elem, val: str | None, sub: str | None, formats: tuple, icvn: str) -> list:
    if val is None or val == "":
        return [] if spec.usage in ("N", "S") else _empty_errors(spec)
    if sub is not None and sub in val:
        return [("IK403-6", spec.ref, f'Data element "{spec.name}" ({spec.xid}) is an invalid composite')]
    if spec.usage == "N":
        return [("IK403-10", spec.ref, f'Data element "{spec.name}" ({spec.xid}) is marked as Not Used')]
    if not formats and _fast_ok(spec, val):
        return []
    return [("IK403-" + code, spec.ref, msg) for code, msg in element_errors(spec, val, formats, icvn)]


def _composite(spec: Comp, text: str | None, sub: str, icvn: str) -> list:
    parts = text.split(sub) if text is not None else None
    empty = parts is None or not any(parts)
    if empty and spec.usage in ("N", "S"):
        return []
    if spec.usage == "R" and empty:
        return [("IK304-8", "", f'Mandatory composite "{spec.name}" ({spec.ref}) is missing')]
    if spec.usage == "N":
        return [("IK304-8", "", f'Composite "{spec.name}" ({spec.ref}) is marked as Not Used')]
    out: list = []
    for i, elem in enumerate(spec.elements):
        out += _element(elem, parts[i] if i < len(parts) else None, None, (), icvn)
    return out


# ----------------------------------------------------------------------------------------------- segments
def _present(seg: list[str], i: int, sub: str | None) -> bool:
    """pyx12's test of a syntax note: the element exists and is not empty (trailing empty components
    dropped)."""
    if i >= len(seg):
        return False
    v = seg[i]
    return v != "" and (sub is None or v[-1] != sub or v.rstrip(sub) != "")


def _syntax_holds(seg: list[str], kind: str, idx: tuple, sub: str | None) -> bool:
    if len(idx) < 2:
        return False
    if kind == "C" or kind == "L":
        if not _present(seg, idx[0], sub):
            return True
        rest = sum(1 for i in idx[1:] if _present(seg, i, sub))
        return rest == len(idx) - 1 if kind == "C" else rest > 0
    count = sum(1 for i in idx if _present(seg, i, sub))
    if kind == "P":
        return count == 0 or count == len(idx)
    if kind == "R":
        return count > 0
    return count <= 1  # E


def _syntax_message(seg: list[str], syn: tuple) -> str:
    """The message of a failed syntax note, as pyx12 words it."""
    kind, idx = syn[0], syn[1:]
    sid = seg[0]
    note = kind + "".join(f"{i:02d}" for i in idx)
    if len(idx) < 2:
        return f"Syntax string must have at least two comparators {note}"
    names = ", ".join(f"{sid}{i:02d}" for i in idx)
    others = ", ".join(f"{sid}{i:02d}" for i in idx[1:])
    return {
        "P": f"Syntax Error ({note}): If any of {names} is present, then all are required",
        "R": f"Syntax Error ({note}): At least one element is required",
        "E": f"Syntax Error ({note}): At most one of {names} may be present",
        "C": f"Syntax Error ({note}): If {sid}{idx[0]:02d} is present, then {others} required",
        "L": f"Syntax Error ({note}): If {sid}{idx[0]:02d} is present, then at least one of {others} is required",
    }[kind]


def segment_errors(node, seg: list[str], sub: str | None, icvn: str = "00501") -> list[tuple[str, str, str]]:
    """Every error pyx12 finds in segment `seg` (a split segment, seg[0] its id) matched to map `node`.

    `sub` is the component separator (None for the ISA, which pyx12 never splits)."""
    specs = node.specs
    count = len(specs)
    present = len(seg) - 1
    out: list = []
    if present > count:
        out.append(
            (
                "IK304-8",
                "",
                f'Too many elements in segment "{node.name}" ({seg[0]}). Has {present}, should have {count}',
            )
        )
    formats: tuple = ()
    dtp = seg[0] == "DTP"
    for i in range(min(present, count)):
        spec = specs[i]
        val = seg[i + 1]
        if spec.__class__ is Comp:
            if sub is not None and val.count(sub) >= len(spec.elements) and spec.usage != "N":
                raise Pyx12Stop(f"pyx12 raises IndexError on {spec.ref}: more components than its map allows")
            out += _composite(spec, val, sub or "\x00", icvn)
            continue
        if spec.formats:
            formats = formats + spec.formats
        if dtp and i == 2:
            fmt = seg[2].rstrip(sub) if sub else seg[2]
            out += _element(spec, val, sub, (fmt,) if fmt in _DTP_FORMATS else (), icvn)
        elif spec.is_1251 and formats:
            out += _element(spec, val, sub, formats, icvn)
        elif val == "":
            if spec.usage == "R":
                out += _empty_errors(spec)
        elif spec.usage == "N" or (sub is not None and sub in val) or not _fast_ok(spec, val):
            out += _element(spec, val, sub, (), icvn)
    for i in range(min(present, count), count):
        spec = specs[i]
        if spec.__class__ is Comp:
            out += _composite(spec, None, sub or "\x00", icvn)
        elif spec.usage == "R":
            out += _empty_errors(spec)
    for syn in node.syntax:
        if not _syntax_holds(seg, syn[0], syn[1:], sub):
            out.append(("IK304-8", "", _syntax_message(seg, syn)))
    return out
