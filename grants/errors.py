"""Domain errors. The API turns each into application/problem+json; views into form errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class DomainError(Exception):
    status = 400
    slug = "bad-request"
    title = _("Bad request")

    def __init__(
        self,
        detail: str | StrPromise = "",
        *,
        errors: list[dict[str, str]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(str(detail))
        self.detail = str(detail)
        self.errors = errors or []
        self.extra = extra


class InvalidInput(DomainError):
    """Valid JSON that breaks a rule of the contract; ``errors`` names each field."""

    status = 422
    slug = "invalid-input"
    title = _("The input is not valid")

    def __init__(
        self, errors: list[dict[str, str]], detail: str | StrPromise = "", **extra: Any
    ) -> None:
        super().__init__(
            detail or _("Please correct the fields listed in errors."), errors=errors, **extra
        )


class BankDetailsMissing(InvalidInput):
    """A payee without confirmed bank details cannot be put in a disbursement batch."""

    slug = "bank-details-missing"
    title = _("A payee has no confirmed bank details")


class ChecksFailed(DomainError):
    status = 422
    slug = "checks-failed"
    title = _("The application does not pass the programme's rules")


class WindowClosed(DomainError):
    status = 422
    slug = "window-closed"
    title = _("The programme is not open for submissions")


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = _("Not found")


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"
    title = _("Not allowed")


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = _("Conflict with the current state")


class Disputed(Conflict):
    """The organisation is disputed (who may act for it): no new application until resolved."""

    slug = "organization-disputed"
    title = _("The organisation is disputed")


class TooLarge(DomainError):
    status = 413
    slug = "too-large"
    title = _("The upload is too large")


class UnsupportedFile(DomainError):
    status = 422
    slug = "unsupported-file"
    title = _("The file is not an accepted type")
