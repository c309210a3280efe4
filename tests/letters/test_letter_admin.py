"""Administrators manage letters in the admin: saving a template publishes a new version."""

from django.test import Client

from letters.models import LetterTemplate
from letters.services import template_current


def admin_browser() -> Client:
    browser = Client()
    assert browser.login(username="admin", password="demo-pass-2026")
    return browser


def test_admin_lists_letters_templates_and_batches(demo):
    browser = admin_browser()
    for model in ("letter", "lettertemplate", "reissuebatch"):
        assert browser.get(f"/admin/letters/{model}/").status_code == 200


def test_saving_a_template_in_the_admin_adds_a_version_and_keeps_the_old_one(demo):
    v1 = template_current("voucher")
    browser = admin_browser()
    response = browser.post(
        f"/admin/letters/lettertemplate/{v1.pk}/change/",
        {"kind": "voucher", "note": "改措辞", "body": v1.body.replace("服务券", "服务券（新）")},
    )
    assert response.status_code == 302
    versions = list(LetterTemplate.objects.filter(kind="voucher").order_by("version"))
    assert [t.version for t in versions] == [1, 2]
    assert versions[0].body == v1.body and "服务券（新）" in versions[1].body
