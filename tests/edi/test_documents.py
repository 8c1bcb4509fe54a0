"""The HTML the office prints, rendered in headless Chromium: the write-off and denial reports (charts and
totals on the page, nothing fetched), a patient statement (plain words, owner-only) and an appeal packet
(letter, EOB pages, claim summary, and its PDF)."""

from __future__ import annotations

import json
import re
import stat

import pytest

from tests.support.browser import browser, open_page
from tests.support.office import edi, item_id, worked_store


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("documents")
    state = worked_store(tmp)
    assert (
        edi("worklist", "set", item_id(state, "PCN2002", "50"), "lost", "--on", "2024-04-01", "--state", state)[0] == 0
    )
    for day in ("2024-03-10", "2024-04-10", "2024-05-10", "2024-07-10"):
        assert edi("collections", "run", "--today", day, "--state", state)[0] == 0
    with browser() as launched:
        yield {"state": state, "tmp": tmp, "browser": launched}


def owner_only(path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_write_off_report_renders_with_its_charts_and_totals(office):
    out = office["tmp"] / "write-offs.html"
    assert (
        edi("report", "write-offs", "--by", "reason", "--format", "html", "--out", out, "--state", office["state"])[0]
        == 0
    )
    totals = json.loads(edi("report", "write-offs", "--format", "json", "--state", office["state"])[1])["totals"]
    html = out.read_text()
    assert "<script" not in html and "http" not in html.replace("http://www.w3.org/2000/svg", "")
    requests: list[str] = []
    page = open_page(office["browser"], out, requests)
    charts = {
        name: page.locator(f'svg[data-chart="{name}"]').bounding_box()
        for name in ("by-month", "top-reasons", "by-payer")
    }
    assert all(box and box["width"] > 100 and box["height"] > 20 for box in charts.values()), charts
    assert page.locator('svg[data-chart="top-reasons"] rect.bar').count() >= 3  # CO-45, CO-50, bad debt PR-2 ...
    assert page.locator('svg[data-chart="by-month"] rect.bar').count() >= 1
    text = page.inner_text("body")
    for value in totals.values():
        assert value in text
    assert "Non-covered service: not deemed a medical necessity" in text  # CO-50 in words
    assert "N115: This decision was based on a Local Coverage Determination" in text  # its RARC in words
    assert requests == [out.resolve().as_uri()]  # nothing fetched
    assert page.screenshot(full_page=True)[:8] == b"\x89PNG\r\n\x1a\n"
    page.close()


def test_the_denial_report_renders(office):
    out = office["tmp"] / "denials.html"
    assert edi("report", "denials", "--format", "html", "--out", out, "--state", office["state"])[0] == 0
    page = open_page(office["browser"], out)
    assert page.locator('svg[data-chart="denials-by-reason"] rect.bar').count() == 2
    assert "Precertification, authorization" in page.inner_text("body")
    page.close()


def test_the_patient_statement_is_plain_words_and_owner_only(office, tmp_path):
    out = tmp_path / "statement.html"
    assert edi("statement", "PCN2002", "--format", "html", "--out", out, "--state", office["state"])[0] == 0
    assert owner_only(out)
    page = open_page(office["browser"], out)
    text = page.inner_text("body")
    assert "JANE DOE" in text and "You owe nothing on this visit." in text
    assert "Discounts your insurance negotiated with us" in text and "$35.00" in text
    assert "Amounts we wrote off" in text and "$80.00" in text
    assert not re.search(r"\b(CO|PR|OA|PI)-\d", text)  # no adjustment code without its meaning
    page.close()
    assert edi("statements", "--out", tmp_path / "batch", "--state", office["state"])[0] == 0
    assert list((tmp_path / "batch").iterdir()) == []  # A's 17 went to bad debt: nobody owes now


def test_a_balance_due_reads_as_what_the_patient_owes_and_why(office, tmp_path):
    state = worked_store(tmp_path, denial=False)
    code, out = edi("statements", "--out", tmp_path / "batch", "--state", state)
    (written,) = [tmp_path / "batch" / name for name in sorted(p.name for p in (tmp_path / "batch").iterdir())]
    assert code == 0 and str(written) in out and owner_only(written)
    page = open_page(office["browser"], written)
    text = page.inner_text("body")
    page.close()
    assert "Amount you owe: $17.00" in text and "your coinsurance" in text
    assert "SECONDARY HEALTH PLAN paid" in text and "$30.00" in text


def test_the_appeal_packet_renders_and_prints(office):
    out = office["tmp"] / "packet"
    code, listed = edi(
        "appeal", "packet", item_id(office["state"], "PCN2002", "197"), "--out", out, "--state", office["state"]
    )
    assert code == 0, listed
    names = sorted(p.name for p in out.iterdir())
    assert names == ["appeal-packet.pdf", "claim-summary.html", "denial-eob.html", "letter.html", "primary-eob.html"]
    assert all(owner_only(out / n) for n in names)
    texts = {}
    for name in names[1:]:
        page = open_page(office["browser"], out / name)
        texts[name] = page.inner_text("body")
        page.close()
    letter = texts["letter.html"]
    assert "SECONDARY HEALTH PLAN" in letter and "member id SEC778899" in letter
    assert "CO-197: Precertification, authorization, notification or pre-treatment absent" in letter
    assert "2024-09-01" in letter  # the deadline
    assert "The primary payer's remittance (EOB)" in letter and "Claim summary" in letter
    assert "check CHK7002" in texts["denial-eob.html"] and "CO-197 90" in texts["denial-eob.html"]
    assert "CO-45 35: Charge exceeds the fee schedule" in texts["primary-eob.html"]
    assert "Remarks" in texts["primary-eob.html"] and "Local Coverage Determination" in texts["primary-eob.html"]
    pdf = (out / "appeal-packet.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 4


def test_a_review_item_has_no_appeal_packet(office):
    code, out = edi("appeal", "packet", 424242, "--out", office["tmp"] / "none", "--state", office["state"])
    assert code == 2 and "no worklist item 424242" in out
