"""Issue 19: every page of every role (applicant and SME, agency, expert, the three reviewers,
finance, auditor, administrator) in Chromium at 375 px, with demo data in every state
(``tests.support.tour``). The test fails when the document is wider than the viewport (a wide
table must become cards or scroll inside its own box); each page's screenshot goes to
test-artifacts/screenshots/phone-<role>-<n>.png. Table cells squeezed to a character or two
a line (what the inbox, finance and dashboard tables did) fail it too."""

from __future__ import annotations

import re

from tests.support.browser import BROWSER, SHOTS
from tests.support.tour import ANONYMOUS, build_tour

pytestmark = BROWSER

PHONE = {"width": 375, "height": 812}

# table cells whose words stand one or two characters a line (a text of 4+ characters in a cell
# narrower than three characters): the table must scroll in its box or become cards instead
SQUEEZED = """() => [...document.querySelectorAll('td, th')]
    .filter(c => {
        const text = c.innerText.trim();
        const em = parseFloat(getComputedStyle(c).fontSize);
        return text.length >= 4 && c.clientWidth - 12 < 2.5 * em;
    })
    .slice(0, 3).map(c => c.innerText.trim().slice(0, 20))"""


def _name(url: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"


def test_every_page_of_every_role_fits_a_phone(web, browser):
    tour = build_tour()
    failures = []
    for username, urls in tour.pages.items():
        if username == ANONYMOUS:
            context = browser.new_context(viewport=PHONE, locale="zh-CN")
            page = context.new_page()
        else:
            page = web(username)
        page.set_viewport_size(PHONE)
        for n, url in enumerate(urls, 1):
            response = page.goto(f"{web.url}{url}")
            if response is None or response.status != 200:
                failures.append(f"{username} {url}: HTTP {response.status if response else '?'}")
                continue
            page.wait_for_load_state("load")
            shot = SHOTS / f"phone-{_name(username)}-{n:02d}-{_name(url)}.png"
            page.screenshot(path=str(shot), full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"] + 1:
                wide = page.evaluate(
                    """() => [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > innerWidth + 1
                                && !e.closest('.table-wrap, pre, .scroll'))
                        .slice(0, 3)
                        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                                  + (e.className && typeof e.className === 'string'
                                     ? '.' + e.className.trim().split(/\\s+/).join('.') : ''))"""
                )
                failures.append(f"{username} {url}: {width} px wide ({', '.join(wide)})")
            squeezed = page.evaluate(SQUEEZED)
            if squeezed:
                failures.append(
                    f"{username} {url}: table cells squeezed to a character a line: "
                    + "; ".join(squeezed)
                )
    assert not failures, "pages wider than a phone (375 px):\n" + "\n".join(failures)
