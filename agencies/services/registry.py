"""The agency registry: admission to the service cluster, status history, administrative
penalties (an exit), qualifications with their expiry warnings.

One function per action, keyword-only arguments; guard first, then change; every change
writes its audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import (
    Agency,
    AgencyStatus,
    AgencyStatusChange,
    Penalty,
    Qualification,
    Redemption,
    Service,
)
from grants.audit import audit_record
from grants.errors import Conflict, Forbidden, InvalidInput
from grants.models import (
    Membership,
    Organization,
    OrganizationKind,
    Role,
    Status,
)
from grants.notifications import notify
from grants.selectors import has_role
from grants.services import clean_text

WARN_DAYS = 30
OPEN_CLAIM = (Status.DRAFT, Status.IN_REVIEW, Status.RETURNED)


def require_admin(actor) -> None:
    """Refuse anyone but a programme administrator (agencies and vouchers alike)."""
    if not has_role(actor, Role.ADMIN):
        raise Forbidden(_("Only programme administrators manage agencies and vouchers."))


def _services(value: Any, field_name: str = "services") -> list[str]:
    if not isinstance(value, list) or not value or any(v not in Service.values for v in value):
        raise InvalidInput(
            [
                {
                    "field": field_name,
                    "message": _("A non-empty list of: %(s)s") % {"s": ", ".join(Service.values)},
                }
            ]
        )
    return sorted(set(value))


# ---------------------------------------------------------------- registry


def _status_change(
    *, agency: Agency, to_status: str, reason: str, actor, effective_on: dt.date
) -> AgencyStatusChange:
    from_status = agency.status if agency.pk and agency.status_changes.exists() else ""
    change = AgencyStatusChange.objects.create(
        agency=agency,
        from_status=from_status,
        to_status=to_status,
        effective_on=effective_on,
        reason=reason[:500],
        actor=actor if getattr(actor, "pk", None) else None,
    )
    agency.status = to_status
    agency.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action=f"agency.{to_status}",
        obj=agency,
        role=Role.ADMIN if getattr(actor, "pk", None) else "system",
        from_status=from_status,
        to_status=to_status,
        comment=reason,
        data={"effective_on": effective_on.isoformat(), "organization": agency.organization_id},
    )
    if to_status == AgencyStatus.EXITED:
        _hold_open_claims(agency=agency, actor=actor, reason=reason)
    return change


def _hold_open_claims(*, agency: Agency, actor, reason: str) -> None:
    """An exited agency's open claims stay in their chain but are flagged for the reviewers."""
    held_reason = (
        _("The agency exited the service cluster on %(d)s: %(r)s")
        % {"d": timezone.localdate().isoformat(), "r": reason}
    )[:500]
    for redemption in Redemption.objects.select_for_update().filter(
        agency=agency, claim__status__in=OPEN_CLAIM, held=False
    ):
        redemption.held = True
        redemption.held_reason = held_reason
        redemption.save(update_fields=["held", "held_reason"])
        audit_record(
            actor=actor,
            action="voucher.claim_held",
            obj=redemption.claim,
            application=redemption.claim,
            role=Role.ADMIN if getattr(actor, "pk", None) else "system",
            comment=held_reason,
            data={"voucher": redemption.voucher.number},
        )


def agency_admit(
    *, actor, organization_id: Any, services: Any, admitted_on: dt.date | None = None
) -> Agency:
    """Admit a registered service agency to the cluster (入驻) with the services it offers."""
    require_admin(actor)
    services = _services(services)
    org = (
        Organization.objects.filter(pk=organization_id).first()
        if isinstance(organization_id, int)
        else None
    )
    if org is None:
        raise InvalidInput([{"field": "organization", "message": _("No such organisation.")}])
    if org.kind != OrganizationKind.SERVICE_AGENCY:
        raise InvalidInput(
            [
                {
                    "field": "organization",
                    "message": _("Only an organisation of kind service_agency can be admitted."),
                }
            ]
        )
    admitted_on = admitted_on or timezone.localdate()
    with transaction.atomic():
        if Agency.objects.select_for_update().filter(organization=org).exists():
            raise Conflict(_("This organisation is already in the agency registry."))
        agency = Agency.objects.create(organization=org, services=services, admitted_on=admitted_on)
        _status_change(
            agency=agency,
            to_status=AgencyStatus.ADMITTED,
            reason=_("Admitted to the service cluster"),
            actor=actor,
            effective_on=admitted_on,
        )
    return agency


ALLOWED_MOVES = {
    AgencyStatus.ADMITTED: {AgencyStatus.SUSPENDED, AgencyStatus.EXITED},
    AgencyStatus.SUSPENDED: {AgencyStatus.ADMITTED, AgencyStatus.EXITED},
    AgencyStatus.EXITED: set(),
}


def agency_status_set(*, actor, agency: Agency, status: str, reason: Any) -> Agency:
    """Suspend, reinstate or exit an agency by hand (an exit is final)."""
    require_admin(actor)
    reason = clean_text(reason, "reason", max_length=500)
    if status not in AgencyStatus.values:
        raise InvalidInput(
            [
                {
                    "field": "status",
                    "message": _("One of: %(s)s") % {"s": ", ".join(AgencyStatus.values)},
                }
            ]
        )
    with transaction.atomic():
        locked = Agency.objects.select_for_update().get(pk=agency.pk)
        if status not in ALLOWED_MOVES[AgencyStatus(locked.status)]:
            raise Conflict(
                _("The agency is %(from)s; it cannot become %(to)s.")
                % {"from": locked.get_status_display(), "to": AgencyStatus(status).label}
            )
        _status_change(
            agency=locked,
            to_status=status,
            reason=reason,
            actor=actor,
            effective_on=timezone.localdate(),
        )
    return locked


