"""Validation: a file against its implementation guide and the project's own rules, in words a biller
understands, and the 999/TA1 acknowledgments that follow from it.

Rooms: `validator` (validate a file, many files, text, an output before publishing), `pyx12_engine` (pyx12,
the validator of record, run against the TR3 map of the file's GS08), `guide` (its findings folded into a
verdict), `checks` (our envelope, balancing and duplicate checks), `verdict` (what is said about a file),
`plain` (codes in plain words), `acks` (999/TA1 from a verdict).

Each finding names the file, the segment ordinal and byte offset, the segment id, the element, a severity,
and a plain explanation (one line a biller can act on).
"""

from .acks import plan_acks, render_acks, write_acks
from .plain import PLAIN, explain
from .validator import outbound_gate, validate_file, validate_files, validate_text
from .verdict import FileVerdict, Issue

__all__ = [
    "PLAIN",
    "FileVerdict",
    "Issue",
    "explain",
    "outbound_gate",
    "plan_acks",
    "render_acks",
    "validate_file",
    "validate_files",
    "validate_text",
    "write_acks",
]
