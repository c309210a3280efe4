"""Who may see what. Every list, detail, API endpoint, task queue and export asks here."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from grants.models import Application, Jurisdiction, Membership, Organization, Role, RoleAssignment


def user_roles(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_fundflow_roles", None)
    if cached is None:
        cached = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
        if user.is_superuser:
            cached.add(Role.ADMIN)
        user._fundflow_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


REVIEW_PERMISSION = "grants.review_in"


def reviewer_jurisdictions(user) -> list[Jurisdiction]:
    """Where ``user`` reviews: the jurisdictions on which django-guardian grants ``review_in``.

    Object permissions sit on the few jurisdiction rows, never on applications,
    so this is one query whatever the number of applications or tasks.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_fundflow_review_jurisdictions", None)
    if cached is None:
        from guardian.shortcuts import get_objects_for_user

        cached = list(
            get_objects_for_user(
                user,
                REVIEW_PERMISSION,
                klass=Jurisdiction,
                accept_global_perms=False,
                with_superuser=False,
            )
        )
        user._fundflow_review_jurisdictions = cached
    return cached


def sees_everything(user) -> bool:
    return has_role(user, Role.ADMIN, Role.FINANCE, Role.AUDITOR)


def organizations_visible_to(user) -> QuerySet[Organization]:
    qs = Organization.objects.select_related("district")
    if sees_everything(user):
        return qs
    condition = Q(pk__in=Membership.objects.filter(user=user).values("organization_id"))
    for jurisdiction in reviewer_jurisdictions(user):
        condition |= Q(district__path__startswith=jurisdiction.path)
    return qs.filter(condition)


def applications_visible_to(user) -> QuerySet[Application]:
    """Applicants: their organisations' applications. Reviewers: submitted ones in their
    jurisdiction's subtree. Finance, auditors, administrators: every submitted one."""
    qs = Application.objects.select_related("program", "organization", "organization__district")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    from navigation.models import ExpertReview, Partner

    mine = Membership.objects.filter(user=user).values("organization_id")
    # partner agencies of a joint navigation application see it (they confirm before submission)
    own = Q(organization_id__in=mine) | Q(
        pk__in=Partner.objects.filter(organization_id__in=mine).values("project_id")
    )
    if sees_everything(user):
        return qs.filter(own | Q(submitted_at__isnull=False))
    condition = own
    if has_role(user, Role.EXPERT):
        # an expert drawn for a navigation project sees it once they declared no conflict
        condition |= Q(
            pk__in=ExpertReview.objects.filter(
                expert__user=user,
                status__in=(ExpertReview.Status.DECLARED, ExpertReview.Status.SUBMITTED),
            ).values("project_id")
        )
    for jurisdiction in reviewer_jurisdictions(user):
        condition |= Q(
            submitted_at__isnull=False, organization__district__path__startswith=jurisdiction.path
        )
    return qs.filter(condition)


def applications_for_statistics() -> QuerySet[Application]:
    """Submitted applications for anonymous aggregates (indicator dashboard, public summary).

    Only counts and sums may be shown from this: callers never list rows, names or USCCs.
    """
    return Application.objects.filter(submitted_at__isnull=False)


def is_member(user, organization_id: int) -> bool:
    return Membership.objects.filter(user=user, organization_id=organization_id).exists()


def vouchers_visible_to(user):
    """Administrators, finance and auditors: every voucher. An SME's members: its vouchers.
    An agency's members: vouchers redeemed at it. Reviewers: vouchers of SMEs in their jurisdiction."""
    from agencies.models import Voucher

    qs = Voucher.objects.select_related("program", "sme", "sme__district")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if sees_everything(user):
        return qs
    mine = Membership.objects.filter(user=user).values("organization_id")
    condition = Q(sme_id__in=mine) | Q(redemption__agency__organization_id__in=mine)
    for jurisdiction in reviewer_jurisdictions(user):
        condition |= Q(sme__district__path__startswith=jurisdiction.path)
    return qs.filter(condition)
