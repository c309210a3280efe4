"""A worker process killed while rendering a letter: the letter is redelivered and issued once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from grants.models import Application, Sequence, User
from letters.models import Letter
from tests.support import ROOT
from tests.support.factories import OrganizationFactory, SubmittedApplicationFactory
from tests.support.personas import APPLICANT
from workflows.lifecycle import decide as decision_record


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_render_leaves_exactly_one_letter(demo, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs the same database: PostgreSQL")
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs the Redis broker")
    from config.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    org = OrganizationFactory(name="崩溃恢复测试有限公司", members=[APPLICANT])
    app_row = SubmittedApplicationFactory(organization=org, fee="30000.00")

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # the letter task must go through Redis to the worker
    app.control.purge()
    marker = tmp_path / "rendering.pid"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "EMAIL_URL": "locmem://",
    }
    worker = None
    try:
        for name in ("reviewer-tianshan", "reviewer-city", "reviewer-region"):
            decision_record(
                application=app_row, actor=User.objects.get(username=name), decision="approve"
            )
        assert Application.objects.get(pk=app_row.pk).status == "approved"
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.support.slow_letter_worker", str(marker)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(lambda: marker.exists() and marker.read_text(), 90, "the render to start")
        child = int(marker.read_text())
        assert child != worker.pid  # the pool process that renders, not the main worker
        pending = Letter.objects.get(application=app_row)
        assert pending.status == "pending"
        os.kill(child, signal.SIGKILL)  # killed mid-render

        wait_for(
            lambda: Letter.objects.filter(application=app_row, status="issued").exists(),
            90,
            "the redelivered letter",
        )
        letters = list(Letter.objects.filter(application=app_row))
        assert len(letters) == 1
        assert letters[0].pk == pending.pk and letters[0].number == pending.number
        assert letters[0].sha256 and Path(letters[0].pdf.path).exists()
        assert Sequence.objects.get(key__startswith="letter:乌知运:").last == 1  # issue 17 series
        assert Application.objects.get(pk=app_row.pk).status == "awarded"
    finally:
        app.conf.task_always_eager = eager
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
