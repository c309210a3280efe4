"""A rejection issues a refusal notice by the same path; the application stays rejected."""

import re

from grants.models import Application
from letters.models import Letter
from tests.support.letters import pdf_text, reject_at_district


def test_rejection_issues_a_numbered_refusal_notice_with_the_reason(
    as_user, applicant, submitted_app, django_capture_on_commit_callbacks
):
    app_id = submitted_app["id"]
    reject_at_district(as_user, app_id, django_capture_on_commit_callbacks, "证书已过有效期")

    assert Application.objects.get(pk=app_id).status == "rejected"
    letter = Letter.objects.get(application_id=app_id)
    assert letter.kind == "refusal" and letter.amount is None and letter.status == "issued"
    # issue 17: refused by the district, issued in the district bureau's name and series
    assert re.fullmatch(r"天市监〔\d{4}〕1号", letter.number)
    response = applicant.get(f"/applications/{app_id}/letter")
    assert response.status_code == 200
    text = pdf_text(b"".join(response.streaming_content)).replace(" ", "").replace("\n", "")
    assert "不予支持的决定" in text and "证书已过有效期" in text
    assert letter.number in text and "乌鲁木齐天山新材料科技有限公司" in text
