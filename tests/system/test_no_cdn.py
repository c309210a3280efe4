"""No page needs a CDN: every src/href of the main pages stays on the page's own host."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.support.clients import web
from tests.support.pages import foreign, open_task_id


@pytest.fixture
def pages(submitted_app) -> list[tuple[str, Client, str]]:
    task = open_task_id("reviewer-tianshan", submitted_app["id"])
    anonymous = Client()
    applicant = web("applicant")
    return [
        ("/", anonymous, "anonymous home"),
        ("/login/", anonymous, "login"),
        ("/signup/", anonymous, "sign-up"),
        ("/public/indicators/", anonymous, "public indicators"),
        ("/portal/", applicant, "portal"),
        ("/portal/organizations/new/", applicant, "organisation form"),
        ("/portal/programs/cert-subsidy/apply/", applicant, "claim form"),
        ("/navigation/navigation/apply/", applicant, "joint application form"),
        ("/navigation/notices/", anonymous, "public notices"),
        (f"/portal/applications/{submitted_app['id']}/", applicant, "application page"),
        ("/review/", web("reviewer-tianshan"), "inbox"),
        (f"/review/tasks/{task}/", web("reviewer-tianshan"), "task page"),
        ("/finance/", web("finance"), "finance"),
        ("/finance/disbursements/", web("finance"), "disbursements"),
        ("/dashboard/", web("auditor"), "dashboard"),
        ("/notifications/", applicant, "notifications"),
        ("/api/v1/docs", applicant, "API docs"),
        ("/admin/", web("admin"), "admin"),
    ]


def test_main_pages_reference_only_their_own_host(pages):
    for path, client, name in pages:
        response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        html = response.content.decode()
        assert foreign(html) == [], name


def test_the_checker_catches_a_cdn():
    assert foreign('<script src="https://cdn.jsdelivr.net/npm/chart.js"></script>')
    assert foreign('<link href="//fonts.googleapis.com/css">')
    assert foreign("<style>body{background:url(https://x.example/a.png)}</style>")
    assert foreign('<a href="/api/v1/docs">ok</a><img src="/static/x.png">') == []
