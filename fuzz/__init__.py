"""The fuzzing harness (`make fuzz`): every entry point (inspect, convert, validate, post, batch on one file)
on mutated X12, coverage-guided with atheris when it is installed, else hypothesis over mutated corpus files.

Rooms: `targets` (the entry points on one file, and what counts as a crash), `minimise` (a crash cut down to
the segments that make it), `engine` (the fuzzers), `__main__` (`python -m fuzz`: runs the engine for a time
budget and prints what it found). A crash is minimised and written to fixtures/hostile/ as a reproducer;
tests/fuzz replays every reproducer on every entry point in `make test`.
"""
