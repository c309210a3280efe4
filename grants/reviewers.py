"""Who reviews where: appointing reviewers and finding those of a level.

A reviewer holds a role row (level and jurisdiction) and a django-guardian object
permission ``grants.review_in`` on that jurisdiction, never on applications. Both the
review chain (workflows) and a kind's own steps (navigation's milestones) ask here, so it
lives in the kernel.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from grants.audit import audit_record
from grants.models import Jurisdiction, Level, Role, RoleAssignment, User
from grants.selectors import REVIEW_PERMISSION


def level_label(level: str) -> str:
    """The level's name in the reader's language (区（县）级 …); an unknown level as it is."""
    return str(Level(level).label) if level in Level.values else level


def reviewer_appoint(
    *, user: User, jurisdiction: Jurisdiction, actor: User | None = None
) -> RoleAssignment:
    """Make ``user`` a reviewer at ``jurisdiction`` (its level): role row + guardian object permission."""
    with transaction.atomic():
        role, created = RoleAssignment.objects.get_or_create(
            user=user, role=Role.REVIEWER, level=jurisdiction.level, jurisdiction=jurisdiction
        )
        assign_perm(REVIEW_PERMISSION, user, jurisdiction)
        if created:
            audit_record(
                actor=actor,
                action="reviewer.appoint",
                obj=role,
                role=Role.ADMIN,
                level=jurisdiction.level,
                data={"user": user.username, "jurisdiction": jurisdiction.code},
            )
    return role


def reviewer_dismiss(*, role: RoleAssignment, actor: User | None = None) -> None:
    with transaction.atomic():
        remove_perm(REVIEW_PERMISSION, role.user, role.jurisdiction)
        audit_record(
            actor=actor,
            action="reviewer.dismiss",
            obj=role,
            role=Role.ADMIN,
            level=role.level,
            data={"user": role.user.username, "jurisdiction": role.jurisdiction_id},
        )
        role.delete()


# A jurisdiction's path lists its ancestors' codes from the region down
# ("650000/650100/650102"), so a level's place in a district's path is its depth.
LEVEL_DEPTH: dict[str, int] = {Level.REGION: 0, Level.CITY: 1, Level.DISTRICT: 2}


def reviewers_at(level: str, district: Jurisdiction) -> list[User]:
    """Active users who review ``level`` for an organisation in ``district``: one query over
    guardian's object permissions (directly or through a group) on that level's jurisdiction."""
    codes = district.path.split("/")
    depth = LEVEL_DEPTH.get(level)
    if depth is None or depth >= len(codes):
        return []
    code = codes[depth]
    jurisdiction_type = ContentType.objects.get_for_model(Jurisdiction)  # cached per process
    granted = Q(
        userobjectpermission__permission__codename="review_in",
        userobjectpermission__content_type=jurisdiction_type,
        userobjectpermission__object_pk=code,
    ) | Q(
        groups__groupobjectpermission__permission__codename="review_in",
        groups__groupobjectpermission__content_type=jurisdiction_type,
        groups__groupobjectpermission__object_pk=code,
    )
    return list(User.objects.filter(granted, is_active=True).distinct().order_by("pk"))


def administrators() -> list[User]:
    """Active programme administrators (superusers included): who is told when nobody is above."""
    return list(
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(roles__role=Role.ADMIN), is_active=True)
        .distinct()
    )


def reviewer_permissions_sync(user: User) -> None:
    """Make the guardian object permissions equal the user's reviewer role rows (after admin edits)."""
    wanted = set(
        RoleAssignment.objects.filter(user=user, role=Role.REVIEWER).values_list(
            "jurisdiction_id", flat=True
        )
    )
    have = {
        j.pk
        for j in get_objects_for_user(
            user,
            REVIEW_PERMISSION,
            klass=Jurisdiction,
            accept_global_perms=False,
            with_superuser=False,
        )
    }
    for code in wanted - have:
        assign_perm(REVIEW_PERMISSION, user, Jurisdiction.objects.get(pk=code))
    for code in have - wanted:
        remove_perm(REVIEW_PERMISSION, user, Jurisdiction.objects.get(pk=code))
    user.__dict__.pop("_fundflow_review_jurisdictions", None)
