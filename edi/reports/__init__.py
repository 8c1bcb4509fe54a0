"""The billing office's reports on the claim store: write-offs (`writeoffs`) and denials (`denials`), as a
table, CSV, JSON or one self-contained HTML page with inline SVG charts (`html`, `charts`)."""

from .denials import denial_report
from .writeoffs import DIMENSIONS, write_off_report

__all__ = ["DIMENSIONS", "denial_report", "write_off_report"]
