"""Web pages. They read through the same selectors as the API and change state only via services."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from grants import kinds
from grants.auth import AuthenticatedRequest
from grants.models import Program, Status
from grants.presenters import application_dict, application_view, program_dict
from grants.selectors import applications_visible_to, is_member, user_roles


def home(request: HttpRequest) -> HttpResponse:
    programs = Program.objects.filter(is_active=True).prefetch_related("budgets")
    context: dict[str, Any] = {"programs": [program_dict(p) | {"obj": p} for p in programs]}
    if request.user.is_authenticated:
        context["roles"] = sorted(user_roles(request.user))
        context["recent"] = applications_visible_to(request.user).order_by("-updated_at")[:10]
        context["navigation_links"] = kinds.home_links(request.user)
    return render(request, "home.html", context)


@login_required
def application_list(request: AuthenticatedRequest) -> HttpResponse:
    qs = applications_visible_to(request.user).order_by("-updated_at")
    status = request.GET.get("status", "")
    program = request.GET.get("program", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    if program:
        qs = qs.filter(program__code=program)
    return render(
        request,
        "grants/application_list.html",
        {
            "applications": qs[:200],
            "statuses": Status.choices,
            "programs": Program.objects.filter(is_active=True),
            "status": status,
            "program": program,
        },
    )


@login_required
def application_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    app = applications_visible_to(request.user).filter(pk=pk).first()
    if app is None:
        raise Http404(_("No such application, or it is not visible to you."))
    if is_member(request.user, app.organization_id):
        # the applicant's own page: decisions in plain words, no internal checks or flags
        return redirect("portal-application", pk=app.pk)
    from letters.services import acceptance_certificate

    return render(
        request,
        "grants/application_detail.html",
        {
            "app": app,
            "data": application_dict(app),
            "view": application_view(app),
            "certificate": acceptance_certificate(app),
        },
    )


def api_not_found(request: HttpRequest) -> HttpResponse:
    from config.apikit import problem

    return problem(404, "not-found", _("Not found"), _("No such API resource."))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return api_not_found(request)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "type": "urn:fundflow:problem:server-error",
                "title": "Internal error",
                "status": 500,
                "detail": "Something went wrong on our side; the error has been logged.",
            },
            status=500,
            content_type="application/problem+json",
        )
    return render(request, "500.html", status=500)
