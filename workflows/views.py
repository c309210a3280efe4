"""Web pages for reviewers (inbox, task page with the decision form) and everyone's notifications.

They read through the same selectors as the API and decide only via
``workflows.lifecycle.decide``: there is no second transition here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST
from viewflow.workflow.models import Task

from grants.auth import AuthenticatedRequest
from grants.errors import DomainError, InvalidInput
from grants.kinds import inbox_blocks
from grants.models import Application, Level, localized
from grants.notifications import Notification
from grants.pages import forbidden
from grants.presenters import application_dict, checks_view, history_view
from grants.reviewers import level_label
from grants.selectors import applications_visible_to, reviewer_jurisdictions
from workflows import lifecycle
from workflows.review import DECISIONS, OPEN, task_deadline, task_is_overdue
from workflows.selectors import review_tasks, tasks_for, with_overdue

# Attachments shown inside the task page; anything else is a download link only.
INLINE_TYPES = {"application/pdf": "pdf", "image/png": "image", "image/jpeg": "image"}

DECISION_LABELS = {
    "approve": gettext_lazy("Approve"),
    "return": gettext_lazy("Return for changes"),
    "reject": gettext_lazy("Reject"),
}


def _task_row(task: Task, now: dt.datetime) -> dict[str, Any]:
    app = task.process.reviewprocess.application
    deadline = task_deadline(task)
    return {
        "task": task,
        "app": app,
        "level": level_label(task.data.get("level", "")),
        "round": task.data.get("round", 1),
        "deadline": deadline,
        "overdue": task_is_overdue(task, now),
    }


INBOX_PAGE = 50


@login_required
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    """The reviewer's open tasks: counts per programme by one GROUP BY, then one page of
    tasks (overdue first, oldest first), so the page costs the same with 50 or 5,000 open."""
    if not reviewer_jurisdictions(request.user):
        return forbidden(request, _("Only reviewers have a review inbox."))
    now = timezone.now()
    tasks = with_overdue(tasks_for(request.user), now)
    prefix = "process__reviewprocess__application__program__"
    counted = (
        tasks.order_by()
        .values(prefix + "code", prefix + "name", prefix + "name_en")
        .annotate(count=Count("id"), overdue=Count("id", filter=Q(is_overdue=True)))
    )
    summary = sorted(
        (
            {
                "program": {
                    "code": c[prefix + "code"],
                    "display_name": localized(c[prefix + "name"], c[prefix + "name_en"]),
                },
                "count": c["count"],
                "overdue": c["overdue"],
            }
            for c in counted
        ),
        key=lambda s: str(s["program"]["code"]),
    )
    program = request.GET.get("program", "")
    overdue_only = request.GET.get("overdue") in ("1", "on", "true")
    shown_tasks = tasks
    if program:
        shown_tasks = shown_tasks.filter(process__reviewprocess__application__program__code=program)
    if overdue_only:
        shown_tasks = shown_tasks.filter(Q(is_overdue=True))  # annotated by with_overdue
    shown_total = sum(
        s["count"] if not overdue_only else s["overdue"]
        for s in summary
        if not program or s["program"]["code"] == program
    )
    pages = max(1, -(-shown_total // INBOX_PAGE))
    try:
        page = min(max(1, int(request.GET.get("page", "1"))), pages)
    except ValueError:
        page = 1
    start = (page - 1) * INBOX_PAGE
    shown = [
        _task_row(task, now)
        for task in shown_tasks.order_by("-is_overdue", "created", "id")[start : start + INBOX_PAGE]
    ]
    passing = apps_with_all_checks_passed([row["app"].pk for row in shown])
    for row in shown:
        row["checks_pass"] = row["app"].pk in passing
    return render(
        request,
        "workflows/inbox.html",
        {
            "rows": shown,
            "summary": summary,
            "total": sum(s["count"] for s in summary),
            "total_overdue": sum(s["overdue"] for s in summary),
            "program": program,
            "overdue_only": overdue_only,
            "bulk_count": sum(row["checks_pass"] for row in shown),
            "page": page,
            "pages": pages,
            "shown_total": shown_total,
            "kind_blocks": inbox_blocks(request.user),
            # a district reviewer checks the district's organisations (letters, disputes, bank
            # details): a link, no count, so the inbox keeps its fixed number of queries
            "checks_organizations": any(
                j.level == Level.DISTRICT for j in reviewer_jurisdictions(request.user)
            ),
        },
    )


def apps_with_all_checks_passed(application_ids: list[int]) -> set[int]:
    """Applications whose latest rule evaluation passed every check (no failure, no manual review).

    One query for all rows: the evaluations of these applications, newest first.
    """
    from rules.models import Evaluation

    latest: dict[int, list[dict[str, Any]]] = {}
    for app_id, checks in (
        Evaluation.objects.filter(application_id__in=application_ids)
        .order_by("application_id", "-created_at", "-id")
        .values_list("application_id", "checks")
    ):
        latest.setdefault(app_id, checks)
    return {
        app_id
        for app_id, checks in latest.items()
        if checks and all(c.get("passed") is True for c in checks)
    }


@login_required
@require_POST
def bulk_approve(request: AuthenticatedRequest) -> HttpResponse:
    """Approve several tasks whose checks all pass: each one decided and audited on its own.

    A failure (decided meanwhile, budget short, separation of duties...) stops nothing
    else; the page reports every item with its outcome.
    """
    if not reviewer_jurisdictions(request.user):
        return forbidden(request, _("Only reviewers have a review inbox."))
    ids: list[int] = []
    for value in request.POST.getlist("tasks"):
        try:
            ids.append(int(value))
        except ValueError:
            continue
    results: list[dict[str, Any]] = []
    for task_id in dict.fromkeys(ids):  # each once, in the order given
        task = (
            tasks_for(request.user)
            .select_related("process__reviewprocess__application")
            .filter(pk=task_id)
            .first()
        )
        if task is None:
            results.append(
                {
                    "task_id": task_id,
                    "number": "",
                    "ok": False,
                    "message": _("Not an open task of yours any more (decided meanwhile?)."),
                }
            )
            continue
        app = task.process.reviewprocess.application
        if app.pk not in apps_with_all_checks_passed([app.pk]):
            results.append(
                {
                    "task_id": task_id,
                    "number": app.number,
                    "ok": False,
                    "message": _("Not every check passes: open the task and decide it yourself."),
                }
            )
            continue
        try:
            lifecycle.decide(
                application=app, actor=request.user, decision="approve", task_id=task_id
            )
        except DomainError as exc:
            detail = " ".join([exc.detail] + [e.get("message", "") for e in exc.errors]).strip()
            results.append(
                {"task_id": task_id, "number": app.number, "ok": False, "message": detail}
            )
        else:
            results.append(
                {
                    "task_id": task_id,
                    "number": app.number,
                    "ok": True,
                    "message": SUCCESS["approve"] % {"number": app.number},
                }
            )
    return render(
        request,
        "workflows/bulk_result.html",
        {
            "results": results,
            "succeeded": sum(r["ok"] for r in results),
            "failed": sum(not r["ok"] for r in results),
        },
    )


def _visible_task(request: AuthenticatedRequest, task_id: int) -> tuple[Task, Application, bool]:
    """The review task and whether the user may decide it now; 404 if neither decidable nor visible."""
    task = (
        review_tasks()
        .select_related(
            "process__reviewprocess__application__program",
            "process__reviewprocess__application__organization__district",
        )
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise Http404(_("No such review task."))
    can_decide = tasks_for(request.user).filter(pk=task.pk).exists()
    application_id = task.process.reviewprocess.application_id
    app = applications_visible_to(request.user).filter(pk=application_id).first()
    if app is None:
        if not can_decide:
            raise Http404(_("No such review task, or it is not visible to you."))
        app = task.process.reviewprocess.application
    return task, app, can_decide


def _display(value: Any) -> str:  # a value of the application's JSON fields
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def application_content(app: Application) -> dict[str, Any]:
    """What a reviewer reads of an application: fields, cost lines and attachments with the
    programme's labels, and the API's dictionary (``data``). Also the expert's view."""
    data = application_dict(app)
    program = app.program
    program_fields = list(program.fields.all())
    field_labels = {f.name: f.display_label for f in program_fields}
    cost_labels = {k.code: k.display_label for k in program.cost_line_kinds.all()}
    attachment_labels = {k.code: k.display_label for k in program.attachment_kinds.all()}
    values = data["fields"] or {}
    ordered = [f.name for f in program_fields if f.name in values]
    ordered += sorted(name for name in values if name not in field_labels)
    fields = [
        {"name": name, "label": field_labels.get(name, name), "value": _display(values[name])}
        for name in ordered
    ]
    cost_lines = [
        line | {"label": cost_labels.get(line["kind"], line["kind"])} for line in data["cost_lines"]
    ]
    attachments = [
        a
        | {
            "label": attachment_labels.get(a["kind"], a["kind"]),
            "inline": INLINE_TYPES.get(a["content_type"]),
        }
        for a in data["attachments"]
    ]
    return {
        "data": data,
        "fields": fields,
        "cost_lines": cost_lines,
        "attachments": attachments,
    }


