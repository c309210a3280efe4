"""The reviewer's web pages: inbox, task page with the decision form, notifications, nav counts."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory
from viewflow.workflow.models import Task

from grants.models import Application, Jurisdiction, User
from grants.notifications import Notification
from grants.reviewers import reviewer_appoint
from tests.support.clients import web
from tests.support.pages import open_task_id
from tests.support.personas import PASSWORD
from workflows.context_processors import nav_counts


def test_inbox_lists_the_task_for_the_district_reviewer_only(submitted_app):
    response = web("reviewer-tianshan").get("/review/")
    assert response.status_code == 200
    assert submitted_app["number"] in response.content.decode()
    [row] = response.context["rows"]
    assert row["app"].pk == submitted_app["id"]
    assert response.context["summary"][0]["count"] == 1
    assert f'href="/review/tasks/{row["task"].pk}/"' in response.content.decode()

    other = web("reviewer-xinshi").get("/review/")
    assert other.status_code == 200
    assert submitted_app["number"] not in other.content.decode()
    assert other.context["rows"] == []


def test_inbox_filters_by_programme_and_overdue(submitted_app):
    client = web("reviewer-tianshan")
    assert len(client.get("/review/", {"program": "cert-subsidy"}).context["rows"]) == 1
    assert client.get("/review/", {"program": "no-such-programme"}).context["rows"] == []
    assert client.get("/review/", {"overdue": "1"}).context["rows"] == []  # deadline is days away


def test_overdue_tasks_come_first_with_a_badge(submitted_app, applicant):
    from tests.support.claims import attach_required, create_cert_app, register_org

    org = register_org(applicant, serial=3, name="乌鲁木齐天山第三科技有限公司")
    later = create_cert_app(applicant, org, certificate_number="GB29490-2026-0201")
    attach_required(applicant, later["id"])
    assert applicant.post(f"/applications/{later['id']}/submit").status_code == 200
    task = Task.objects.get(pk=open_task_id("reviewer-tianshan", later["id"]))
    task.data["overdue"] = True
    task.save(update_fields=["data"])

    client = web("reviewer-tianshan")
    response = client.get("/review/")
    rows = response.context["rows"]
    assert [r["app"].pk for r in rows] == [later["id"], submitted_app["id"]]
    assert rows[0]["overdue"] and not rows[1]["overdue"]
    assert 'class="is-overdue"' in response.content.decode()
    assert response.context["total_overdue"] == 1
    assert [r["app"].pk for r in client.get("/review/", {"overdue": "1"}).context["rows"]] == [
        later["id"]
    ]


def test_inbox_query_count_does_not_grow_per_row(
    submitted_app, applicant, django_assert_max_num_queries
):
    from tests.support.claims import attach_required, create_cert_app, register_org

    org = register_org(applicant, serial=2, name="乌鲁木齐天山第二科技有限公司")
    for n in range(3):
        app = create_cert_app(applicant, org, certificate_number=f"GB29490-2026-01{n:02d}")
        attach_required(applicant, app["id"])
        assert applicant.post(f"/applications/{app['id']}/submit").status_code == 200
    client = web("reviewer-tianshan")
    client.get("/review/")  # warm the session
    # session, user, jurisdictions, roles; the counts per programme (one GROUP BY), one page
    # of tasks, their checks, the navigation block, the bar's counts: the same for 4 or 5,000
    with django_assert_max_num_queries(9):
        response = client.get("/review/")
    assert len(response.context["rows"]) == 4


def test_approve_on_the_task_page_moves_to_city_and_leaves_the_inbox(submitted_app):
    client = web("reviewer-tianshan")
    task_id = open_task_id("reviewer-tianshan", submitted_app["id"])
    page = client.get(f"/review/tasks/{task_id}/")
    assert page.status_code == 200
    assert page.context["can_decide"] is True
    html = page.content.decode()
    assert 'name="decision" value="approve"' in html and f'name="task" value="{task_id}"' in html
    assert "<iframe" in html  # the PDF attachments are shown inline

    response = client.post(
        f"/review/tasks/{task_id}/", {"decision": "approve", "comment": "", "task": task_id}
    )
    assert response.status_code == 302 and response.url == "/review/"
    app = Application.objects.get(pk=submitted_app["id"])
    assert app.level == "city" and app.status == "in_review"
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert submitted_app["number"] in message

    inbox = client.get("/review/")
    assert inbox.context["rows"] == []
    assert (
        submitted_app["number"] not in client.get("/review/").content.decode()
    )  # message shown once
    # now the city reviewer has it
    assert submitted_app["number"] in web("reviewer-city").get("/review/").content.decode()


def test_return_without_comment_is_refused_and_typed_text_is_kept(submitted_app):
    client = web("reviewer-tianshan")
    task_id = open_task_id("reviewer-tianshan", submitted_app["id"])

    response = client.post(
        f"/review/tasks/{task_id}/", {"decision": "return", "comment": "  ", "task": task_id}
    )
    assert response.status_code == 200
    assert "comment" in response.context["errors"]
    assert response.context["error_message"]
    assert Application.objects.get(pk=submitted_app["id"]).status == "in_review"

    typed = "请补充2025年度审核发票的复印件。"
    response = client.post(
        f"/review/tasks/{task_id}/", {"decision": "", "comment": typed, "task": task_id}
    )
    assert response.status_code == 200
    assert "decision" in response.context["errors"]
    assert typed in response.content.decode()
    assert response.context["can_decide"] is True
    assert Application.objects.get(pk=submitted_app["id"]).status == "in_review"

    response = client.post(
        f"/review/tasks/{task_id}/", {"decision": "return", "comment": typed, "task": task_id}
    )
    assert response.status_code == 302
    assert Application.objects.get(pk=submitted_app["id"]).status == "returned"


def test_stale_task_shows_a_conflict_not_a_500(submitted_app):
    second = User.objects.create_user(
        "reviewer-tianshan-2", password=PASSWORD, display_name="天山区初审二"
    )
    reviewer_appoint(user=second, jurisdiction=Jurisdiction.objects.get(code="650102"))
    task_id = open_task_id("reviewer-tianshan", submitted_app["id"])
    mine = web("reviewer-tianshan")
    assert mine.get(f"/review/tasks/{task_id}/").context["can_decide"] is True

    theirs = web("reviewer-tianshan-2")
    assert (
        theirs.post(
            f"/review/tasks/{task_id}/", {"decision": "approve", "task": task_id}
        ).status_code
        == 302
    )

    typed = "证书有效期核对无误。"
    response = mine.post(
        f"/review/tasks/{task_id}/", {"decision": "reject", "comment": typed, "task": task_id}
    )
    assert response.status_code == 409
    assert response.context["error_message"]
    assert response.context["can_decide"] is False
    assert typed in response.content.decode()  # nothing the reviewer typed is lost
    app = Application.objects.get(pk=submitted_app["id"])
    assert app.level == "city" and app.status == "in_review"


def test_task_page_visibility(submitted_app):
    task_id = open_task_id("reviewer-tianshan", submitted_app["id"])
    assert web("reviewer-xinshi").get(f"/review/tasks/{task_id}/").status_code == 404
    city = web("reviewer-city").get(f"/review/tasks/{task_id}/")
    assert city.status_code == 200 and city.context["can_decide"] is False
    assert 'name="decision"' not in city.content.decode()
    assert web("reviewer-tianshan").get("/review/tasks/999999/").status_code == 404


def test_attachment_preview_is_inline_and_same_origin_only(submitted_app):
    att = submitted_app["attachments"][0]
    url = f"/review/applications/{submitted_app['id']}/attachments/{att['id']}/view/"
    response = web("reviewer-tianshan").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert web("reviewer-xinshi").get(url).status_code == 404


def test_applicant_has_no_review_inbox(submitted_app):
    response = web("applicant").get("/review/")
    assert response.status_code in (403, 404)
    assert Client().get("/review/").status_code == 302  # anonymous: to the login page


def test_notifications_list_new_task_and_mark_read(submitted_app):
    client = web("reviewer-tianshan")
    note = Notification.objects.get(user__username="reviewer-tianshan", kind="new_task")
    response = client.get("/notifications/")
    assert response.status_code == 200
    html = response.content.decode()
    assert note.subject in html and submitted_app["number"] in html
    assert 'class="unread"' in html
    assert response.context["nav_unread_count"] == 1

    assert client.post("/notifications/read/").status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'class="unread"' not in client.get("/notifications/").content.decode()
    assert client.get("/notifications/read/").status_code == 405


def test_nav_counts_are_cheap(submitted_app, django_assert_max_num_queries):
    from grants.selectors import reviewer_jurisdictions, user_roles

    request = RequestFactory().get("/")
    request.user = User.objects.get(username="reviewer-tianshan")
    # The view has nearly always asked who the user is already (cached on the user per request):
    # then both counts cost one query.
    reviewer_jurisdictions(request.user), user_roles(request.user)
    with django_assert_max_num_queries(1):
        context = nav_counts(request)
        assert context["nav_task_count"] == 1
        assert context["nav_unread_count"] == 1
        assert context["nav_is_reviewer"]
    # Cold: the per-user role look-ups that tasks_for() makes, plus the one count query.
    request.user = User.objects.get(username="reviewer-tianshan")
    with django_assert_max_num_queries(3):
        assert nav_counts(request)["nav_task_count"] == 1

    request.user = User.objects.get(username="applicant")
    with django_assert_max_num_queries(2):
        context = nav_counts(request)
        assert context["nav_task_count"] == 0 and not context["nav_is_reviewer"]

    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    with django_assert_max_num_queries(0):
        assert nav_counts(request)["nav_task_count"] == 0

    html = web("reviewer-tianshan").get("/").content.decode()
    assert 'href="/review/"' in html and 'href="/notifications/"' in html
    assert 'href="/review/"' not in web("applicant").get("/").content.decode()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_inbox_renders_in_both_languages(submitted_app, language):
    client = web("reviewer-tianshan")
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    response = client.get("/review/")
    assert response.status_code == 200
    assert f'lang="{language}"' in response.content.decode()


def test_the_inbox_shows_one_page_with_the_counts_of_all(
    demo, django_assert_max_num_queries, settings, tmp_path
):
    """60 open tasks: the page lists 50 (overdue first), the counts say 60, the queries stay
    those of four; the next page lists the other 10."""
    from tests.support.factories import OrganizationFactory, SubmittedApplicationFactory
    from tests.support.personas import APPLICANT

    org = OrganizationFactory(name="分页测试有限公司", members=[APPLICANT])
    for i in range(60):
        SubmittedApplicationFactory(organization=org, tag=f"PAGE-{i}", fee="1000.00")
    client = web("reviewer-tianshan")
    client.get("/review/")
    with django_assert_max_num_queries(9):
        first = client.get("/review/")
    assert first.context["total"] == 60 and len(first.context["rows"]) == 50
    assert first.context["pages"] == 2 and 'rel="next"' in first.content.decode()
    second = client.get("/review/", {"page": 2})
    assert len(second.context["rows"]) == 10
    seen = {r["task"].pk for r in first.context["rows"]} | {
        r["task"].pk for r in second.context["rows"]
    }
    assert len(seen) == 60
    assert client.get("/review/", {"page": "x"}).status_code == 200  # a bad page is page 1
