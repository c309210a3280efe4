"""Public notice actions: publish a notice over a list of applications, file an objection (no
login), resolve it, and the sign-off with its guard (period over, every objection resolved).

A step any programme may use. Who may publish, resolve and sign off, and what happens to a
listed application when an objection against it is upheld or the notice is signed off, is
the caller's: these actions take the level they are recorded at and who is told of an
objection as parameters. Each runs in one transaction with its audit row; the audit actions
keep the ``navigation.*`` names under which the existing audit chain recorded them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.audit import audit_record
from grants.calendar import deadline_after
from grants.errors import Conflict, InvalidInput
from grants.models import Application, Program, Role
from grants.notifications import notify
from grants.reviewers import administrators
from grants.services import clean_text, next_in_sequence
from notices.models import Notice, NoticeEntry, Objection


def _collect(errors: list[dict], clean, *args, **kwargs):
    """Run a cleaner, adding its errors to ``errors`` (so one answer names every bad field)."""
    try:
        return clean(*args, **kwargs)
    except InvalidInput as exc:
        errors.extend(exc.errors)
        return None


def listed(notice: Notice, *, withdrawn: bool | None = None):
    """The applications ``notice`` lists (only those withdrawn, or only the others), by id."""
    entries = NoticeEntry.objects.filter(notice=notice)
    if withdrawn is not None:
        entries = entries.filter(withdrawn=withdrawn)
    return Application.objects.filter(pk__in=entries.values("application_id")).order_by("pk")


def notice_publish(
    *,
    actor,
    program: Program,
    applications: Sequence[Application],
    working_days: int,
    comment: str = "",
    role: str = Role.REVIEWER,
    level: str = "",
) -> Notice:
    """Publish a notice of ``applications`` for ``working_days`` working days (from now, with
    Chinese public holidays, ``grants.calendar``). Who may publish is the caller's."""
    with transaction.atomic():
        now = timezone.now()
        year = timezone.localdate().year
        serial = next_in_sequence(f"notice:{year}")
        notice = Notice.objects.create(
            number=f"GS-{year}-{serial:04d}",
            program=program,
            published_at=now,
            ends_at=deadline_after(now, working_days),
            working_days=working_days,
            comment=comment,
            decided_by=actor,
        )
        NoticeEntry.objects.bulk_create(
            [NoticeEntry(notice=notice, application=app) for app in applications]
        )
        audit_record(
            actor=actor,
            action="navigation.notice_publish",
            obj=notice,
            role=role,
            level=level,
            data={
                "number": notice.number,
                "ends_at": notice.ends_at.isoformat(),
                "projects": sorted(app.pk for app in applications),
            },
        )
        return notice


def objection_file(
    *,
    notice: Notice,
    name: str,
    contact: str,
    text: str,
    application_id: int | None = None,
    notify_levels: Sequence[str] = (),
) -> Objection:
    """Anyone may object on the public page while the notice runs (no login), to the notice
    as a whole or to one application it lists. The administrators and the reviewers of
    ``notify_levels`` (those who resolve objections) are told."""
    errors: list[dict] = []
    name = _collect(errors, clean_text, name, "name", max_length=100)
    contact = _collect(errors, clean_text, contact, "contact", max_length=100)
    text = _collect(errors, clean_text, text, "text", max_length=4000)
    application = None
    if application_id is not None:  # the applications of a notice are fixed when it is published
        entry = (
            NoticeEntry.objects.select_related("application")
            .filter(notice=notice, application_id=application_id)
            .first()
        )
        if entry is None:
            errors.append({"field": "project", "message": _("Not a project of this notice.")})
        elif entry.withdrawn:
            errors.append(
                {
                    "field": "project",
                    "message": _("This project is already withdrawn after an objection."),
                }
            )
        else:
            application = entry.application
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if not notice.is_open_for_objections():
            raise Conflict(_("The public notice period is over."))
        objection = Objection.objects.create(
            notice=notice, project=application, name=name, contact=contact, text=text
        )
        audit_record(
            actor=None,
            action="navigation.objection_file",
            obj=objection,
            application=application,
            role="public",
            comment=text,
            data={"notice": notice.number, "name": name},
        )
        recipients = administrators() + list(
            get_user_model().objects.filter(
                roles__role=Role.REVIEWER, roles__level__in=list(notify_levels), is_active=True
            )
        )
        notify(
            users=recipients,
            kind="objection_filed",
            application=application,
            context={"notice": notice},
        )
    return objection


def objection_resolve(
    *, actor, objection: Objection, outcome: str, resolution: str, level: str = ""
) -> Objection:
    """Resolve an objection: dismissed, or upheld (the application it names is withdrawn from
    the notice). The caller decides who may, and what a withdrawal means for the application
    (in the same transaction)."""
    if outcome not in (Objection.Status.DISMISSED, Objection.Status.UPHELD):
        raise InvalidInput([{"field": "outcome", "message": _("Use dismissed or upheld.")}])
    resolution = clean_text(resolution, "resolution")
    with transaction.atomic():
        objection = (
            Objection.objects.select_for_update(of=("self",))
            .select_related("project")
            .get(pk=objection.pk)
        )
        if objection.status != Objection.Status.OPEN:
            raise Conflict(_("The objection was already resolved."))
        if outcome == Objection.Status.UPHELD and objection.project is None:
            raise InvalidInput(
                [
                    {
                        "field": "outcome",
                        "message": _("Only an objection to a named project is upheld."),
                    }
                ]
            )
        objection.status = outcome
        objection.resolution = resolution
        objection.resolved_by = actor
        objection.resolved_at = timezone.now()
        objection.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
        audit_record(
            actor=actor,
            action="navigation.objection_resolve",
            obj=objection,
            application=objection.project,
            role=Role.REVIEWER,
            level=level,
            comment=resolution,
            data={"outcome": outcome},
        )
        if outcome == Objection.Status.UPHELD and objection.project_id is not None:
            NoticeEntry.objects.filter(
                notice_id=objection.notice_id, application_id=objection.project_id
            ).update(withdrawn=True)
    return objection


def notice_sign_off(
    *, actor, notice: Notice, now: dt.datetime | None = None, level: str = ""
) -> tuple[Notice, list[Application]]:
    """Sign the notice off: refused while its period runs or an objection is open, or when it
    was signed off already. Returns the notice and the applications it lists that were not
    withdrawn (by id, locked): the caller gives each its award in the same transaction (it
    holds one around this call). Who may sign off is the caller's."""
    with transaction.atomic():
        now = now or timezone.now()
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.status != Notice.Status.OPEN:
            raise Conflict(_("The notice was already signed off."))
        if now <= notice.ends_at:
            raise Conflict(
                _("The public notice runs until %(end)s.")
                % {"end": timezone.localtime(notice.ends_at).strftime("%Y-%m-%d %H:%M")}
            )
        open_objections = notice.objections.filter(status=Objection.Status.OPEN).count()
        if open_objections:
            raise Conflict(_("%(n)d objection(s) are not resolved yet.") % {"n": open_objections})
        applications = list(
            listed(notice, withdrawn=False)
            .select_for_update(of=("self",))
            .select_related("program", "organization")
        )
        notice.status = Notice.Status.SIGNED_OFF
        notice.signed_off_by = actor
        notice.signed_off_at = now
        notice.save(update_fields=["status", "signed_off_by", "signed_off_at"])
        audit_record(
            actor=actor,
            action="navigation.sign_off",
            obj=notice,
            role=Role.REVIEWER,
            level=level,
            data={"number": notice.number, "projects": [app.pk for app in applications]},
        )
        return notice, applications