def _task_context(task: Task, app: Application, can_decide: bool) -> dict[str, Any]:
    content = application_content(app)
    data = content["data"]
    history = history_view(app)
    now = timezone.now()
    return content | {
        "task": task,
        "app": app,
        "history": history,
        "checks": checks_view(app.program, data["checks"]),
        "can_decide": can_decide,
        "task_open": task.status in OPEN,
        "task_level": level_label(task.data.get("level", "")),
        "task_round": task.data.get("round", 1),
        "deadline": task_deadline(task),
        "overdue": task_is_overdue(task, now),
        "decisions": [(value, DECISION_LABELS[value]) for value in DECISIONS],
    }


SUCCESS = {
    "approve": gettext_lazy("Approved %(number)s."),
    "return": gettext_lazy("Returned %(number)s for changes."),
    "reject": gettext_lazy("Rejected %(number)s."),
}


@login_required
def task_detail(request: AuthenticatedRequest, task_id: int) -> HttpResponse:
    task, app, can_decide = _visible_task(request, task_id)
    form: dict[str, Any] = {"decision": "", "comment": "", "task": task.pk}
    errors: dict[str, list[str]] = {}
    error_message = ""
    status = 200
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        comment = request.POST.get("comment", "")
        posted_task = request.POST.get("task", "")
        form.update(decision=decision, comment=comment)
        try:
            task_ref = int(posted_task) if posted_task else task.pk
        except ValueError:
            task_ref = -1  # never an open task: the lifecycle answers with a conflict
        try:
            lifecycle.decide(
                application=app,
                actor=request.user,
                decision=decision,
                comment=comment,
                task_id=task_ref,
            )
        except InvalidInput as exc:
            error_message = _("Please correct the marked fields; nothing was saved.")
            for item in exc.errors:
                errors.setdefault(item.get("field", ""), []).append(item.get("message", ""))
        except DomainError as exc:
            error_message = exc.detail
            status = exc.status if exc.status in (403, 409) else 200
        else:
            messages.success(request, SUCCESS[decision] % {"number": app.number})
            return redirect("review-inbox")
        # The state may have moved on under us: show it as it is now, with the user's input kept.
        task, app, can_decide = _visible_task(request, task_id)
    context = _task_context(task, app, can_decide)
    context.update(form=form, errors=errors, error_message=error_message)
    return render(request, "workflows/task_detail.html", context, status=status)


@login_required
@xframe_options_sameorigin
def attachment_inline(
    request: AuthenticatedRequest, application_id: int, attachment_id: int
) -> FileResponse:
    """An attachment for viewing inside the task page (PDF/PNG/JPEG only; the API link downloads)."""
    app = applications_visible_to(request.user).filter(pk=application_id).first()
    if app is None:
        raise Http404(_("No such application, or it is not visible to you."))
    att = get_object_or_404(app.attachments, pk=attachment_id, content_type__in=list(INLINE_TYPES))
    response = FileResponse(
        att.file.open("rb"),
        content_type=att.content_type,
        as_attachment=False,
        filename=att.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    from django.core.paginator import Paginator

    qs = (
        Notification.objects.filter(user=request.user)
        .select_related("application")
        .order_by("-created_at", "-id")
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request, "notifications/list.html", {"page": page, "notifications": page.object_list}
    )


@login_required
@require_POST
def notification_read_all(request: AuthenticatedRequest) -> HttpResponse:
    count = Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if count:
        messages.success(request, _("Marked %(count)d notifications as read.") % {"count": count})
    return redirect("notification-list")
