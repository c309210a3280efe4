"""Rendered pages: no URL leaves the page's own host, redirects followed, the reviewer's task."""

from __future__ import annotations

import re

from django.test import Client

from grants.models import User
from tests.support.clients import web
from tests.support.personas import PASSWORD

ATTR = re.compile(r"""\b(?:src|href|action|poster|data)\s*=\s*["']([^"']*)["']""", re.I)
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)""", re.I)


def foreign(html: str) -> list[str]:
    """Every src/href/action/url() of ``html`` that points off the page's own host."""
    urls = ATTR.findall(html) + CSS_URL.findall(html)
    bad = []
    for url in urls:
        u = url.strip().lower()
        if u.startswith("//") or (
            re.match(r"^[a-z][a-z0-9+.-]*:", u)
            and not u.startswith(("http://testserver/", "https://testserver/", "mailto:"))
        ):
            bad.append(url)
    return bad


def page(response) -> str:
    html = response.content.decode()
    assert foreign(html) == []
    return html


def followed(client: Client, response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return page(client.get(response["Location"]))


def stranger(username: str, *, agency: bool = False, serial: int = 990) -> Client:
    """A logged-in user acting for an organisation of their own (another agency if asked)."""
    from tests.support.factories import OrganizationFactory

    user = User.objects.create_user(username, password=PASSWORD)
    OrganizationFactory(
        serial=serial,
        name=f"{username} 有限公司",
        kind="service_agency" if agency else "enterprise",
        district_id="650103",
        is_sme=False,
        members=[user],
    )
    return web(username)


def open_task_id(username: str, app_id: int) -> int:
    """The id of the open review task of application ``app_id`` in ``username``'s inbox."""
    from workflows.selectors import tasks_for

    task = next(
        t
        for t in tasks_for(User.objects.get(username=username))
        if t.process.reviewprocess.application_id == app_id
    )
    return task.pk
