"""The one place where an application's ``status`` and ``level`` change.

Every module that moves an application (submission, the review chain, the merit
queue, a kind's own steps, letters, payments) calls ``transition``. It checks the
move against ``MOVES``, writes the new status and level with a conditional UPDATE
(``WHERE status = <the status the caller saw>``) and the audit row, in the caller's
transaction. A move the table does not allow, or a row another transaction moved
first, raises ``TransitionRefused`` (409 at the API): never a silent write.

    draft ──submit──▶ in_review ──(next level: in_review)──▶ …
    returned ──resubmit──▶ in_review ──▶ approved ──letter──▶ awarded ──pay──▶ paid
                              │     └──────────────pay──────────────────────▲
                              ├──▶ returned
                              └──▶ rejected (final)
    draft | returned | in_review ──withdraw──▶ withdrawn (final; the applicant's own move)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants.audit import AuditEntry, audit_record
from grants.errors import Conflict
from grants.models import Application, Status, User

# from-status → the statuses it may move to. in_review → in_review is a move between levels.
MOVES: Mapping[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.IN_REVIEW, Status.WITHDRAWN}),
    Status.RETURNED: frozenset({Status.IN_REVIEW, Status.WITHDRAWN}),
    Status.IN_REVIEW: frozenset(
        {Status.IN_REVIEW, Status.APPROVED, Status.RETURNED, Status.REJECTED, Status.WITHDRAWN}
    ),
    Status.APPROVED: frozenset({Status.AWARDED, Status.PAID}),
    Status.AWARDED: frozenset({Status.PAID}),
    Status.REJECTED: frozenset(),
    Status.PAID: frozenset(),
    Status.WITHDRAWN: frozenset(),
}

# Fields a transition may set beside status and level (submission opens a new round).
ROUND_FIELDS = frozenset({"chain", "round", "submitted_at", "award_amount"})


class TransitionRefused(Conflict):
    slug = "transition-refused"
    title = gettext_lazy("This change is not possible in the application's current state")


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()


def allowed(from_status: str, to_status: str) -> bool:
    return to_status in MOVES.get(from_status, frozenset())


def transition(
    application: Application,
    *,
    to: str,
    actor: User | None,
    role: str,
    action: str = "",
    level: str | _Keep = KEEP,
    obj: models.Model | None = None,
    audit_level: str | None = None,
    comment: str = "",
    data: dict[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Move ``application`` to status ``to`` (and ``level``, when given) and audit it.

    ``action`` names the audit row (default ``application.<to>``); ``obj`` is the audited
    object when it is not the application itself (the letter that awards it, the project
    whose stage moved); ``audit_level`` the level recorded on the row (default: the new
    level; the deciding level when the application leaves review); ``changes`` sets the round
    fields of a submission. Call inside the transaction of the change; the caller holds
    the application's row lock or accepts a 409 when another transaction moved it first.
    """
    from_status = application.status
    if not allowed(from_status, to):
        raise TransitionRefused(
            _("Application %(number)s is %(from)s; it cannot become %(to)s.")
            % {
                "number": application.number,
                "from": Status(from_status).label,
                "to": Status(to).label,
            }
        )
    extra = dict(changes or {})
    unknown = set(extra) - ROUND_FIELDS
    if unknown:
        raise ValueError(f"transition cannot set {sorted(unknown)}")
    from_level = application.level
    new_level = from_level if isinstance(level, _Keep) else level
    values: dict[str, Any] = {"status": to, "level": new_level, "updated_at": timezone.now()}
    values.update(extra)
    moved = Application.objects.filter(pk=application.pk, status=from_status).update(**values)
    if moved != 1:
        raise TransitionRefused(
            _("Application %(number)s was changed by someone else just now; reload and try again.")
            % {"number": application.number}
        )
    for name, value in values.items():
        setattr(application, name, value)
    return audit_record(
        actor=actor,
        action=action or f"application.{to}",
        obj=obj if obj is not None else application,
        application=application,
        role=role,
        level=new_level if audit_level is None else audit_level,
        from_status=from_status,
        to_status=to,
        comment=comment,
        data=data,
    )
