"""Faults on the production topology: gunicorn, a Celery worker with beat, PostgreSQL and a
private Redis. A broker outage, a killed worker, a crowd of writers and a stopped database
each lose nothing and answer no 500.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from grants.models import Application, Membership, Organization, User
from grants.outbox import OutboxMessage
from letters.models import Letter
from tests.support import stack
from tests.support.documents import PDF, cert_fields, make_uscc
from tests.support.finance import at_region

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def topology(demo, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the processes share the test database: PostgreSQL")
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    # the processes run the production settings, whose hashers do not read the suite's MD5
    for user in User.objects.filter(username__in=("applicant", "reviewer-region")):
        user.password = PBKDF2PasswordHasher().encode("demo-pass-2026", "faultsalt")
        user.save(update_fields=["password"])
    redis = stack.Redis(tmp_path / "redis")
    redis.start()
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    env = stack.environment(
        redis.url,
        media,
        FUNDFLOW_OUTBOX_SWEEP_SECONDS="5",
        FUNDFLOW_OUTBOX_STALE_SECONDS="30",
        FUNDFLOW_AUDIT_SEAL_SECONDS="5",
    )
    yield redis, env, tmp_path
    if not redis.ping():
        redis.start()
    redis.stop()


def _org(serial: int) -> Organization:
    applicant = User.objects.get(username="applicant")
    org = Organization.objects.create(
        name=f"故障测试{serial}有限公司",
        uscc=make_uscc(serial),
        kind="enterprise",
        district_id="650102",
    )
    Membership.objects.create(user=applicant, organization=org)
    return org


def test_a_broker_outage_answers_200_and_loses_no_letter(topology):
    redis, env, folder = topology
    apps = [at_region(_org(800 + i), f"OUT{i}") for i in range(10)]
    worker = stack.worker(env, folder)
    try:
        with stack.web(env, folder) as url:
            token = stack.token(url, "reviewer-region")
            redis.stop()  # the broker goes away while the region decides
            for app in apps:
                response = requests.post(
                    f"{url}/api/v1/applications/{app.pk}/decisions",
                    json={"decision": "approve"},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60,
                )
                assert response.status_code == 200, response.text
            assert set(
                Application.objects.filter(pk__in=[a.pk for a in apps]).values_list(
                    "status", flat=True
                )
            ) == {"approved"}
            assert (
                OutboxMessage.objects.filter(task="letters.issue", done_at__isnull=True).count()
                == 10
            )
            redis.start()  # back: the beat's sweep hands the waiting letters over
            stack.wait_for(
                lambda: (
                    Letter.objects.filter(
                        application__in=[a.pk for a in apps], status="issued"
                    ).count()
                    == 10
                ),
                90,
                "the 10 letters after the broker's return",
                every=1,
            )
    finally:
        worker.kill(signal.SIGTERM)
    assert set(
        Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("status", flat=True)
    ) == {"awarded"}


def test_a_worker_killed_mid_render_leaves_no_letter_pending_after_the_sweep(topology):
    redis, env, folder = topology
    app = at_region(_org(850), "KILL")
    marker = folder / "rendering.pid"
    hung = stack.Process(
        [sys.executable, "-m", "tests.support.slow_letter_worker", str(marker)],
        env,
        folder / "hung-worker.log",
    )
    try:
        with stack.web(env, folder) as url:
            token = stack.token(url, "reviewer-region")
            response = requests.post(
                f"{url}/api/v1/applications/{app.pk}/decisions",
                json={"decision": "approve"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
            assert response.status_code == 200, response.text
        stack.wait_for(lambda: marker.exists() and marker.read_text(), 90, "the render to start")
        assert Letter.objects.get(application=app).status == "pending"
    finally:
        hung.kill(signal.SIGKILL)  # the whole worker, kill -9: nobody gives the message back
    # the broker would redeliver only after its visibility timeout (an hour); the beat's
    # sweep hands the unfinished message over again once it is stale (30 s here)
    worker = stack.worker(env, folder, name="fresh")
    try:
        stack.wait_for(
            lambda: Letter.objects.filter(application=app, status="issued").exists(),
            120,
            "the letter after the sweep",
            every=1,
        )
    finally:
        worker.kill(signal.SIGTERM)
    letters = list(Letter.objects.filter(application=app))
    assert len(letters) == 1 and letters[0].status == "issued"
    assert not Letter.objects.filter(status="pending").exists()


def _draft(api_user: User, org: Organization, tag: str) -> Application:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from grants.services import application_create, attachment_add

    app = application_create(
        actor=api_user,
        program_code="cert-subsidy",
        organization_id=org.pk,
        fields=cert_fields(f"CROWD-{tag}"),
        cost_lines=[{"kind": "certification_fee", "amount": "30000.00", "reference": "INV"}],
    )
    for kind in ("certificate", "invoice"):
        attachment_add(
            actor=api_user,
            application=app,
            kind=kind,
            upload=SimpleUploadedFile(f"{kind}.pdf", PDF),
        )
    return app


def test_fifty_submits_and_twenty_five_creates_at_once(topology):
    _redis, env, folder = topology
    applicant = User.objects.get(username="applicant")
    org = _org(860)
    drafts = [_draft(applicant, org, f"S{i}") for i in range(50)]
    worker = stack.worker(env, folder, beat=False)
    try:
        with stack.web(env, folder, workers=2, threads=16) as url:
            token = stack.token(url, "applicant")
            headers = {"Authorization": f"Bearer {token}"}

            def submit(app: Application) -> tuple[str, int, int]:
                response = requests.post(
                    f"{url}/api/v1/applications/{app.pk}/submit", headers=headers, timeout=120
                )
                return "submit", app.pk, response.status_code

            def create(i: int) -> tuple[str, int, int]:
                response = requests.post(
                    f"{url}/api/v1/applications",
                    json={
                        "program": "cert-subsidy",
                        "organization": org.pk,
                        "fields": cert_fields(f"CROWD-C{i}"),
                        "cost_lines": [
                            {"kind": "certification_fee", "amount": "1000.00", "reference": "R"}
                        ],
                    },
                    headers=headers,
                    timeout=120,
                )
                body = response.json() if response.status_code == 201 else {}
                return "create", body.get("id", 0), response.status_code

            with ThreadPoolExecutor(max_workers=32) as pool:
                jobs = [pool.submit(submit, app) for app in drafts]
                jobs += [pool.submit(create, i) for i in range(25)]
                results = [job.result() for job in jobs]
    finally:
        worker.kill(signal.SIGTERM)
    statuses = [code for _kind, _pk, code in results]
    assert 500 not in statuses and all(code < 500 for code in statuses), statuses
    for kind, pk, code in results:
        if kind == "submit" and code == 200:
            assert Application.objects.get(pk=pk).status == "in_review"
        if kind == "create" and code == 201:
            assert Application.objects.filter(pk=pk, status="draft").exists()
    # a lost race is retried before it is a 409: nearly everything goes through
    assert sum(code in (200, 201) for code in statuses) >= 60, statuses


def _cluster() -> tuple[str, str] | None:
    if os.geteuid() != 0:
        return None
    listed = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True)
    port = str(connection.settings_dict["PORT"] or 5432)
    for line in listed.stdout.splitlines():
        version, name, cluster_port, *_rest = line.split()
        if cluster_port == port:
            return version, name
    return None


def test_database_stopped_is_503_then_it_recovers(topology):
    cluster = _cluster()
    if cluster is None:
        pytest.skip("needs root and the local PostgreSQL cluster (pg_ctlcluster)")
    _redis, env, folder = topology
    with stack.web(env, folder) as url:
        token = stack.token(url, "applicant")
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.get(url + "/api/v1/ready", timeout=10).status_code == 200
        connection.close()
        subprocess.run(["pg_ctlcluster", *cluster, "stop", "-m", "fast"], check=True)
        try:
            ready = requests.get(url + "/api/v1/ready", timeout=30)
            assert ready.status_code == 503 and int(ready.headers["Retry-After"]) > 0
            assert ready.headers["Content-Type"] == "application/problem+json"
            listing = requests.get(url + "/api/v1/applications", headers=headers, timeout=30)
            assert listing.status_code == 503, listing.text
            # a page that reads the database (the portal would send a visitor with no
            # session to the login page, which needs none): the public letter check
            page = requests.get(url + "/verify/7Q2M-9KX4-H3RT", timeout=30)
            assert page.status_code == 503 and "暂时无法访问" in page.text, page.status_code
        finally:
            subprocess.run(["pg_ctlcluster", *cluster, "start"], check=True)
        stack.wait_for(
            lambda: requests.get(url + "/api/v1/ready", timeout=10).status_code == 200,
            60,
            "the database to be back",
        )
        assert requests.get(url + "/api/v1/applications", headers=headers, timeout=30).ok
    assert Path(folder / "web.log").exists()
