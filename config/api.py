"""The public HTTP API v1 (contract: shared/spec/api.md), built on django-ninja.

django-ninja over DRF: the contract is small and typed, ninja derives the
OpenAPI schema from the same pydantic schemas that validate input, ships its
Swagger UI as static files (no CDN), and keeps endpoints as plain functions
that call the domain services. Every error leaves here as
application/problem+json (RFC 9457).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DatabaseError, DataError, connection
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from agencies import api as agencies_api
from config.apikit import Problem, problem
from config.dbfaults import RETRY_AFTER_SECONDS, db_conflict, db_unavailable
from finance import api as finance_api
from grants import api as grants_api
from grants.errors import DomainError
from grants.services import token_user
from indicators import api as indicators_api
from letters import api as letters_api
from navigation import api as navigation_api
from programs import api as programs_api
from programs.schema import DEFINITION_SCHEMA
from rules import api as rules_api
from workflows import api as workflows_api

log = logging.getLogger(__name__)


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """A browser session, with Django's CSRF check for a logged-in user.

    ninja's own session auth checks CSRF before it knows who is calling, so an
    anonymous write got 403 "CSRF check Failed" (in English) instead of 401. Here
    nobody logged in means no credentials (401); a logged-in session without a valid
    CSRF token is 403 with a message in the caller's language.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise PermissionDenied(
                _("The form's security token (CSRF) is missing or out of date; reload the page.")
            )
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else None


class Utf8Renderer(JSONRenderer):
    """JSON with Chinese as characters, not \\u escapes; Decimal as strings."""

    json_dumps_params = {"ensure_ascii": False}


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_STATUSES = {
    400: "Malformed request (not JSON, not UTF-8, a query that cannot be read)",
    401: "Not logged in: no valid bearer token or session",
    403: "Logged in, but not allowed (role, separation of duties, CSRF)",
    404: "Not found, or not visible to you",
    409: "Conflict with the current state or with a simultaneous change",
    413: "The request body is too large",
    422: "Valid JSON that breaks a rule; errors[] names each field",
    503: "The database cannot be reached; nothing was saved (see Retry-After)",
}


class FundflowAPI(NinjaAPI):
    """The API object; its OpenAPI document declares every error as problem+json.

    Each operation lists the errors it can answer: those its handlers raise (declared
    with ``response=``), and those any operation of its shape can meet at the boundary:
    401 when it needs a login, 404 when its path has parameters, 400/413/422 when it
    takes a body or query parameters, 409 for writes (a simultaneous change), 503 for
    anything that touches the database.
    """

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("Problem", Problem.model_json_schema())
        # the programme definition document (fundflow.program/1), published with the docs
        components.setdefault(
            "ProgramDefinition",
            {k: v for k, v in DEFINITION_SCHEMA.items() if k not in ("$schema", "$id")},
        )
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                self._declare_problems(path, method, operation)
        return schema

    @staticmethod
    def _declare_problems(path: str, method: str, operation: dict[str, Any]) -> None:
        responses = {int(code): entry for code, entry in operation.get("responses", {}).items()}
        wanted = {code for code in responses if code >= 400}
        params = operation.get("parameters", [])
        writes = method in ("post", "put", "patch", "delete")
        needs_login = bool(operation.get("security")) and path not in PUBLIC_PATHS
        if needs_login:
            wanted.add(401)
        if "{" in path:
            wanted |= {404, 422}  # not visible; a path parameter that is not a number
        if writes or any(p.get("in") == "query" for p in params):
            wanted |= {400, 422}
        if writes:
            wanted |= {409, 413}
            if needs_login:
                wanted.add(403)
        if path not in NO_DATABASE_PATHS:
            wanted.add(503)
        for code in wanted:
            entry = responses.setdefault(code, {})
            entry["description"] = PROBLEM_STATUSES.get(code, entry.get("description", "Error"))
            entry["content"] = {"application/problem+json": {"schema": PROBLEM_REF}}
            if code == 503:
                entry["headers"] = {
                    "Retry-After": {
                        "description": "Seconds to wait before trying again",
                        "schema": {"type": "integer"},
                    }
                }
        if any(p.get("in") == "query" for p in params):
            # answered by the front server (gunicorn, nginx) before the application
            responses[414] = {
                "description": "The request line is longer than the front server accepts",
                "content": {"text/html": {"schema": {"type": "string"}}},
            }
        operation["responses"] = {code: responses[code] for code in sorted(responses)}


