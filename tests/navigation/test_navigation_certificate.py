"""Issue 8, "Letters: award letter, and an acceptance certificate at the end": the last milestone
accepted issues the acceptance certificate (验收证书), a letter of its own kind beside the award
letter: own number series, own versions, own download, verifiable as what it is."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.test import Client
from django.utils import translation
from pypdf import PdfReader

from grants.audit import audit_verify
from grants.models import Application, User
from letters.models import Letter, LetterKind, LetterStatus
from letters.services import letter_html, letters_reissue
from letters.tasks import issue_letter
from tests.support.clients import login
from tests.support.letters import pdf_text
from tests.support.navigation import accept_milestone, pay_tranche, scored_projects, signed_off
from tests.support.personas import PASSWORD

LEAD = "产业联盟0"  # scored_projects' first lead, in 天山区
CERTIFICATE = "/navigation/projects/{}/certificate"


def _flat(text: str) -> str:
    return text.replace(" ", "").replace("\n", "")


def _page(username: str, path: str) -> str:
    browser = Client()
    browser.login(username=username, password=PASSWORD)
    response = browser.get(path)
    assert response.status_code == 200
    return response.content.decode()


def _pdf(response) -> bytes:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


@pytest.fixture
def awarded(applicant, django_capture_on_commit_callbacks):
    """A project signed off (award letter issued, contract with three milestones); the clock
    stays past the notice period for the test."""
    project = scored_projects(applicant, (["90"] * 5,))[0]
    with signed_off([project["id"]], django_capture_on_commit_callbacks):
        yield applicant.get(f"/navigation/projects/{project['id']}").json()


def _accept_all(applicant, project: dict, capture) -> None:
    """Milestones 1 and 2 accepted and paid, then the last one accepted (its tranche unpaid)."""
    finance = login("finance")
    milestones = project["contract"]["milestones"]
    for i, milestone in enumerate(milestones):
        accept_milestone(applicant, milestone, capture, report=f"第{i + 1}阶段报告")
        if i < len(milestones) - 1:
            pay_tranche(finance, milestone["tranche"], f"BANK-CERT-{i}")


def test_the_last_milestone_accepted_issues_the_certificate_beside_the_award_letter(
    applicant, awarded, django_capture_on_commit_callbacks
):
    app_id = awarded["id"]
    assert applicant.get(CERTIFICATE.format(app_id)).status_code == 404  # not accepted yet
    award = Letter.objects.get(application_id=app_id)
    assert (award.kind, Application.objects.get(pk=app_id).status) == ("award", "awarded")
    assert "certificate-download" not in _page("applicant", f"/portal/applications/{app_id}/")

    _accept_all(applicant, awarded, django_capture_on_commit_callbacks)

    certificate = Letter.objects.get(application_id=app_id, kind=LetterKind.ACCEPTANCE)
    assert (certificate.status, certificate.version) == (LetterStatus.ISSUED, 1)
    # issue 17: both issued by the city bureau, one series per 代字 and year of issue
    assert re.fullmatch(r"乌知运〔\d{4}〕2号", certificate.number)
    assert re.fullmatch(r"乌知运〔\d{4}〕1号", award.number)
    assert certificate.amount == award.amount
    # the certificate leaves the status alone: still awarded (paid only with the last tranche)
    assert Application.objects.get(pk=app_id).status == "awarded"
    entry = certificate.application.audit_entries.filter(action="letter.issue").last()
    assert entry.data["kind"] == "acceptance" and entry.from_status == entry.to_status

    # idempotent: the task again finds the same letter, no second number
    assert issue_letter.apply(args=(app_id, "acceptance", 1)).get() == certificate.pk
    assert Letter.objects.filter(application_id=app_id, kind=LetterKind.ACCEPTANCE).count() == 1

    data = _pdf(applicant.get(CERTIFICATE.format(app_id)))
    assert hashlib.sha256(data).hexdigest() == certificate.sha256
    text = _flat(pdf_text(data))
    assert LEAD in text and certificate.number in text and "验收" in text
    assert "服务机构0" in text  # the partner agency
    assert "人民币肆拾万元整" in text  # the total award in capitals
    assert "人民币贰拾捌万元整" in text  # two tranches (160,000 + 120,000) paid by then
    assert f"{awarded['number']}-HT" in text  # the contract
    assert (
        len(PdfReader(io.BytesIO(data)).pages) <= 2
    )  # GB/T 9704 (issue 17): a 35 mm head, 22 lines a page

    # the award letter download is still the award letter
    letter = _flat(pdf_text(_pdf(applicant.get(f"/applications/{app_id}/letter"))))
    assert award.number in letter and "立项支持的通知" in letter
    assert certificate.number not in letter

    # download buttons: the applicant's page and the reviewer's application page
    link = f'href="/api/v1/navigation/projects/{app_id}/certificate"'
    assert link in _page("applicant", f"/portal/applications/{app_id}/")
    assert link in _page("reviewer-city", f"/applications/{app_id}/")

    # paying the last tranche is unaffected: the award becomes paid
    pay_tranche(login("finance"), awarded["contract"]["milestones"][-1]["tranche"], "BANK-CERT-2")
    assert Application.objects.get(pk=app_id).status == "paid"
    assert audit_verify().ok


def test_applicant_text_on_the_certificate_stays_escaped(
    applicant, awarded, django_capture_on_commit_callbacks
):
    from grants.models import Organization

    _accept_all(applicant, awarded, django_capture_on_commit_callbacks)
    partner = awarded["partners"][0]["organization"]
    Organization.objects.filter(pk=partner).update(name="<script>alert(1)</script>服务机构")
    html = letter_html(Letter.objects.get(application_id=awarded["id"], kind="acceptance"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;服务机构" in html
    assert "<script>" not in html


def test_reissues_keep_each_kind_to_its_own_chain_and_verification_names_the_kind(
    applicant, awarded, django_capture_on_commit_callbacks
):
    app_id = awarded["id"]
    _accept_all(applicant, awarded, django_capture_on_commit_callbacks)
    admin = User.objects.get(username="admin")
    certificate = Letter.objects.get(application_id=app_id, kind="acceptance")

    with django_capture_on_commit_callbacks(execute=True):
        batch = letters_reissue(actor=admin, reason="通知书模板修正", kind="award")
    assert batch.total == 1
    award_v2 = Letter.objects.get(application_id=app_id, kind="award", version=2)
    assert award_v2.status == "issued"
    assert Letter.objects.get(application_id=app_id, kind="award", version=1).status == (
        "superseded"
    )
    certificate.refresh_from_db()
    assert (certificate.status, certificate.version, certificate.batch_id) == ("issued", 1, None)
    assert not Letter.objects.filter(application_id=app_id, kind="acceptance", version=2).exists()

    with django_capture_on_commit_callbacks(execute=True):
        letters_reissue(actor=admin, reason="证书模板修正", kind="acceptance")
    certificate.refresh_from_db()
    certificate_v2 = Letter.objects.get(application_id=app_id, kind="acceptance", version=2)
    assert certificate.status == "superseded" and certificate_v2.status == "issued"
    assert certificate_v2.number == certificate.number
    assert Letter.objects.get(pk=award_v2.pk).status == "issued"  # untouched by the second batch
    # downloads follow their own chains
    assert applicant.get(f"/applications/{app_id}/letter")["X-Content-SHA256"] == award_v2.sha256
    assert applicant.get(CERTIFICATE.format(app_id))["X-Content-SHA256"] == certificate_v2.sha256

    anonymous = Client()
    with translation.override("en"):
        body = anonymous.get(
            f"/api/v1/letters/verify/{certificate_v2.code}", HTTP_ACCEPT_LANGUAGE="en"
        ).json()
    assert body["valid"] is True and body["number"] == certificate.number
    assert (body["kind"], body["kind_label"]) == ("acceptance", "Acceptance certificate")
    assert body["organization"] == LEAD and body["amount"] == "400000.00"
    page = anonymous.get(f"/verify/{certificate_v2.code}").content.decode()
    assert "验收证书" in page and certificate.number in page
    old = anonymous.get(f"/api/v1/letters/verify/{certificate.code}").json()
    assert old["valid"] is False and old["kind"] == "acceptance"


ALLOWED = ["applicant", "reviewer-tianshan", "reviewer-city", "reviewer-region", "auditor"]
DENIED = ["reviewer-xinshi", "reviewer-midong"]


def test_the_certificate_downloads_for_whoever_sees_the_project_and_is_404_to_others(
    applicant, awarded, django_capture_on_commit_callbacks
):
    app_id = awarded["id"]
    for username in DENIED:  # another district's reviewer: 404 before and after
        assert login(username).get(CERTIFICATE.format(app_id)).status_code == 404
    _accept_all(applicant, awarded, django_capture_on_commit_callbacks)
    for username in ALLOWED:
        assert _pdf(login(username).get(CERTIFICATE.format(app_id))).startswith(b"%PDF-")
    for username in DENIED:
        response = login(username).get(CERTIFICATE.format(app_id))
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
    assert Client().get(f"/api/v1{CERTIFICATE.format(app_id)}").status_code == 401
    assert login("admin").get(CERTIFICATE.format(999999)).status_code == 404
