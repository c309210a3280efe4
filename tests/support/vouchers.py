"""Helpers for voucher tests: SMEs registered in bulk, the example issuing sheet, a redeemed voucher."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook

from grants.models import Organization, User
from grants.services import organization_register
from tests.support.clients import Api
from tests.support.documents import PDF, make_uscc

DISTRICTS = ["650102", "650103", "650104", "650105", "650106", "650107", "650109", "650121"]
HEADERS = ["统一社会信用代码", "单位名称", "区划代码"]


def register_smes(
    count: int, *, start: int = 1000, owner: str = "applicant", **extra
) -> list[Organization]:
    """``count`` SMEs spread over the districts, all acted for by ``owner`` (same service as the API)."""
    user = User.objects.get(username=owner)
    orgs = []
    for i in range(count):
        district = DISTRICTS[i % len(DISTRICTS)]
        orgs.append(
            organization_register(
                actor=user,
                name=f"乌鲁木齐第{start + i}号科技有限公司",
                uscc=make_uscc(start + i, district),
                kind=extra.get("kind", "enterprise"),
                district=district,
                is_sme=extra.get("is_sme", True),
                legal_representative=extra.get("legal_representative", f"法人{start + i}"),
                phone=extra.get("phone", f"0991-{start + i:07d}"),
                address=extra.get("address", f"乌鲁木齐市某路 {start + i} 号"),
            )
        )
    return orgs


def voucher_sheet(rows: list[tuple[str, str, str]]) -> bytes:
    """The example issuing sheet: headers 统一社会信用代码, 单位名称, 区划代码, then one SME a row."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "服务券发放名单"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rows_for(orgs: list[Organization]) -> list[tuple[str, str, str]]:
    return [(o.uscc, o.name, o.district_id) for o in orgs]


def upload_sheet(api: Api, content: bytes, program: str = "service-voucher"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile(
        "vouchers.xlsx",
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return api.client.post("/api/v1/vouchers/bulk", {"file": file, "program": program}, **api._h())


def issue(admin: Api, org: Organization) -> dict:
    response = admin.post("/vouchers", {"program": "service-voucher", "organization": org.pk})
    assert response.status_code == 201, response.content
    return response.json()


def demo_agency_id(api: Api) -> int:
    response = api.get("/agencies", status="admitted")
    assert response.status_code == 200, response.content
    return next(a["id"] for a in response.json()["results"] if a["name"].startswith("乌鲁木齐天山"))


def redeem(
    sme: Api, voucher_id: int, agency_id: int, *, service: str = "custody", price: str = "9000.00"
):
    return sme.post(
        f"/vouchers/{voucher_id}/redeem",
        {
            "agency": agency_id,
            "service": service,
            "contract_number": f"HT-{voucher_id}",
            "contract_date": timezone.localdate().isoformat(),
            "contract_price": price,
        },
    )


def file_claim(agency: Api, voucher_id: int, amount: str = "8000.00") -> dict:
    response = agency.post(f"/vouchers/{voucher_id}/claim", {"amount": amount})
    assert response.status_code == 201, response.content
    claim = response.json()
    for kind in ("contract", "delivery_proof"):
        up = agency.upload(f"/applications/{claim['id']}/attachments", f"{kind}.pdf", PDF, kind)
        assert up.status_code == 201, up.content
    return claim


FACE = Decimal("10000.00")
