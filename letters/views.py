"""Web pages: the public verification page, and the administrator's re-issue with a progress bar."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from grants.errors import DomainError
from grants.models import Program
from letters import services
from letters.models import LetterKind, ReissueBatch


def verify(request, code: str):
    """Anyone, no login: is this letter genuine? Revoked and superseded letters say so."""
    try:
        letter = services.letter_by_code(code)
    except DomainError:
        return render(request, "letters/verify.html", {"letter": None}, status=404)
    return render(
        request,
        "letters/verify.html",
        {"letter": letter, "data": services.verification_dict(letter)},
    )


@staff_member_required
def reissue(request):
    programs = Program.objects.order_by("-year", "code")
    context = {"programs": programs, "kinds": LetterKind.choices, "errors": []}
    if request.method == "POST":
        program_code = request.POST.get("program", "")
        program = programs.filter(code=program_code).first() if program_code else None
        try:
            batch = services.letters_reissue(
                actor=request.user,
                reason=request.POST.get("reason", ""),
                program=program,
                kind=request.POST.get("kind", ""),
            )
        except DomainError as exc:
            context["errors"] = [e["message"] for e in exc.errors] or [exc.detail]
        else:
            return redirect("letters-batch", pk=batch.pk)
    return render(request, "letters/reissue.html", context)


@staff_member_required
def batch_progress(request, pk: int):
    batch = get_object_or_404(ReissueBatch, pk=pk)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"id": batch.pk, "total": batch.total, "done": batch.done})
    return render(request, "letters/batch.html", {"batch": batch})
