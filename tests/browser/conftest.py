"""Fixtures of the browser tests: one Chromium per module, a logged-in page per persona."""

from __future__ import annotations

import os
import re

import pytest

from tests.support.browser import ARGS, CHROMIUM, SHOTS
from tests.support.personas import PASSWORD


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; Django then refuses
    # ORM calls here (database set-up, flush, the test's own checks), which are synchronous
    # and safe. Allowed for the browser tests only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def web(browser, live_server, demo):
    """A function that opens a logged-in page for a user (each user in their own context)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    contexts = []

    def open_as(username: str):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        # Headless Chromium's PDF viewer, loaded in the task page's preview frames, intermittently
        # swallows the next click or key press; the frames get a stand-in (the viewer is Chrome's).
        context.route(
            re.compile(r"/review/applications/\d+/attachments/\d+/view/$"),
            lambda route: route.fulfill(status=200, content_type="text/plain", body="PDF"),
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r"^(?!.*/login/)"))
        return page

    open_as.url = live_server.url
    yield open_as
    for context in contexts:
        context.close()
