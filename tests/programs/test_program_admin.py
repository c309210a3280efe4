"""The same export, import and clone in the admin, a read-only page showing a whole programme on
one screen, and maker–checker there too: a live programme is read-only and a changed definition
is a draft whose diff a second administrator reads before approving it."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from grants.models import Program, Role, RoleAssignment, User
from programs.models import ProgramVersion
from tests.support.clients import login
from tests.support.personas import ADMIN, APPLICANT
from tests.support.programs import claim, insurance_definition, insurance_fields


def browser(username: str = ADMIN) -> Client:
    client = Client()
    assert client.login(username=username, password="demo-pass-2026")
    return client


def second_admin() -> Client:
    user = User.objects.create_user("admin-2", password="demo-pass-2026", is_staff=True)
    user.is_superuser = True  # the admin site's model permissions; the domain checks the role
    user.save()
    RoleAssignment.objects.create(user=user, role=Role.ADMIN)
    return browser("admin-2")


def test_the_whole_programme_on_one_read_only_screen(demo):
    admin = browser()
    document = login(ADMIN).get("/programs/cert-subsidy/definition").json()
    program = Program.objects.get(code="cert-subsidy")
    listing = admin.get("/admin/grants/program/")
    assert listing.status_code == 200
    assert f"/admin/grants/program/{program.pk}/overview/" in listing.content.decode()
    page = admin.get(f"/admin/grants/program/{program.pk}/overview/")
    assert page.status_code == 200
    text = page.content.decode()
    for f in document["fields"]:
        assert f["label"] in text and f["name"] in text
    for k in document["cost_line_kinds"] + document["attachment_kinds"]:
        assert k["label"] in text
    for table in document["rule_set"]["tables"]:
        assert table["label_zh"] in text
    assert "→".join(document["levels"]) in text.replace(" → ", "→")
    assert "<form" not in text.split('id="content"', 1)[1]  # read-only: nothing to submit
    for other in Program.objects.exclude(pk=program.pk):  # every seeded programme, data ones too
        page = admin.get(f"/admin/grants/program/{other.pk}/overview/")
        assert page.status_code == 200 and other.name in page.content.decode()


def test_export_then_import_in_the_admin_gives_the_same_programme(demo):
    admin = browser()
    program = Program.objects.get(code="service-voucher")
    exported = admin.get(f"/admin/grants/program/{program.pk}/export/")
    assert exported.status_code == 200
    assert exported["Content-Disposition"] == 'attachment; filename="service-voucher.json"'
    document = json.loads(exported.content)
    assert document == login(ADMIN).get("/programs/service-voucher/definition").json()
    document["code"] = "voucher-copy"
    upload = SimpleUploadedFile(
        "voucher-copy.json", json.dumps(document, ensure_ascii=False).encode(), "application/json"
    )
    imported = admin.post("/admin/grants/program/import/", {"file": upload, "note": "复制"})
    assert imported.status_code == 302, imported.content
    copy_ = Program.objects.get(code="voucher-copy")
    assert imported["Location"].endswith(f"/admin/grants/program/{copy_.pk}/overview/")
    assert login(ADMIN).get("/programs/voucher-copy/definition").json() == document


def test_a_wrong_definition_imported_in_the_admin_names_its_path_and_writes_nothing(demo):
    document = insurance_definition("ip-broken-admin", number_prefix="IA")
    document["fields"][2]["type"] = "dropdown"
    before = Program.objects.count()
    page = browser().post(
        "/admin/grants/program/import/", {"text": json.dumps(document, ensure_ascii=False)}
    )
    assert page.status_code == 200
    assert "fields[2].type" in page.content.decode()
    assert Program.objects.count() == before
    not_json = browser().post("/admin/grants/program/import/", {"text": "{oops"})
    assert "JSON" in not_json.content.decode() and Program.objects.count() == before


def test_clone_in_the_admin_gives_next_years_programme_without_budgets(demo):
    source = Program.objects.get(code="cert-subsidy")
    year = source.year + 1
    response = browser().post(
        f"/admin/grants/program/{source.pk}/clone/",
        {
            "code": f"cert-subsidy-{year}",
            "year": year,
            "opens": f"{year}-01-01T00:00:00+06:00",
            "closes": f"{year}-12-31T23:59:59+06:00",
        },
    )
    assert response.status_code == 302, response.content
    clone = Program.objects.get(code=f"cert-subsidy-{year}")
    assert clone.year == year and not clone.budgets.exists()
    assert list(clone.fields.values_list("name", flat=True)) == list(
        source.fields.values_list("name", flat=True)
    )


@pytest.mark.parametrize("approve", [True, False])
def test_a_live_programme_changes_in_the_admin_only_through_an_approved_draft(demo, approve):
    checker = second_admin()
    api = login(ADMIN)
    document = api.post("/programs", insurance_definition()).json()
    claim(
        login(APPLICANT),
        "ip-insurance",
        fields=insurance_fields(),
        cost_lines=[{"kind": "premium", "amount": "20000.00", "reference": "发票"}],
        attachments=["policy", "premium_invoice"],
        serial=7201,
    )
    program = Program.objects.get(code="ip-insurance")
    maker = browser()
    # the ordinary change form no longer edits it
    assert (
        maker.post(f"/admin/grants/program/{program.pk}/change/", {"cap": "1"}).status_code == 403
    )

    changed = copy.deepcopy(document)
    changed["fields"][1]["label"] = "承保保险公司"
    response = maker.post(
        "/admin/grants/program/import/",
        {"text": json.dumps(changed, ensure_ascii=False), "note": "改标签"},
    )
    assert response.status_code == 302, response.content
    draft = ProgramVersion.objects.get(program=program, state="draft")
    page = f"/admin/programs/programversion/{draft.pk}/change/"
    assert response["Location"].endswith(page)
    own = maker.get(page).content.decode()
    assert "fields[1].label" in own and "承保保险公司" in own  # the diff, read before deciding
    assert 'name="approve"' not in own  # not by its author
    maker.post(page, {"approve": "1"})
    assert ProgramVersion.objects.get(pk=draft.pk).state == "draft"

    theirs = checker.get(page).content.decode()
    assert "fields[1].label" in theirs and 'name="approve"' in theirs
    if approve:
        checker.post(page, {"approve": "1"})
        assert ProgramVersion.objects.get(pk=draft.pk).state == "active"
        assert program.fields.get(name="insurer").label == "承保保险公司"
    else:
        checker.post(page, {"reject": "1", "reason": "标签无需修改"})
        assert ProgramVersion.objects.get(pk=draft.pk).state == "rejected"
        assert program.fields.get(name="insurer").label == "承保机构"


def test_a_live_programmes_letter_settings_are_read_only_in_the_admin(demo, applicant):
    from letters.models import ProgramLetterSettings
    from letters.services import letter_settings
    from tests.support.claims import submit_cert_claim

    submit_cert_claim(applicant)
    settings = letter_settings(Program.objects.get(code="cert-subsidy"))
    assert isinstance(settings, ProgramLetterSettings)
    page = f"/admin/letters/programlettersettings/{settings.pk}/change/"
    response = browser().post(page, {"regulation": "别的办法", "issuer_level": "city"})
    assert response.status_code == 403
    assert ProgramLetterSettings.objects.get(pk=settings.pk).regulation != "别的办法"
