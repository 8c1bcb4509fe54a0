"""Shared test configuration: hypothesis profiles, chosen with the HYPOTHESIS_PROFILE environment variable.

* "default": fast, for every `make test` (the whole default run stays well under a few minutes);
* "long": 10,000 examples per property, for `make test-long` (HYPOTHESIS_PROFILE=long pytest -m slow tests).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("default", max_examples=60, **_COMMON)
settings.register_profile("long", max_examples=10_000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
