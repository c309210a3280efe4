"""API v1: run the rules on an application (preview for its applicant, re-check for reviewers) and their history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja import Status as Reply

from config.apikit import ERRORS
from grants.api import CheckOut
from grants.errors import Forbidden
from grants.models import EDITABLE_STATUSES
from grants.presenters import local
from grants.selectors import is_member, reviewer_jurisdictions, visible_application
from rules.services import check_for_api, evaluation_recheck, evaluation_run

router = Router(tags=["rules"])


class EvaluationOut(Schema):
    id: int | None
    purpose: str
    rule_set_version: str
    award_amount: str | None
    checks: list[CheckOut]
    created_at: dt.datetime | None
    trace: dict[str, Any]


def _evaluation_dict(record) -> dict[str, Any]:
    return {
        "id": record.pk,
        "purpose": record.purpose,
        "rule_set_version": record.rule_set_version,
        "award_amount": None if record.award_amount is None else f"{record.award_amount:.2f}",
        "checks": [check_for_api(c) for c in record.checks],
        "created_at": local(record.created_at),
        "trace": record.trace,
    }


@router.post(
    "/applications/{application_id}/checks",
    response={200: EvaluationOut, 201: EvaluationOut, **ERRORS},
    summary="Run the rules: a preview for the applicant's draft, a recorded re-check for reviewers",
)
def checks_run(request, application_id: int):
    app = visible_application(request.user, application_id)
    if is_member(request.user, app.organization_id):
        if app.status not in EDITABLE_STATUSES:
            raise Forbidden(
                _(
                    "The applicant previews checks only while the application is a draft or returned."
                )
            )
        preview = evaluation_run(application=app, actor=request.user, purpose="preview", save=False)
        return Reply(
            200,
            {
                "id": None,
                "purpose": "preview",
                "rule_set_version": preview.version.label,
                "award_amount": preview.award_str,
                "checks": preview.checks_for_api(),
                "created_at": None,
                "trace": preview.trace,
            },
        )
    if not reviewer_jurisdictions(request.user):
        raise Forbidden(_("Only reviewers re-check applications."))
    return Reply(201, _evaluation_dict(evaluation_recheck(application=app, actor=request.user)))


@router.get(
    "/applications/{application_id}/evaluations",
    response={200: list[EvaluationOut], 404: ERRORS[404]},
    summary="Every rule evaluation of the application, newest first (submission and re-checks)",
)
def evaluation_list(request, application_id: int):
    app = visible_application(request.user, application_id)
    return [_evaluation_dict(e) for e in app.evaluations.order_by("-created_at", "-id")]
