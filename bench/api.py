"""api.submit_ms: one application submit through the HTTP API; baseline api.health_ms (no database).

Requests go through Django's full WSGI handler and middleware in-process
(django.test.Client): network and gunicorn are excluded, so the figures are
the application's own cost.
"""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from bench.common import Figure, median_ms
from demo.seed import seed_demo
from grants.models import Membership, Organization, User
from grants.services import application_create, attachment_add

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
FIELDS = {
    "standard": "GB/T 29490",
    "certificate_number": "BENCH",
    "certification_body": "中知（北京）认证有限公司",
    "certified_on": "2026-01-10",
    "valid_until": "2029-01-09",
}


def run(repeat: int = 60) -> list[Figure]:
    from django.utils import timezone
    from stdnum.cn import uscc

    seed_demo(timezone.localdate().year)
    user = User.objects.get(username="applicant")
    body = "91650102MA0099999"
    org = Organization.objects.create(
        name="基准测试有限公司",
        uscc=body + uscc.calc_check_digit(body),
        kind="enterprise",
        district_id="650102",
    )
    Membership.objects.create(user=user, organization=org)
    total = repeat + 5
    apps = []
    for i in range(total):
        app = application_create(
            actor=user,
            program_code="cert-subsidy",
            organization_id=org.pk,
            fields=FIELDS | {"certificate_number": f"BENCH-{i}"},
            cost_lines=[
                {"kind": "certification_fee", "amount": "35000.00", "reference": f"INV-{i}"}
            ],
        )
        for kind in ("certificate", "invoice"):
            attachment_add(
                actor=user,
                application=app,
                kind=kind,
                upload=SimpleUploadedFile(f"{kind}.pdf", PDF),
            )
        apps.append(app.pk)

    client = Client()
    token = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": "applicant", "password": "demo-pass-2026"}),
        content_type="application/json",
    ).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def noop(i: int) -> None:
        assert client.get("/bench/noop").status_code == 200

    def health(i: int) -> None:
        assert client.get("/api/v1/health").status_code == 200

    def submit(i: int) -> None:
        response = client.post(f"/api/v1/applications/{apps[i]}/submit", **auth)
        assert response.status_code == 200, response.content

    floor = median_ms(noop, repeat * 3)
    health_ms = median_ms(health, repeat * 3)
    submit_ms = median_ms(submit, repeat)
    return [
        Figure(
            "api.health_ms",
            health_ms,
            "ms",
            floor,
            f"median of {repeat * 3} GET /api/v1/health; baseline: a plain Django view through the same middleware",
        ),
        Figure(
            "api.submit_ms",
            submit_ms,
            "ms",
            health_ms,
            f"median of {repeat} POST /api/v1/applications/{{id}}/submit (rules, audit, 2 attachments); "
            "baseline: api.health_ms in the same run",
        ),
    ]