def penalty_record(
    *,
    actor,
    agency: Agency,
    decided_on: dt.date,
    authority: Any,
    document_number: Any,
    reason: Any,
) -> Penalty:
    """An administrative penalty against the agency: recorded, and the agency exits (退出机制)."""
    require_admin(actor)
    authority = clean_text(authority, "authority", max_length=200)
    document_number = clean_text(document_number, "document_number", max_length=100)
    reason = clean_text(reason, "reason", max_length=500)
    if decided_on > timezone.localdate():
        raise InvalidInput([{"field": "decided_on", "message": _("A date in the future.")}])
    with transaction.atomic():
        locked = Agency.objects.select_for_update().get(pk=agency.pk)
        penalty = Penalty.objects.create(
            agency=locked,
            decided_on=decided_on,
            authority=authority,
            document_number=document_number,
            reason=reason,
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            action="agency.penalty",
            obj=penalty,
            role=Role.ADMIN,
            comment=reason,
            data={
                "agency": locked.pk,
                "decided_on": decided_on.isoformat(),
                "authority": authority,
                "document_number": document_number,
            },
        )
        if locked.status != AgencyStatus.EXITED:
            _status_change(
                agency=locked,
                to_status=AgencyStatus.EXITED,
                reason=_("Administrative penalty %(n)s (%(a)s): %(r)s")
                % {"n": document_number, "a": authority, "r": reason},
                actor=actor,
                effective_on=timezone.localdate(),
            )
    return penalty


def qualification_add(
    *,
    actor,
    agency: Agency,
    name: Any,
    number: Any = "",
    issued_on: dt.date | None = None,
    expires_on: dt.date,
) -> Qualification:
    require_admin(actor)
    name = clean_text(name, "name", max_length=200)
    number = clean_text(number, "number", max_length=100, required=False)
    if issued_on and issued_on > expires_on:
        raise InvalidInput(
            [{"field": "expires_on", "message": _("It expires before it was issued.")}]
        )
    with transaction.atomic():
        qualification = Qualification.objects.create(
            agency=agency, name=name, number=number, issued_on=issued_on, expires_on=expires_on
        )
        audit_record(
            actor=actor,
            action="agency.qualification_add",
            obj=qualification,
            role=Role.ADMIN,
            data={"agency": agency.pk, "name": name, "expires_on": expires_on.isoformat()},
        )
    return qualification


def _admins():
    return list(
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(roles__role=Role.ADMIN), is_active=True)
        .distinct()
    )


def qualifications_check(*, today: dt.date | None = None) -> dict[str, int]:
    """Warn the agency and the administrators 30 days before a qualification expires;
    suspend the agency when one has expired. Idempotent: run it daily (beat) or from cron."""
    today = today or timezone.localdate()
    warned = suspended = 0
    soon = Qualification.objects.filter(
        warned_on__isnull=True,
        lapsed=False,
        expires_on__gte=today,
        expires_on__lte=today + dt.timedelta(days=WARN_DAYS),
        agency__status=AgencyStatus.ADMITTED,
    ).select_related("agency__organization")
    for qualification in soon:
        with transaction.atomic():
            if not Qualification.objects.filter(pk=qualification.pk, warned_on__isnull=True).update(
                warned_on=today
            ):
                continue
            agency = qualification.agency
            members = [
                m.user
                for m in Membership.objects.filter(organization=agency.organization).select_related(
                    "user"
                )
            ]
            audit_record(
                actor=None,
                action="agency.qualification_warn",
                obj=qualification,
                role="system",
                data={"agency": agency.pk, "expires_on": qualification.expires_on.isoformat()},
            )
            notify(
                users=members + _admins(),
                kind="qualification_warn",
                context={"qualification": qualification, "agency": agency},
            )
            warned += 1
    lapsed = Qualification.objects.filter(lapsed=False, expires_on__lt=today).select_related(
        "agency__organization"
    )
    for qualification in lapsed:
        with transaction.atomic():
            if not Qualification.objects.filter(pk=qualification.pk, lapsed=False).update(
                lapsed=True
            ):
                continue
            agency = Agency.objects.select_for_update().get(pk=qualification.agency_id)
            audit_record(
                actor=None,
                action="agency.qualification_lapsed",
                obj=qualification,
                role="system",
                data={"agency": agency.pk, "expires_on": qualification.expires_on.isoformat()},
            )
            if agency.status == AgencyStatus.ADMITTED:
                _status_change(
                    agency=agency,
                    to_status=AgencyStatus.SUSPENDED,
                    reason=_("Qualification “%(q)s” expired on %(d)s")
                    % {"q": qualification.name, "d": qualification.expires_on.isoformat()},
                    actor=None,
                    effective_on=today,
                )
                suspended += 1
    return {"warned": warned, "suspended": suspended}
