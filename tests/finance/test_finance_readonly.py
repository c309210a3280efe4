"""Auditors read everything and change nothing; finance pages work for finance officers."""

import io

from django.test import Client
from openpyxl import load_workbook

from finance.models import Budget, DisbursementBatch, LedgerEntry
from grants.audit import AuditEntry
from grants.models import User
from tests.support.claims import decide
from tests.support.finance import at_region, finance_org

MONEY_WRITES = [
    ("/budgets", {"program": "cert-subsidy", "amount": "1000.00", "source": "city", "reason": "x"}),
    ("/disbursements", {"awards": []}),
]


def snapshot():
    return (
        LedgerEntry.objects.count(),
        DisbursementBatch.objects.count(),
        AuditEntry.objects.count(),
        list(Budget.objects.values_list("allocated", "committed", "paid")),
    )


def paid_batch(as_user):
    app = at_region(finance_org(), "RO1")
    assert decide(as_user("reviewer-region"), app.pk, "approve").status_code == 200
    other = at_region(finance_org(), "RO2")
    assert decide(as_user("reviewer-region"), other.pk, "approve").status_code == 200
    finance = as_user("finance")
    batch = finance.post("/disbursements", {"awards": [app.pk]}).json()
    return app, other, batch


def test_auditor_is_refused_every_api_write(as_user):
    app, other, batch = paid_batch(as_user)
    auditor = as_user("auditor")
    before = snapshot()
    writes = MONEY_WRITES + [
        ("/disbursements", {"awards": [other.pk]}),
        (f"/disbursements/{batch['id']}/paid", {"reference": "AUD-1"}),
        (f"/disbursements/{batch['id']}/cancel", {"reason": "审计"}),
        (f"/applications/{other.pk}/decisions", {"decision": "approve"}),
    ]
    for path, body in writes:
        response = auditor.post(path, body)
        assert response.status_code == 403, (path, response.content)
    # every other write endpoint of the API refuses the auditor too
    from config.api import api

    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method in set(operations) & {"post", "put", "patch", "delete"}:
            if path.endswith(("/auth/token", "/notifications/read")):
                continue  # logging in and marking one's own notifications read change no records
            url = path.replace("/api/v1", "").format(
                application_id=other.pk,
                batch_id=batch["id"],
                attachment_id=1,
                code="x",
                agency_id=1,
                voucher_id=1,
                project_id=other.pk,
                organization_id=1,
                org_id=1,
                user_id=1,
                request_id=1,
                invitation_id=1,
                letter_id=1,
                dispute_id=1,
                change_id=1,
                review_id=1,
                notice_id=1,
                objection_id=1,
                milestone_id=1,
                number=1,
            )
            response = getattr(auditor.client, method)(
                "/api/v1" + url, "{}", content_type="application/json", **auditor._h()
            )
            assert response.status_code >= 400, (method, path, response.status_code)
    assert snapshot() == before


def test_auditor_reads_ledger_awards_batches_and_exports(as_user):
    app, _other, batch = paid_batch(as_user)
    auditor = as_user("auditor")
    ledger = auditor.get("/ledger", program="cert-subsidy", source="central")
    assert ledger.status_code == 200 and ledger.json()["count"] >= 1
    assert auditor.get("/ledger", district="650102", kind="commit").json()["count"] == 2
    awards = auditor.get("/awards", district="650102").json()
    assert {a["application"] for a in awards["results"]} >= {app.pk}
    record = next(a for a in awards["results"] if a["application"] == app.pk)
    assert record["committed"] == "30000.00" and record["batch"] == batch["number"]
    assert record["links"]["letter"].endswith(f"/applications/{app.pk}/letter")
    assert auditor.get(f"/disbursements/{batch['id']}").json()["total"] == "30000.00"
    budgets = auditor.get("/budgets").json()
    cert = next(b for b in budgets if b["program"] == "cert-subsidy")
    assert cert["ledger_agrees"] is True and cert["sources"]["central"] == "3000000.00"
    export = auditor.get("/finance/export")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.content))
    assert len(book.sheetnames) == 5
    assert as_user("applicant").get("/ledger").status_code == 403
    assert as_user("reviewer-region").get("/awards").status_code == 403


def web(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_auditor_is_refused_every_web_form_and_the_admin(as_user):
    _app, other, batch = paid_batch(as_user)
    auditor = web("auditor")
    before = snapshot()
    posts = [
        (
            "/finance/allocate/",
            {"program": "cert-subsidy", "amount": "1.00", "source": "city", "reason": "x"},
        ),
        ("/finance/disbursements/new/", {"awards": [other.pk]}),
        (f"/finance/disbursements/{batch['id']}/paid/", {"reference": "AUD"}),
        (f"/finance/disbursements/{batch['id']}/cancel/", {"reason": "x"}),
    ]
    for path, data in posts:
        assert auditor.post(path, data).status_code == 403, path
    for path in ("/admin/", "/admin/finance/budget/", "/admin/finance/ledgerentry/add/"):
        response = auditor.get(path)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert auditor.post("/admin/finance/budget/1/delete/", {"post": "yes"}).status_code == 302
    assert snapshot() == before


def test_finance_pages_render_with_the_budget_chart(as_user):
    _app, other, batch = paid_batch(as_user)
    finance = web("finance")
    page = finance.get("/finance/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "<rect" in html and "cdn" not in html.lower()
    for path in (
        "/finance/ledger/?program=cert-subsidy",
        "/finance/disbursements/",
        f"/finance/disbursements/{batch['id']}/",
        "/finance/awards/?district=650102",
        f"/finance/awards/{other.pk}/",
        "/finance/reconciliation/",
    ):
        assert finance.get(path).status_code == 200, path
    assert finance.get(f"/finance/disbursements/{batch['id']}/file.csv").status_code == 200
    assert finance.get("/finance/export.xlsx").status_code == 200
    response = finance.post(f"/finance/disbursements/{batch['id']}/paid/", {"reference": "WEB-1"})
    assert response.status_code == 302
    assert DisbursementBatch.objects.get(pk=batch["id"]).status == "paid"
    assert web("applicant").get("/finance/").status_code == 403


def test_a_ledger_filter_by_an_impossible_application_id_is_422_not_500(as_user):
    response = as_user("auditor").get("/ledger", application=str(2**64 + 1))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "application"
