"""Browser tests: Debian's Chromium driven by Playwright against a live server.

One journey through the web UI, every role: an applicant files a claim with
attachments, three reviewers approve (天山区, city, region), the applicant sees
it approved, finance pays through the finance pages, the auditor exports.
Screenshots of each page at 1280 px and 375 px go to test-artifacts/screenshots/.

Chromium, the fixtures and the screenshots: tests/support/browser.py and
tests/browser/conftest.py.
"""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from grants.models import Application, Status
from tests.support.browser import BROWSER, shoot
from tests.support.documents import PDF, make_uscc

CJK = re.compile(r"[\u4e00-\u9fff]")

pytestmark = BROWSER


def upload(page, kind: str, filename: str) -> None:
    page.select_option("#up-kind", kind)
    page.set_input_files(
        "#up-file", files=[{"name": filename, "mimeType": "application/pdf", "buffer": PDF}]
    )
    with page.expect_navigation():  # the XHR finishes, then the page reloads
        page.click("form[data-upload] button[type=submit]")
    page.wait_for_selector(f"text={filename}")


def test_claim_to_payment_through_the_web(web):
    # --- applicant: organisation, claim, attachments, checks, submit
    page = web("applicant")
    page.goto(f"{web.url}/portal/organizations/new/")
    page.fill("#org-name", "乌鲁木齐天山新材料科技有限公司")
    page.type("#org-uscc", make_uscc(11))
    assert page.get_attribute("#org-uscc", "data-state") == "ok"  # check digit verified as typed
    page.select_option("#org-district", "650102")
    page.check("#org-sme")
    # bank details given at registration count as confirmed: the award can be paid later
    page.fill("#org-bank-account-name", "乌鲁木齐天山新材料科技有限公司")
    page.fill("#org-bank-name", "中国工商银行股份有限公司乌鲁木齐分行")
    page.fill("#org-bank-account-number", "3002 0001 0920 0011 111")
    page.fill("#org-bank-cnaps", "102881000014")
    shoot(page, "01-organisation-form")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{web.url}/portal/")
    shoot(page, "02-portal")

    page.goto(f"{web.url}/portal/programs/cert-subsidy/apply/")
    page.select_option("#f-standard", "GB/T 29490")
    page.fill("#f-certificate_number", "GB29490-2026-0777")
    page.fill("#f-certification_body", "中知（北京）认证有限公司")
    page.fill("#f-certified_on", "2026-10-01")
    page.fill("#f-valid_until", "2029-09-30")
    page.select_option("#c-kind-1", "certification_fee")
    page.fill("#c-amount-1", "35000.00")
    page.fill("#c-ref-1", "发票 No.0001")
    page.click("[data-add-row]")
    rows = page.locator("[data-cost-row]")
    assert rows.count() == 2
    rows.nth(1).locator("select").select_option("consulting_fee")
    rows.nth(1).locator("input[name=cost_amount]").fill("8000.00")
    shoot(page, "03-claim-form")
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"/portal/applications/\d+/$"))
    app = Application.objects.get()
    assert app.cost_lines.count() == 2

    upload(page, "certificate", "证书.pdf")
    upload(page, "invoice", "发票.pdf")
    assert page.inner_text("#preview-award") == "¥35,000.00"
    shoot(page, "04-checks-before-submit")
    page.check("#pledge")  # the integrity pledge, confirmed before submitting
    page.click("section.checks-preview button[type=submit]")
    page.wait_for_selector("#app-status")
    app.refresh_from_db()
    assert app.status == Status.IN_REVIEW
    shoot(page, "05-submitted-timeline")

    # --- three reviewers approve through the task page
    for n, reviewer in enumerate(("reviewer-tianshan", "reviewer-city", "reviewer-region")):
        r = web(reviewer)
        r.goto(f"{web.url}/review/")
        shoot(r, f"{6 + 2 * n:02d}-inbox-{reviewer}")
        r.click(f"text={app.number}")
        r.wait_for_selector("#d-approve")
        r.wait_for_load_state("load")  # the PDF preview frame too
        shoot(r, f"{7 + 2 * n:02d}-task-{reviewer}")
        r.focus("#d-approve")  # keyboard only: a reviewer needs no mouse
        r.keyboard.press("Space")
        assert r.is_checked("#d-approve")
        r.click("form.decision-form button[type=submit]")
        r.wait_for_url(f"{web.url}/review/")
    app.refresh_from_db()
    # approved at the last level; the award letter is issued after commit (in-process in tests)
    assert app.status == Status.AWARDED

    # --- the applicant sees it awarded and downloads the letter
    page.goto(f"{web.url}/portal/applications/{app.pk}/")
    shoot(page, "12-applicant-awarded")
    href = page.get_attribute("#letter-download", "href")
    letter = page.request.get(f"{web.url}{href}")  # with the applicant's browser session
    assert letter.ok and letter.headers["content-type"] == "application/pdf"
    pdf_text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(letter.body())).pages
    ).replace(" ", "")
    assert app.organization.name in pdf_text and "人民币" in pdf_text

    # --- finance pays through the finance pages
    f = web("finance")
    f.goto(f"{web.url}/finance/disbursements/")
    f.check(f"input[name=awards][value='{app.pk}']")
    shoot(f, "13-finance-new-batch")
    f.click("form[action$='/disbursements/new/'] button[type=submit]")
    f.wait_for_url(re.compile(r"/finance/disbursements/\d+/$"))
    f.fill("input[name=reference]", "BANK-2026-0001")
    f.click("form[action$='/paid/'] button[type=submit]")
    f.wait_for_selector(".messages")
    shoot(f, "14-finance-paid")
    app.refresh_from_db()
    assert app.status == Status.PAID

    # --- the auditor exports
    a = web("auditor")
    a.goto(f"{web.url}/finance/")
    shoot(a, "15-auditor-finance")
    with a.expect_download() as download:
        a.click("a[href^='/finance/export.xlsx']")
    assert download.value.suggested_filename.endswith(".xlsx")
    a.goto(f"{web.url}/dashboard/")
    a.wait_for_function("window.Chart !== undefined")
    shoot(a, "16-dashboard")
    row = a.locator("tr[data-indicator='certified-organizations'] td.actual")
    assert row.inner_text() == "1"  # the claim just paid counts toward indicator 8


def test_pages_show_chinese_in_a_cjk_font(web, browser):
    page = web("applicant")
    page.goto(f"{web.url}/portal/")
    text = page.inner_text("body")
    assert CJK.search(text), "the page shows no Chinese"
    page.wait_for_function("document.fonts.status === 'loaded'")
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"')")
    family = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "Noto Sans CJK SC" in family
    # Which font Chromium really drew the heading's glyphs with: a CJK font, not a fallback box.
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    h1 = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": h1})["fonts"]
    assert any(re.search(r"CJK|WenQuanYi|WQY", f["familyName"], re.I) for f in fonts), fonts
    shoot(page, "00-chinese-font")
