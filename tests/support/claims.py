"""A claim through the API, step by step, as an applicant and the reviewers do it:
register the organisation, create the claim, attach the documents, decide."""

from __future__ import annotations

from tests.support.clients import Api
from tests.support.documents import PDF, cert_fields, make_uscc


def register_org(
    api: Api,
    *,
    serial: int = 1,
    district: str = "650102",
    name: str = "乌鲁木齐天山新材料科技有限公司",
    kind: str = "enterprise",
    bank: bool = True,
) -> int:
    """An organisation registered through the API, with its bank details (confirmed, as
    given at registration) unless ``bank=False``."""
    body = {
        "name": name,
        "uscc": make_uscc(serial, district),
        "kind": kind,
        "district": district,
        "is_sme": True,
    }
    if bank:
        body["bank_account"] = bank_account(name, serial)
    response = api.post("/organizations", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def bank_account(name: str, serial: int = 1) -> dict[str, str]:
    """Valid bank details for an organisation (an 19-digit account, a 12-digit 行号)."""
    return {
        "account_name": name,
        "bank_name": "中国建设银行股份有限公司乌鲁木齐天山支行",
        "account_number": f"6500166{serial:012d}",
        "cnaps_code": "105881000031",
    }


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


def submit_cert_claim(api: Api) -> dict:
    """A cert-subsidy claim by an enterprise in 天山区, submitted and waiting at district level."""
    org = register_org(api)
    app = create_cert_app(api, org)
    attach_required(api, app["id"])
    response = api.post(f"/applications/{app['id']}/submit")
    assert response.status_code == 200, response.content
    return response.json()


def decide(api: Api, app_id: int, decision: str, comment: str = "", **extra):
    body = {"decision": decision, "comment": comment, **extra}
    return api.post(f"/applications/{app_id}/decisions", body)
