"""Applicants hear of return, rejection and approval; reviewers of new work; in their own language."""

from django.core import mail

from grants.models import Notification, User
from tests.support.claims import attach_required, create_cert_app, decide, register_org


def submit(applicant, capture) -> dict:
    app = create_cert_app(applicant, register_org(applicant))
    attach_required(applicant, app["id"])
    with capture(execute=True):
        response = applicant.post(f"/applications/{app['id']}/submit")
    return response.json()


def test_reviewers_of_the_first_level_are_told_of_new_work(
    applicant, django_capture_on_commit_callbacks
):
    app = submit(applicant, django_capture_on_commit_callbacks)
    note = Notification.objects.get(kind="new_task")
    assert note.user.username == "reviewer-tianshan"
    assert app["number"] in note.subject
    assert [m.to for m in mail.outbox] == [["reviewer-tianshan@demo.fundflow.invalid"]]


def test_applicant_is_told_of_a_return_with_the_comment(
    as_user, applicant, django_capture_on_commit_callbacks
):
    app = submit(applicant, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decide(as_user("reviewer-tianshan"), app["id"], "return", "发票金额与合同不符")
    note = Notification.objects.get(kind="returned", user__username="applicant")
    assert "发票金额与合同不符" in note.body
    assert mail.outbox[0].to == ["applicant@demo.fundflow.invalid"]
    listed = applicant.get("/notifications").json()
    assert listed["results"][0]["kind"] == "returned" and listed["results"][0]["read"] is False
    assert applicant.post("/notifications/read").json()["marked"] >= 1
    assert applicant.get("/notifications", unread="true").json()["count"] == 0


def test_english_speaking_applicant_gets_english(
    as_user, applicant, django_capture_on_commit_callbacks
):
    User.objects.filter(username="applicant").update(language="en")
    app = submit(applicant, django_capture_on_commit_callbacks)
    decide(as_user("reviewer-tianshan"), app["id"], "reject", "Not certified by an accredited body")
    note = Notification.objects.get(kind="rejected")
    assert note.subject == f"Application {app['number']} rejected"


def test_approval_notifies_the_applicant_and_each_next_level(
    as_user, applicant, django_capture_on_commit_callbacks
):
    app = submit(applicant, django_capture_on_commit_callbacks)
    decide(as_user("reviewer-tianshan"), app["id"], "approve")
    assert Notification.objects.filter(kind="new_task", user__username="reviewer-city").count() == 1
    decide(as_user("reviewer-city"), app["id"], "approve")
    decide(as_user("reviewer-region"), app["id"], "approve")
    approved = Notification.objects.get(kind="approved")
    assert approved.user.username == "applicant" and "¥35,000.00" in approved.body
