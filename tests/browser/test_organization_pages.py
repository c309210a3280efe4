"""The organisation pages in Chromium, keyboard only where a person decides: an applicant's
colleague asks to join, the administrator approves on the organisation's page; the
district reviewer's check page. Each page at 1280 px and at 375 px without sideways scroll."""

from __future__ import annotations

from grants.models import Membership, Organization
from tests.support.browser import BROWSER, shoot
from tests.support.documents import make_uscc
from tests.support.factories import OrganizationFactory

pytestmark = BROWSER


def test_join_request_approved_on_the_organisation_page(web):
    org = OrganizationFactory(
        serial=8801, name="乌鲁木齐天山浏览器测试有限公司", members=["applicant"]
    )
    # the demo agency's user asks to join (an applicant who does not act for it)
    page = web("agency")
    page.goto(f"{web.url}/portal/organizations/join/")
    page.fill("#join-uscc", make_uscc(8801))
    page.fill("#join-message", "我是财务部的经办人")
    shoot(page, "20-organisation-join")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{web.url}/portal/")

    admin = web("applicant")
    admin.goto(f"{web.url}/portal/organizations/{org.pk}/")
    shoot(admin, "21-organisation-page")
    approve = admin.locator("form[action$='/approve/'] button.primary")
    approve.focus()
    admin.keyboard.press("Enter")
    admin.wait_for_selector("text=服务机构经办人")
    assert Membership.objects.get(user__username="agency", organization=org).role == "staff"

    reviewer = web("reviewer-tianshan")
    reviewer.goto(f"{web.url}/review/organizations/{org.pk}/")
    shoot(reviewer, "22-organisation-check")
    assert Organization.objects.filter(pk=org.pk).exists()
