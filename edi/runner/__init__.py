"""The runner of `edi batch` and `edi watch`: inbound files on the claim store, secondary claims out, exactly
once whatever stops the process.

Rooms: `intake` (what is a file of a drop), `inbound` (files on the store: originals stored, 835 claims
decided and posted), `outbox` (outputs committed, then published), `gate` (every output validated before it
is published), `protocol` (the numbered steps of a run, in order), `report` (what a run did), `batch` and
`watch` (the two ways to run it), `crashpoints` (where the tests kill it).
"""

from .batch import run_batch
from .intake import DropError
from .protocol import Runner
from .report import RunReport
from .watch import watch

__all__ = ["DropError", "RunReport", "Runner", "run_batch", "watch"]
