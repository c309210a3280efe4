"""The issuing task may run any number of times: one letter per (application, version)."""

from grants.models import Application, Sequence
from letters.models import Letter
from letters.services import letter_reserve
from letters.tasks import issue_letter
from tests.support.letters import approve_all


def test_running_the_task_twice_leaves_one_letter_and_one_number(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    app_id = submitted_app["id"]
    approve_all(as_user, app_id, django_capture_on_commit_callbacks)
    first = Letter.objects.get(application_id=app_id)

    assert issue_letter.apply(args=(app_id, "award", 1)).get() == first.pk
    assert issue_letter.apply(args=(app_id, "award", 1)).get() == first.pk

    assert Letter.objects.filter(application_id=app_id).count() == 1
    again = Letter.objects.get(application_id=app_id)
    assert (again.sha256, again.number, again.pdf.name) == (
        first.sha256,
        first.number,
        first.pdf.name,
    )
    # one series per issuing authority's 机关代字 and year of issue (issue 17)
    assert Sequence.objects.get(key__startswith="letter:乌知运:").last == 1
    assert Application.objects.get(pk=app_id).status == "awarded"


def test_a_pending_letter_is_completed_by_the_next_run_with_its_number(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    """What a worker killed mid-render leaves behind: a numbered, pending letter."""
    from tests.support.claims import decide

    app_id = submitted_app["id"]
    for reviewer in ("reviewer-tianshan", "reviewer-city", "reviewer-region"):
        assert decide(as_user(reviewer), app_id, "approve").status_code == 200  # no task ran
    pending = letter_reserve(application_id=app_id, kind="award")
    assert pending.status == "pending" and Application.objects.get(pk=app_id).status == "approved"

    issue_letter.apply(args=(app_id, "award", 1))

    letter = Letter.objects.get(application_id=app_id)
    assert (letter.pk, letter.number, letter.status) == (pending.pk, pending.number, "issued")
    assert Application.objects.get(pk=app_id).status == "awarded"


def test_a_letter_is_refused_for_an_application_still_in_review(submitted_app):
    assert issue_letter.apply(args=(submitted_app["id"], "award", 1)).get() is None
    assert not Letter.objects.exists()
    assert not Sequence.objects.filter(key__startswith="letter:").exists()


def test_a_task_for_an_application_that_no_longer_exists_is_dropped_not_retried(db):
    result = issue_letter.apply(args=(987654, "award", 1))
    assert result.successful() and result.get() is None
    assert not Letter.objects.exists()
