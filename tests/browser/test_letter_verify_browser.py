"""Issue 17: a person verifies a letter on a phone (375 px): by its code, then by uploading
the PDF they hold. Drives Debian's Chromium like tests/test_browser.py."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from letters.models import Letter
from tests.support.letters import approve_all

CHROMIUM = os.environ.get("FUNDFLOW_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]


@pytest.fixture
def phone(live_server):
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # see tests/test_browser.py
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
            )
            context = chromium.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
            context.set_default_timeout(10_000)
            yield context.new_page()
            context.close()
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1, f"the page scrolls sideways at 375 px ({width} px wide)"


def test_a_person_verifies_a_letter_on_a_phone_by_code_and_by_upload(
    phone, live_server, as_user, submitted_app, django_capture_on_commit_callbacks, tmp_path
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    approve_all(as_user, submitted_app["id"], django_capture_on_commit_callbacks)
    letter = Letter.objects.get(application_id=submitted_app["id"])
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(letter.pdf.read())

    phone.goto(f"{live_server.url}/verify/")
    fits(phone)
    phone.fill("#code", "-".join(re.findall("....", letter.code)).lower())  # as read out
    phone.click("form[method=get] button[type=submit]")
    phone.wait_for_url(re.compile(rf"/verify/{letter.code}$"))
    assert letter.number in phone.inner_text("main")
    fits(phone)

    phone.set_input_files("#file", str(pdf))
    with phone.expect_navigation():
        phone.click("form[enctype] button[type=submit]")
    verdict = phone.inner_text("#file-verdict")
    assert letter.number in verdict and "真实有效" in verdict
    fits(phone)
    phone.screenshot(path=str(SHOTS / "letter-verify-375.png"), full_page=True)

    changed = bytearray(pdf.read_bytes())
    changed[len(changed) // 3] ^= 1
    pdf.write_bytes(bytes(changed))
    phone.set_input_files("#file", str(pdf))
    with phone.expect_navigation():
        phone.click("form[enctype] button[type=submit]")
    assert "不真实" in phone.inner_text("#file-verdict")
    fits(phone)
