"""Web pages: the public verification page, and the administrator's re-issue with a progress bar."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from grants.errors import DomainError
from grants.models import Program
from letters import services
from letters.models import LetterKind, ReissueBatch


def _checked_file(request) -> tuple[dict | None, str]:
    """The verdict on an uploaded PDF (POST ``file``), or an error message for the form."""
    upload = request.FILES.get("file")
    if upload is None:
        return None, _("Choose the PDF file of the letter.")
    if upload.size > services.VERIFY_MAX_BYTES:
        return None, _("This file is too large to be one of our letters.")
    try:
        return services.letter_verify_file(upload.read()), ""
    except DomainError as exc:
        return None, "; ".join(e["message"] for e in exc.errors) or exc.detail


def verify_start(request):
    """Anyone, no login: type or read out a verification code, or upload the PDF to check it."""
    context: dict = {"letter": None, "start": True}
    if request.method == "POST":
        context["checked"], context["upload_error"] = _checked_file(request)
    elif request.GET.get("code"):
        typed = request.GET["code"].strip()
        try:
            letter = services.letter_by_code(typed)
        except DomainError:
            context["code_error"] = _(
                "No letter has this verification code. Check it, or upload the PDF below."
            )
            context["typed"] = typed[:80]
            return render(request, "letters/verify.html", context, status=404)
        return redirect("letters-verify", code=letter.code)
    return render(request, "letters/verify.html", context)


def verify(request, code: str):
    """Anyone, no login: is this letter genuine? Revoked and superseded letters say so, and
    the person can upload the file they hold to learn whether it is this letter, unaltered."""
    try:
        letter = services.letter_by_code(code)
    except DomainError:
        return render(request, "letters/verify.html", {"letter": None}, status=404)
    context = {
        "letter": letter,
        "data": services.verification_dict(letter),
        "amount_text": services.money(letter.amount),  # 35,000.00
    }
    if request.method == "POST":
        context["checked"], context["upload_error"] = _checked_file(request)
    return render(request, "letters/verify.html", context)


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
