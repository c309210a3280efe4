"""Who may see what. Every list, detail, API endpoint, task queue and export asks here."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from grants.auth import Viewer, signed_in
from grants.errors import Forbidden, NotFound
from grants.kinds import visibility_conditions
from grants.models import (
    Application,
    AuthorityLetter,
    BankDetailsChange,
    Jurisdiction,
    Level,
    Membership,
    Organization,
    OrganizationDispute,
    Role,
    RoleAssignment,
    User,
)

# Per-request caches kept on the user object (a signed-in User) under these names.
_ROLES_CACHE = "_fundflow_roles"
_ORGS_CACHE = "_fundflow_organizations"
_JURISDICTIONS_CACHE = "_fundflow_review_jurisdictions"


def user_roles(user: Viewer) -> set[str]:
    if not signed_in(user):
        return set()
    cached: set[str] | None = getattr(user, _ROLES_CACHE, None)
    if cached is None:
        cached = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
        if user.is_superuser:
            cached.add(Role.ADMIN)
        user.__dict__[_ROLES_CACHE] = cached
    return cached


def member_organization_ids(user: Viewer) -> list[int]:
    """The organisations ``user`` acts for (ids), once per request (cached on the user)."""
    if not signed_in(user):
        return []
    cached: list[int] | None = getattr(user, _ORGS_CACHE, None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user).values_list("organization_id", flat=True)
        )
        user.__dict__[_ORGS_CACHE] = cached
    return cached


def memberships_changed(user: Viewer) -> None:
    """Forget the cached organisations of ``user`` (after it joined or registered one)."""
    user.__dict__.pop(_ORGS_CACHE, None)


def has_role(user: Viewer, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


REVIEW_PERMISSION = "grants.review_in"


def reviewer_jurisdictions(user: Viewer) -> list[Jurisdiction]:
    """Where ``user`` reviews: the jurisdictions on which django-guardian grants ``review_in``.

    Object permissions sit on the few jurisdiction rows, never on applications,
    so this is one query whatever the number of applications or tasks.
    """
    if not signed_in(user):
        return []
    cached: list[Jurisdiction] | None = getattr(user, _JURISDICTIONS_CACHE, None)
    if cached is None:
        # guardian's own tables read directly (granted to the user or to one of its groups):
        # get_objects_for_user builds the same answer with several more queries per request
        from django.contrib.contenttypes.models import ContentType
        from guardian.models import GroupObjectPermission, UserObjectPermission

        kind = ContentType.objects.get_for_model(Jurisdiction)  # cached per process
        granted = {"permission__codename": REVIEW_PERMISSION.split(".")[1], "content_type": kind}
        cached = list(
            Jurisdiction.objects.filter(
                Q(
                    pk__in=UserObjectPermission.objects.filter(user=user, **granted).values(
                        "object_pk"
                    )
                )
                | Q(
                    pk__in=GroupObjectPermission.objects.filter(group__user=user, **granted).values(
                        "object_pk"
                    )
                )
            ).order_by("path")
        )
        user.__dict__[_JURISDICTIONS_CACHE] = cached
    return cached


def sees_everything(user: Viewer) -> bool:
    return has_role(user, Role.ADMIN, Role.FINANCE, Role.AUDITOR)


def organizations_visible_to(user: User) -> QuerySet[Organization]:
    qs = Organization.objects.select_related("district")
    if sees_everything(user):
        return qs
    condition = Q(pk__in=Membership.objects.filter(user=user).values("organization_id"))
    for jurisdiction in reviewer_jurisdictions(user):
        condition |= Q(district__path__startswith=jurisdiction.path)
    return qs.filter(condition)


def applications_visible_to(user: Viewer) -> QuerySet[Application]:
    """Applicants: their organisations' applications. Reviewers: submitted ones in their
    jurisdiction's subtree. Finance, auditors, administrators: every submitted one."""
    qs = Application.objects.select_related("program", "organization", "organization__district")
    if not signed_in(user):
        return qs.none()
    # the organisations one acts for, as a literal list (one cached query), and what a
    # programme kind adds (navigation: its partner agencies and drawn experts)
    conditions: list[Q] = []
    everything = sees_everything(user)
    # staff lists stay flat: their (usually no) organisations as a literal list, one
    # cached query; applicants and reviewers: a subquery of the same statement
    mine: Any = (
        member_organization_ids(user)
        if everything
        else Membership.objects.filter(user=user).values("organization_id")
    )
    if not everything or mine:
        conditions.append(Q(organization_id__in=mine))
    extra = visibility_conditions(user, mine)
    if extra:
        conditions.append(extra)
    if everything:
        # finance, auditors, administrators: every submitted application, without a
        # subquery unless they also act for an organisation or are drawn as experts
        conditions.append(Q(submitted_at__isnull=False))
    else:
        for jurisdiction in reviewer_jurisdictions(user):
            conditions.append(
                Q(
                    submitted_at__isnull=False,
                    organization__district__path__startswith=jurisdiction.path,
                )
            )
    if not conditions:  # nothing at all (an empty Q would mean "everything")
        return qs.none()
    return qs.filter(reduce(operator.or_, conditions))


