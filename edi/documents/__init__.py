"""Documents people read, as self-contained HTML (and PDF): patient statements (`statement`), a payer's
remittance as an EOB page (`eob`), the appeal packet (`appeal`); the page shell they share (`page`)."""
