"""Every page of every role, with demo data behind it: the tour the words and phone tests take.

``build_tour`` files claims in each state an applicant meets (approved with its letter,
returned, draft, rejected, withdrawn, one waiting at the district), a service voucher redeemed
at the demo agency with the agency's draft claim, and a joint navigation project in the expert
stage; then lists, per demo persona, the pages that person opens and the exports they download.
``project_codes`` lists the codes a person must never read, built from the models and the seed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grants.models import (
    Application,
    AttachmentKind,
    AuditEntry,
    CostLineKind,
    Level,
    OrganizationKind,
    Program,
    ProgramField,
    RoleAssignment,
    Status,
    User,
)
from grants.presenters import AUDIT_SENTENCES
from tests.support.claims import (
    attach_required,
    create_cert_app,
    decide,
    register_org,
)
from tests.support.clients import login
from tests.support.letters import approve_all
from tests.support.pages import open_task_id
from tests.support.personas import (
    ADMIN,
    AGENCY,
    APPLICANT,
    AUDITOR,
    CITY_REVIEWER,
    DISTRICT_REVIEWER,
    FINANCE,
    REGION_REVIEWER,
)

ANONYMOUS = "(anonymous)"  # the pages anyone opens without logging in

ROLES = (
    APPLICANT,
    AGENCY,
    "expert",
    DISTRICT_REVIEWER,
    CITY_REVIEWER,
    REGION_REVIEWER,
    FINANCE,
    AUDITOR,
    ADMIN,
)


@dataclass
class Tour:
    pages: dict[str, list[str]] = field(default_factory=dict)
    exports: list[tuple[str, str]] = field(default_factory=list)
    apps: dict[str, int] = field(default_factory=dict)


def _submit(api, org: int, number: str) -> dict:
    app = create_cert_app(api, org, certificate_number=number)
    attach_required(api, app["id"])
    response = api.post(f"/applications/{app['id']}/submit", {"pledge": True})
    assert response.status_code == 200, response.content
    return response.json()


def build_tour(capture: Callable[..., Any] | None = None) -> Tour:
    """The demo with claims in every state; ``capture`` is pytest-django's
    ``django_capture_on_commit_callbacks`` (letters are issued by after-commit callbacks), or
    nothing where transactions really commit (a live server)."""
    capture = capture or (lambda **kw: contextlib.nullcontext())
    applicant = login(APPLICANT)
    as_user = login
    org = register_org(applicant)
    tour = Tour()

    approved = _submit(applicant, org, "GB29490-2026-0101")
    approve_all(as_user, approved["id"], capture)
    returned = _submit(applicant, org, "GB29490-2026-0102")
    decide(login(DISTRICT_REVIEWER), returned["id"], "return", "请补充认证费发票原件扫描件")
    rejected = _submit(applicant, org, "GB29490-2026-0103")
    with capture(execute=True):
        decide(login(DISTRICT_REVIEWER), rejected["id"], "reject", "证书发证日期早于申报期")
    withdrawn = _submit(applicant, org, "GB29490-2026-0104")
    applicant.post(
        f"/applications/{withdrawn['id']}/withdraw", {"reason": "证书信息有误，撤回后重新申报"}
    )
    waiting = _submit(applicant, org, "GB29490-2026-0105")
    draft = create_cert_app(applicant, org, certificate_number="GB29490-2026-0106")
    tour.apps = {
        "approved": approved["id"],
        "returned": returned["id"],
        "rejected": rejected["id"],
        "withdrawn": withdrawn["id"],
        "waiting": waiting["id"],
        "draft": draft["id"],
    }

    # a service voucher: issued to the applicant's SME, redeemed at the demo agency, claimed
    from tests.support.vouchers import demo_agency_id, file_claim, issue, redeem

    admin = login(ADMIN)
    voucher = issue(admin, _org(org))
    agency_id = demo_agency_id(admin)
    assert redeem(applicant, voucher["id"], agency_id).status_code in (200, 201)
    claim = file_claim(login(AGENCY), voucher["id"])
    tour.apps["voucher_claim"] = claim["id"]

    # a joint navigation project, scored by its experts (the call's ranking has a row)
    from experts.models import ExpertReview
    from tests.support.navigation import scored_projects

    project = scored_projects(applicant, scores=(["85"] * 5,))[0]
    tour.apps["navigation"] = project["id"]
    review = ExpertReview.objects.filter(project_id=project["id"]).select_related("expert__user")
    expert = review.first()
    assert expert is not None

    # the city selects the project: its public notice (公示) is up
    selection = login(CITY_REVIEWER).post(
        "/navigation/programs/navigation/selection", {"selected": [{"application": project["id"]}]}
    )
    assert selection.status_code == 201, selection.content
    notice = selection.json()["id"]

    # finance puts the approved award into a disbursement batch
    batch = login(FINANCE).post("/disbursements", {"awards": [approved["id"]]})
    assert batch.status_code == 201, batch.content
    batch_id = batch.json()["id"]

    from agencies.models import Voucher
    from letters.models import Letter

    letter_code = Letter.objects.filter(application_id=approved["id"]).values_list(
        "code", flat=True
    )[0]
    voucher_code = Voucher.objects.get(pk=voucher["id"]).code

    task = open_task_id(DISTRICT_REVIEWER, waiting["id"])
    app_pages = [f"/applications/{approved['id']}/", f"/applications/{rejected['id']}/"]
    staff_common = ["/", "/applications/", *app_pages, "/notifications/", "/dashboard/"]
    finance_pages = [
        "/finance/",
        "/finance/ledger/",
        "/finance/disbursements/",
        f"/finance/disbursements/{batch_id}/",
        "/finance/awards/",
        f"/finance/awards/{approved['id']}/",
        "/finance/reconciliation/",
    ]
    tour.pages = {
        ANONYMOUS: [
            "/login/",
            "/signup/",
            "/verify/",
            f"/verify/{letter_code}",
            "/public/indicators/",
            "/navigation/notices/",
            f"/navigation/notices/{notice}/",
        ],
        APPLICANT: [
            "/",
            "/portal/",
            "/portal/organizations/new/",
            "/portal/programs/cert-subsidy/apply/",
            *[
                f"/portal/applications/{pk}/"
                for name, pk in tour.apps.items()
                if name not in ("voucher_claim", "navigation")
            ],
            f"/portal/applications/{project['id']}/",
            "/navigation/partners/",
            "/notifications/",
            "/vouchers/",
            f"/vouchers/{voucher['id']}/",
            "/navigation/navigation/apply/",
            "/navigation/notices/",
            f"/navigation/notices/{notice}/",
            "/public/indicators/",
            "/verify/",
            f"/verify/{letter_code}",
        ],
        AGENCY: [
            "/",
            "/portal/",
            "/vouchers/",
            "/vouchers/redeem/",
            f"/vouchers/verify/{voucher_code}/",
            f"/vouchers/{voucher['id']}/",
            f"/portal/applications/{claim['id']}/",
            "/agencies/",
            f"/agencies/{agency_id}/",
            "/navigation/partners/",
        ],
        expert.expert.user.username: [
            "/",
            "/navigation/reviews/",
            f"/navigation/reviews/{expert.pk}/",
            "/notifications/",
        ],
        DISTRICT_REVIEWER: [
            *staff_common,
            "/review/",
            f"/review/tasks/{task}/",
            "/navigation/milestones/",
        ],
        CITY_REVIEWER: [
            *staff_common,
            "/review/",
            "/navigation/navigation/ranking/",
            f"/applications/{project['id']}/",
            f"/navigation/notices/{notice}/",
        ],
        REGION_REVIEWER: [*staff_common, "/review/", "/navigation/navigation/ranking/"],
        FINANCE: [*staff_common, *finance_pages],
        AUDITOR: [*staff_common, *finance_pages],
        ADMIN: [
            *staff_common,
            "/agencies/",
            f"/agencies/{agency_id}/",
            "/vouchers/",
            "/letters/reissue/",
            "/navigation/navigation/ranking/",
            "/navigation/notices/",
            f"/navigation/notices/{notice}/",
        ],
    }
    tour.exports = [
        (AUDITOR, "/finance/export.xlsx"),
        (AUDITOR, "/dashboard/export.xlsx"),
        (FINANCE, f"/finance/disbursements/{batch_id}/file.xlsx"),
        (FINANCE, f"/finance/disbursements/{batch_id}/file.csv"),
        # the letters a person receives: the award letter and the refusal notice
        (APPLICANT, f"/api/v1/applications/{approved['id']}/letter"),
        (APPLICANT, f"/api/v1/applications/{rejected['id']}/letter"),
    ]
    return tour


def _org(pk: int):
    from grants.models import Organization

    return Organization.objects.get(pk=pk)


def project_codes() -> set[str]:
    """Every code the project defines that a person must never read: programme codes, field
    names, cost and attachment kinds, status and level values, rule ids, audit actions (those
    written and those the words layer knows), staff user names — from the models and the seed."""
    from rules.models import RuleSetVersion

    codes: set[str] = set()
    codes |= set(Program.objects.values_list("code", flat=True))
    codes |= set(ProgramField.objects.values_list("name", flat=True))
    codes |= set(CostLineKind.objects.values_list("code", flat=True))
    codes |= set(AttachmentKind.objects.values_list("code", flat=True))
    codes |= set(Status.values) | set(Level.values) | set(OrganizationKind.values)
    # the codes of the kinds' and capabilities' own records
    from agencies.models import Service, VoucherStatus
    from finance.models import Source
    from navigation.models import Stage

    codes |= set(Service.values) | set(VoucherStatus.values) | set(Source.values)
    codes |= set(Stage.values)
    for content in RuleSetVersion.objects.values_list("content", flat=True):
        codes |= {t["name"] for t in (content or {}).get("tables", []) if t.get("name")}
    codes |= set(AuditEntry.objects.values_list("action", flat=True).distinct())
    codes |= set(AUDIT_SENTENCES)
    staff = RoleAssignment.objects.exclude(role="applicant").values_list("user_id", flat=True)
    codes |= set(User.objects.filter(pk__in=staff).values_list("username", flat=True))
    codes |= set(User.objects.filter(is_superuser=True).values_list("username", flat=True))
    return {c for c in codes if c}


def application_states() -> dict[int, str]:
    return dict(Application.objects.values_list("pk", "status"))