# Paths whose operations are answered without the database / without a login.
NO_DATABASE_PATHS = {"/api/v1/health"}
PUBLIC_PATHS = {"/api/v1/health", "/api/v1/ready"}


api = FundflowAPI(
    renderer=Utf8Renderer(),
    title="fundflow API",
    version="1",
    description="Grant applications, review chains, awards and payments. Money is a decimal string.",
    urls_namespace="api-v1",
    auth=[BearerAuth(), SessionAuth()],
    openapi_url="/openapi.json",
    docs_url="/docs",
)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    extra = dict(exc.extra)
    if exc.errors:
        extra["errors"] = exc.errors
    return problem(exc.status, exc.slug, exc.title, exc.detail, **extra)


def _field_path(loc: tuple | list) -> str:
    parts = [
        p for p in loc if p not in ("body", "payload", "query", "path", "form", "file", "data")
    ] or list(loc[-1:])
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    errors = []
    malformed = False
    for err in exc.errors:
        if (
            err.get("type") in {"json_invalid", "model_attributes_type"}
            and len(err.get("loc", ())) <= 2
        ):
            malformed = True
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        errors.append({"field": _field_path(err.get("loc", ())), "message": message})
    if malformed:
        return problem(
            400,
            "malformed",
            _("Malformed request"),
            _("The body is not a JSON object."),
            errors=errors,
        )
    return problem(
        422,
        "invalid-input",
        _("The input is not valid"),
        _("Please correct the fields listed in errors."),
        errors=errors,
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return problem(
        401,
        "unauthenticated",
        _("Not logged in"),
        _("Send Authorization: Bearer <token> from POST /api/v1/auth/token, or log in."),
    )


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return problem(
        403, "forbidden", _("Not allowed"), str(exc) or _("Your role does not allow this.")
    )


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return problem(
        404, "not-found", _("Not found"), _("Nothing here, or it is not visible to you.")
    )


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if exc.status_code == 400:
        return problem(400, "malformed", _("Malformed request"), str(exc))
    return problem(exc.status_code, "http-error", str(exc), str(exc))


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc: RequestDataTooBig):
    return problem(
        413,
        "too-large",
        _("The request is too large"),
        _("The request body is larger than %(max).1f MB.")
        % {"max": (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) / 1_048_576},
    )


@api.exception_handler(DatabaseError)
def on_database_error(request, exc: DatabaseError):
    """The database is unreachable (503, try again shortly) or two writers crossed (409)."""
    if db_conflict(exc):
        response = problem(
            409,
            "concurrent-change",
            _("Conflict with a simultaneous change"),
            _("Someone changed the same records at the same moment; nothing was saved. Try again."),
        )
        setattr(response, "conflict_retryable", True)  # noqa: B010  ConflictRetryMiddleware retries
        return response
    if isinstance(exc, DataError):  # a value the column cannot hold (checked before, mostly)
        log.warning("data error on %s %s: %s", request.method, request.path, exc)
        return problem(
            422,
            "invalid-input",
            _("The input is not valid"),
            _("A value is too long or out of range for what it is stored in."),
        )
    if db_unavailable(exc):
        response = problem(
            503,
            "unavailable",
            _("Temporarily unavailable"),
            _("The database cannot be reached just now; nothing was saved. Try again shortly."),
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return on_unexpected(request, exc)


@api.exception_handler(Exception)
def on_unexpected(request, exc: Exception):
    log.exception("unexpected error on %s %s", request.method, request.path)
    return problem(
        500,
        "server-error",
        _("Internal error"),
        _("Something went wrong on our side; nothing was changed. The error has been logged."),
    )


@api.get("/health", auth=None, tags=["system"], summary="Liveness: touches no database")
def health(request):
    return {"ok": True, "version": api.version, "language": request.LANGUAGE_CODE}


@api.get(
    "/ready",
    auth=None,
    tags=["system"],
    summary="Readiness: the database answers (503 with Retry-After while it does not)",
    response={200: dict, 503: Problem},
)
def ready(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True, "database": connection.vendor}


api.add_router("", grants_api.router)
api.add_router("", workflows_api.router)
api.add_router("", rules_api.router)
api.add_router("", finance_api.router)
api.add_router("", agencies_api.router)
api.add_router("/navigation", navigation_api.router)
api.add_router("", letters_api.router)
api.add_router("", programs_api.router)
api.add_router("", indicators_api.router)
