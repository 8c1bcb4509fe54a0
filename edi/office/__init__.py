"""The billing office's work on the claim store: working worklist items to their end (`items`), the
collection effort on patient balances (`collections`), and the ledger rows both post (`postings`)."""
