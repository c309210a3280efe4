"""Debian's Chromium driven by Playwright: where it is, how it starts, page screenshots.

Playwright's own browsers cannot be downloaded here: the tests launch /usr/bin/chromium
(Debian package ``chromium``, installed by scripts/setup.sh) and are skipped only when
that binary is missing. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os

import pytest

from tests.support import ROOT

CHROMIUM = os.environ.get("FUNDFLOW_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SHOTS = ROOT / "test-artifacts" / "screenshots"

# every browser test module: pytestmark = BROWSER
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]


def shoot(page, name: str) -> None:
    """A full-page screenshot at desktop width and at 375 px, then back to desktop."""
    page.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 812})
    page.screenshot(path=str(SHOTS / f"{name}-375.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1, f"{name}: the page scrolls sideways at 375 px ({width} px wide)"
    page.set_viewport_size({"width": 1280, "height": 900})
