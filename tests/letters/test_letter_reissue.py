"""An administrator re-issues letters as new versions with the current template."""

import pytest
from django.core.management import call_command

from grants.errors import Forbidden
from grants.models import User
from letters.models import Letter, LetterTemplate
from letters.services import letters_reissue, template_current, template_publish
from tests.support.letters import approve_all, pdf_text


def test_reissue_after_a_template_fix_makes_version_2_and_supersedes_version_1(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    app_id = submitted_app["id"]
    approve_all(as_user, app_id, django_capture_on_commit_callbacks)
    admin = User.objects.get(username="admin")
    v1 = Letter.objects.get(application_id=app_id)
    old_template = template_current("certification")
    template_publish(
        actor=admin,
        kind="certification",
        body=old_template.body.replace("现决定给予你单位奖励资金", "现决定给予你单位专项奖励资金"),
        note="wording",
    )

    with django_capture_on_commit_callbacks(execute=True):
        batch = letters_reissue(actor=admin, reason="模板措辞修正")

    assert (batch.total, batch.done, batch.percent) == (1, 1, 100)
    v1.refresh_from_db()
    v2 = Letter.objects.get(application_id=app_id, version=2)
    assert v1.status == "superseded" and v2.status == "issued"
    assert v2.number == v1.number and v2.code != v1.code and v2.batch == batch
    wording = "现决定给予你单位专项奖励资金"
    assert wording in "".join(pdf_text(v2.pdf.read()).split())
    assert wording not in "".join(pdf_text(v1.pdf.read()).split())
    assert LetterTemplate.objects.filter(kind="certification").count() == 2
    client = as_user("applicant")
    assert client.get(f"/letters/verify/{v1.code}").json()["valid"] is False
    assert client.get(f"/letters/verify/{v2.code}").json()["valid"] is True


def test_reissue_command_prints_progress_until_the_workers_are_done(
    as_user, submitted_app, django_capture_on_commit_callbacks, capsys, monkeypatch
):
    from django.db import connection

    from letters.management.commands import letters_reissue as command

    approve_all(as_user, submitted_app["id"], django_capture_on_commit_callbacks)
    start = len(connection.run_on_commit)

    def workers_run(seconds):  # the command polls; its sleep stands for the workers' work
        pending = connection.run_on_commit[start:]
        del connection.run_on_commit[start:]
        for _savepoints, job, _robust in pending:
            job()

    monkeypatch.setattr(command.time, "sleep", workers_run)
    call_command(
        "letters_reissue", "--reason", "测试", "--program", "cert-subsidy", "--timeout", "30"
    )
    out = capsys.readouterr().out
    assert "1 letter(s) enqueued" in out and "0/1" in out and "1/1" in out


def test_reissue_page_shows_a_progress_bar(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    from django.test import Client

    approve_all(as_user, submitted_app["id"], django_capture_on_commit_callbacks)
    browser = Client()
    browser.login(username="admin", password="demo-pass-2026")
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            "/letters/reissue/", {"reason": "页面测试", "program": "", "kind": ""}
        )
    assert response.status_code == 302
    page = browser.get(response["Location"]).content.decode()
    assert '<progress id="progress" max="1" value="1">' in page


def test_only_administrators_reissue(demo):
    with pytest.raises(Forbidden):
        letters_reissue(actor=User.objects.get(username="finance"), reason="x")
