"""Approval at the last level issues the award letter after commit; the application becomes awarded."""

import re

from grants.audit import audit_verify
from grants.models import Application
from letters.models import Letter, LetterStatus
from tests.support.letters import approve_all, pdf_text


def test_region_approval_issues_a_letter_and_the_application_is_awarded(
    as_user, applicant, submitted_app, django_capture_on_commit_callbacks
):
    app_id = submitted_app["id"]
    approve_all(as_user, app_id, django_capture_on_commit_callbacks)

    app = Application.objects.get(pk=app_id)
    assert app.status == "awarded"
    letter = Letter.objects.get(application=app)
    assert letter.status == LetterStatus.ISSUED and letter.version == 1
    # issue 17: the city bureau's 代字, the year of issue, a serial without padding
    assert re.fullmatch(r"乌知运〔\d{4}〕1号", letter.number)
    assert len(letter.code) == 24  # 120 random bits in Crockford base32
    assert letter.size < 100 * 1024

    response = applicant.get(f"/applications/{app_id}/letter")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    import hashlib

    assert hashlib.sha256(data).hexdigest() == letter.sha256
    text = pdf_text(data).replace(" ", "").replace("\n", "")
    assert "乌鲁木齐天山新材料科技有限公司" in text
    assert letter.number in text
    assert "人民币叁万伍仟元整" in text  # award 35000.00 in capitals
    assert "35,000.00" in text
    assert audit_verify().ok
    actions = [e.action for e in app.audit_entries.order_by("id")][-3:]
    assert actions == ["application.approved", "letter.number", "letter.issue"]


def test_a_rare_name_character_outside_gb2312_is_still_drawn(
    as_user, applicant, submitted_app, django_capture_on_commit_callbacks
):
    from grants.models import Organization

    Organization.objects.filter(pk=submitted_app["organization"]).update(
        name="乌鲁木齐堃䶮科技有限公司"
    )
    approve_all(as_user, submitted_app["id"], django_capture_on_commit_callbacks)
    letter = Letter.objects.get(application_id=submitted_app["id"])
    text = pdf_text(letter.pdf.read())
    assert "乌鲁木齐堃䶮科技有限公司" in text.replace(" ", "")
