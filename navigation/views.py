"""Web pages: the public notice (no login) with its objection form, and the ranking."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from grants.errors import DomainError
from navigation import services
from navigation.api import notice_dict
from navigation.models import Notice


def notice_list(request):
    notices = Notice.objects.select_related("program").order_by("-id")[:50]
    return render(request, "navigation/notice_list.html", {"notices": notices})


def notice_detail(request, pk: int):
    notice = get_object_or_404(Notice.objects.select_related("program"), pk=pk)
    form = {"name": "", "contact": "", "text": "", "project": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in form}
        try:
            services.objection_file(
                notice=notice,
                name=form["name"],
                contact=form["contact"],
                text=form["text"],
                project_id=int(form["project"]) if form["project"].isdigit() else None,
            )
        except DomainError as exc:
            errors = {e["field"]: e["message"] for e in exc.errors} or {"": exc.detail}
        else:
            messages.success(request, _("Your objection was received; it will be answered."))
            return redirect("navigation-notice", pk=notice.pk)
    return render(
        request,
        "navigation/notice_detail.html",
        {"notice": notice, "data": notice_dict(notice), "form": form, "errors": errors},
    )


@login_required
def ranking(request, code: str):
    from navigation.api import _decides, _program

    if not _decides(request):
        raise Http404
    program = _program(code)
    return render(
        request,
        "navigation/ranking.html",
        {
            "program": program,
            "config": services.config_for(program),
            "projects": services.ranking(program),
        },
    )
