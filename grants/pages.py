"""What the web pages do with a refused action: its message, the status to show it with, and
the 403 page. The services raise ``grants.errors.DomainError``; pages render these."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from grants.errors import DomainError


def refusal_message(exc: DomainError) -> str:
    """A refusal's message for the top of the form (field errors are also shown at their fields)."""
    return " ".join([exc.detail] + [e.get("message", "") for e in exc.errors]).strip()


def refusal_status(exc: DomainError) -> int:
    """Refused or overtaken by another change: the page is shown again with that status."""
    return exc.status if exc.status in (403, 409) else 200


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "workflows/forbidden.html", {"message": message}, status=403)