def applications_for_statistics() -> QuerySet[Application]:
    """Submitted applications for anonymous aggregates (indicator dashboard, public summary).

    Only counts and sums may be shown from this: callers never list rows, names or USCCs.
    """
    return Application.objects.filter(submitted_at__isnull=False)


def is_member(user: User, organization_id: int) -> bool:
    return Membership.objects.filter(user=user, organization_id=organization_id).exists()


def organization_role(user: Viewer, organization_id: int) -> str | None:
    """``user``'s role in the organisation (administrator or staff), None when not a member."""
    if not signed_in(user):
        return None
    return (
        Membership.objects.filter(user=user, organization_id=organization_id)
        .values_list("role", flat=True)
        .first()
    )


def is_org_admin(user: Viewer, organization_id: int) -> bool:
    return organization_role(user, organization_id) == Membership.Role.ADMIN


def organization_admins(organization_id: int) -> list[User]:
    """The organisation's administrators (active users), oldest membership first."""
    return [
        m.user
        for m in Membership.objects.filter(
            organization_id=organization_id, role=Membership.Role.ADMIN, user__is_active=True
        )
        .select_related("user")
        .order_by("created_at", "id")
    ]


def organization_frozen(organization_id: int) -> OrganizationDispute | None:
    """The open dispute that keeps the organisation from new applications, if any."""
    return (
        OrganizationDispute.objects.filter(
            organization_id=organization_id, status=OrganizationDispute.Status.OPEN
        )
        .order_by("id")
        .first()
    )


def checks_organizations_of(user: Viewer, organization: Organization) -> bool:
    """Whether ``user`` is a district reviewer of the organisation's district: who checks its
    authorisation letters, resolves its disputes and, where it has one administrator,
    confirms its bank details."""
    return any(
        j.level == Level.DISTRICT and j.code == organization.district_id
        for j in reviewer_jurisdictions(user)
    )


def organizations_to_check(user: Viewer) -> QuerySet[Organization]:
    """Organisations of the districts ``user`` reviews with something for the reviewer: a
    letter to check, an open dispute, bank details only a reviewer can confirm."""
    districts = [j.code for j in reviewer_jurisdictions(user) if j.level == Level.DISTRICT]
    if not districts:
        return Organization.objects.none()
    single_admin = (
        Membership.objects.filter(role=Membership.Role.ADMIN)
        .values("organization_id")
        .annotate(n=Count("id"))
        .filter(n=1)
        .values("organization_id")
    )
    waiting = (
        Q(authority_letters__status=AuthorityLetter.Status.PENDING)
        | Q(disputes__status=OrganizationDispute.Status.OPEN)
        | Q(
            bank_changes__status=BankDetailsChange.Status.PENDING,
            pk__in=single_admin,
        )
    )
    return (
        Organization.objects.filter(district_id__in=districts)
        .filter(waiting)
        .select_related("district")
        .distinct()
        .order_by("name")
    )


def visible_application(user: Viewer, pk: Any) -> Application:  # pk: as the URL or form gave it
    """The application ``pk`` if ``user`` may see it; else NotFound (404: not even its existence)."""
    try:
        return applications_visible_to(user).get(pk=int(pk))
    except (ValueError, TypeError, Application.DoesNotExist):
        raise NotFound(_("No such application, or it is not visible to you.")) from None


def own_application(user: User, pk: Any) -> Application:
    """Visible, and ``user`` acts for its organisation; a reviewer who only sees it gets 403."""
    app = visible_application(user, pk)
    if not is_member(user, app.organization_id):
        raise Forbidden(_("Only the applicant organisation may change its application."))
    return app
