"""Posting payers' answers on the claim store: `post_file` (an 835 file), `Poster` (claim groups on claim
accounts, the ledger and the worklist), `payers` (which payer answered), `worklist_rows` (the worklist)."""

from .files import post_file
from .poster import POSTED, GroupPosting, Poster
from .worklist import WORKLIST_FIELDS, add_review_item, worklist_rows

__all__ = ["POSTED", "WORKLIST_FIELDS", "GroupPosting", "Poster", "add_review_item", "post_file", "worklist_rows"]
