"""The appeal packet of a denied worklist item: a letter draft (the claim, the payer, the denial codes in
words, the deadline, what is enclosed), the primary's remittance and the denying payer's as EOB pages, and a
claim summary; one HTML page each and the whole packet as one PDF (WeasyPrint)."""

from __future__ import annotations

from datetime import date

from parsers.models import Claim837, ClaimPayment
from rules.carc import carc_description, rarc_description
from rules.statement import Statement

from .eob import render_eob
from .page import esc, page, table
from .parties import city_line, member_id, patient, payer_names, provider, service_lines


def letter(item: dict, claim: Claim837, denial: ClaimPayment | None, enclosed: list[str], today: date) -> str:
    """The appeal letter draft (HTML body): to the payer, about the claim, the denial in words."""
    who, office, names = patient(claim), provider(claim), payer_names(claim)
    payer = names.get(item["payer"], f"payer {item['payer']}")
    payer_address: tuple[str, ...] = ()
    if denial is not None and denial.remittance is not None and denial.remittance.payer is not None:
        segs = denial.remittance.payer.segments
        payer_address = tuple(
            " ".join(v for v in s[1:3] if v) if s[0] == "N3" else city_line(s) for s in segs if s[0] in ("N3", "N4")
        )
    remarks = denial.remark_codes() if denial is not None else []
    level = sum(1 for h in item["history"] if h["step"] == "appealed") + 1
    dates = sorted({d for d, *_ in service_lines(claim) if d})
    codes = [f"{item['group']}-{item['reason']}: {carc_description(item['reason'])}"] + [
        f"{code}: {rarc_description(code)}" for code in remarks
    ]
    body = (
        f"<p>{esc(office.name)}<br>{'<br>'.join(esc(a) for a in office.address)}<br>NPI {esc(office.ident)}</p>"
        f"<p>{today.isoformat()}</p>"
        f"<p>{esc(payer)}<br>{'<br>'.join(esc(a) for a in payer_address)}<br>Attn: Appeals</p>"
        f"<p><b>Re: request for {'reconsideration' if level > 1 else 'appeal'} (level {level})</b><br>"
        f"Patient: {esc(who.name)}; member id {esc(member_id(claim, item['payer']))}<br>"
        f"Claim (patient control number): {esc(item['claim_id'])}; your claim number "
        f"{esc(item['payer_claim_number'])}<br>"
        f"Date(s) of service: {esc(', '.join(dates))}; line {esc(item['line'] or 'whole claim')}<br>"
        f"Amount denied: {esc(item['amount'])}</p>"
        "<p>We ask you to reconsider the denial of this service. Your remittance gave these reasons:</p>"
        "<ul>" + "".join(f"<li>{esc(c)}</li>" for c in codes) + "</ul>"
        "<p><i>[Draft: state why the service should be paid, e.g. the authorization number obtained, the "
        "medical necessity documented in the enclosed records, or the correction made.]</i></p>"
        + (f"<p>This appeal is filed within your deadline of {esc(item['deadline'])}.</p>" if item["deadline"] else "")
        + "<p>Enclosed:</p><ul>"
        + "".join(f"<li>{esc(e)}</li>" for e in enclosed)
        + "</ul><p>Sincerely,<br><br>Billing office, "
        + esc(office.name)
        + "</p>"
    )
    return "<h1>Appeal letter (draft)</h1>" + body


def claim_summary(claim: Claim837, stmt: Statement) -> str:
    """The claim as billed and where it stands (HTML body)."""
    names = payer_names(claim)
    diagnoses = [
        part.split(claim.delimiters.component)[-1]
        for seg in claim.segments
        if seg[0] == "HI"
        for part in seg[1:]
        if part
    ]
    payers = [[claim.subscriber.sbr[1] if claim.subscriber.sbr else "P", pid, name] for pid, name in names.items()]
    lines = [[d, code, mods, ch] for d, code, mods, ch in service_lines(claim)]
    paid = [[names.get(p, p), str(a)] for p, a in stmt.paid_by_payer]
    wo = stmt.write_off
    return (
        "<h1>Claim summary</h1>"
        f"<p>Claim {esc(stmt.claim_id)}; charge {esc(stmt.charge)}; diagnoses {esc(', '.join(diagnoses))}</p>"
        + table(["order", "payer id", "payer"], [[p[0] if i == 0 else "", p[1], p[2]] for i, p in enumerate(payers)])
        + table(["date", "procedure", "modifiers", "charge"], lines, {3})
        + "<h2>Where it stands</h2>"
        + table(["paid by", "amount"], paid, {1})
        + table(
            ["", "amount"],
            [
                ["contractual", str(wo.contractual)],
                ["administrative", str(wo.administrative)],
                ["still open with the payers", str(stmt.other_adjustments)],
                ["patient balance", str(stmt.patient_balance.total)],
                ["unresolved", str(stmt.unresolved)],
            ],
            {1},
        )
    )


def packet_pages(
    item: dict, claim: Claim837, stmt: Statement, primary: ClaimPayment | None, denial: ClaimPayment | None, today: date
) -> dict[str, str]:
    """File name -> whole HTML page, in packet order (letter, EOBs, summary)."""
    eobs: dict[str, tuple[str, ClaimPayment]] = {}
    if primary is not None:
        eobs["primary-eob.html"] = ("The primary payer's remittance (EOB)", primary)
    if denial is not None and denial is not primary:
        eobs["denial-eob.html"] = ("The denying payer's remittance (EOB)", denial)
    enclosed = [title for title, _ in eobs.values()] + ["Claim summary"]
    pages = {"letter.html": page("Appeal letter", letter(item, claim, denial, enclosed, today))}
    for name, (title, payment) in eobs.items():
        pages[name] = page(title, f"<h1>{esc(title)}</h1>" + render_eob(payment, f"Claim {payment.claim_id}"))
    pages["claim-summary.html"] = page("Claim summary", claim_summary(claim, stmt))
    return pages


def packet_pdf(pages: dict[str, str]) -> bytes:
    """The whole packet as one PDF (each page on its own sheet)."""
    from weasyprint import HTML

    documents = [HTML(string=html).render() for html in pages.values()]
    first = documents[0]
    every = [p for doc in documents for p in doc.pages]
    return first.copy(every).write_pdf(uncompressed_pdf=True)  # readable: pages countable, text searchable
