"""Personas and helpers: the demo accounts of the contract, an API client per persona, valid documents."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from stdnum.cn import uscc as stdnum_uscc

from demo.seed import seed_demo

PASSWORD = "demo-pass-2026"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def make_uscc(serial: int, district: str = "650102") -> str:
    """A valid 统一社会信用代码 for an enterprise registered in ``district``."""
    body = f"91{district}MA{serial:07d}"[:17]
    return body + stdnum_uscc.calc_check_digit(body)


@dataclass
class Api:
    """A logged-in API caller (bearer token), speaking JSON."""

    client: Client
    token: str
    username: str

    def _h(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any):
        return self.client.get("/api/v1" + path, params, **self._h())

    def post(self, path: str, body: Any = None):
        data = "" if body is None else json.dumps(body)
        return self.client.post(
            "/api/v1" + path, data, content_type="application/json", **self._h()
        )

    def post_raw(self, path: str, raw: str):
        return self.client.post("/api/v1" + path, raw, content_type="application/json", **self._h())

    def patch(self, path: str, body: Any):
        return self.client.patch(
            "/api/v1" + path, json.dumps(body), content_type="application/json", **self._h()
        )

    def upload(
        self, path: str, name: str, content: bytes, kind: str, content_type: str = "application/pdf"
    ):
        file = SimpleUploadedFile(name, content, content_type=content_type)
        return self.client.post("/api/v1" + path, {"file": file, "kind": kind}, **self._h())


def login(username: str) -> Api:
    client = Client()
    response = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return Api(client, response.json()["token"], username)


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return seed_demo(timezone.localdate().year)


@pytest.fixture
def as_user(demo):
    return login


@pytest.fixture
def applicant(demo) -> Api:
    return login("applicant")


def cert_fields(certificate_number: str = "GB29490-2026-0001") -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "standard": "GB/T 29490",
        "certificate_number": certificate_number,
        "certification_body": "中知（北京）认证有限公司",
        "certified_on": (today - dt.timedelta(days=30)).isoformat(),
        "valid_until": (today + dt.timedelta(days=3 * 365)).isoformat(),
    }


def register_org(
    api: Api,
    *,
    serial: int = 1,
    district: str = "650102",
    name: str = "乌鲁木齐天山新材料科技有限公司",
    kind: str = "enterprise",
) -> int:
    response = api.post(
        "/organizations",
        {
            "name": name,
            "uscc": make_uscc(serial, district),
            "kind": kind,
            "district": district,
            "is_sme": True,
        },
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def create_cert_app(
    api: Api,
    org_id: int,
    *,
    cert_fee: str = "35000.00",
    consulting: str | None = "8000.00",
    certificate_number: str = "GB29490-2026-0001",
) -> dict:
    lines = [{"kind": "certification_fee", "amount": cert_fee, "reference": "发票 No.0001"}]
    if consulting:
        lines.append({"kind": "consulting_fee", "amount": consulting, "reference": "发票 No.0002"})
    response = api.post(
        "/applications",
        {
            "program": "cert-subsidy",
            "organization": org_id,
            "fields": cert_fields(certificate_number),
            "cost_lines": lines,
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def attach_required(api: Api, app_id: int) -> None:
    for kind in ("certificate", "invoice"):
        response = api.upload(f"/applications/{app_id}/attachments", f"{kind}.pdf", PDF, kind)
        assert response.status_code == 201, response.content


@pytest.fixture
def submitted_app(applicant) -> dict:
    """A cert-subsidy claim by an enterprise in 天山区, submitted and waiting at district level."""
    org = register_org(applicant)
    app = create_cert_app(applicant, org)
    attach_required(applicant, app["id"])
    response = applicant.post(f"/applications/{app['id']}/submit")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def scored(applicant) -> list[dict]:
    """Two joint navigation projects scored by their experts: the first ranks higher."""
    from tests.navigation_helpers import scored_projects

    return scored_projects(applicant)
