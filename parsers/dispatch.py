"""Segment dispatch for the readers: per loop, a table of segment id -> handler, looked up in one dict probe.

A reader declares its loops as data: for each loop it can be reading, ``{segment id: handler method name,
..., None: the handler of any other segment}``, in the manner of LinuxForHealth x12's ``@match``
declarations but as one table that can be read at a glance. `table` resolves the names once, at import, to
the reader class's functions, so reading a segment is ``loop[seg[0]](reader, seg)``: one probe and one call,
no if-chain (and no bound methods: a reader holds no reference cycle through its tables).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

Handler = Callable[[Any, list[str]], Any]
NOTHING: frozenset[str] = frozenset()


class Dispatch(dict):
    """One loop's segment id -> handler; an id it does not list goes to `other`.

    `belongs` are the ids kept in the loop without a handler call (a reader probes them first), `loop` is
    the loop's key in the reader's table.
    """

    __slots__ = ("loop", "belongs", "other")

    def __missing__(self, tag: str) -> Handler:
        return self.other


def table(
    loop: Hashable, handlers: Mapping[str | None, str], reader: type, belongs: frozenset[str] = NOTHING
) -> Dispatch:
    """The `Dispatch` of one loop, its handler names resolved to functions of `reader` (key None: the default)."""
    out = Dispatch({tag: getattr(reader, name) for tag, name in handlers.items() if tag is not None})
    out.loop = loop
    out.belongs = belongs
    out.other = getattr(reader, handlers[None])
    return out
