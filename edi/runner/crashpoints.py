"""Named points of the exactly-once protocol where the tests kill the process (a no-op in production)."""

from __future__ import annotations

import os
from collections import Counter

CRASH_ENV = "EDI_TEST_CRASH_AT"  # tests: "<point>" or "<point>:<n>" makes the process os._exit(137) there

_hits: Counter = Counter()


def crash_point(name: str) -> None:
    """Exit at once (status 137, as kill -9) when EDI_TEST_CRASH_AT names this point (at its n-th pass)."""
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    target, _, nth = spec.partition(":")
    if target == name:
        _hits[name] += 1
        if _hits[name] >= int(nth or 1):
            os._exit(137)
