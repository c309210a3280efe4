"""What a database fault means to the person who caused the request.

- Two writers crossed (PostgreSQL deadlock, serialization failure, a lock wait past
  ``lock_timeout``; SQLite "database is locked"): nothing was saved. An API write is
  retried a few times (``ConflictRetryMiddleware``), then answered 409.
- The database cannot be reached (connection refused or dropped, shutting down,
  starting up): 503 with ``Retry-After``, on pages as well as in the API.

Neither is ever a 500: the request did nothing wrong.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
ATTEMPTS = 3

# SQLSTATEs: deadlock, serialization failure, lock not available (lock_timeout/NOWAIT).
CONFLICT_STATES = {"40P01", "40001", "55P03"}
# Class 08 connection exceptions; 57P01-57P03 admin shutdown, crash shutdown, cannot connect now.
UNAVAILABLE_STATES = {"57P01", "57P02", "57P03"}


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        chain.append(current)
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return chain


def _sqlstate(exc: BaseException) -> str:
    for cause in _causes(exc):
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if state:
            return str(state)
    return ""


def db_conflict(exc: BaseException) -> bool:
    """Two transactions crossed; doing the same again may well succeed."""
    if _sqlstate(exc) in CONFLICT_STATES:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


def db_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached (not a fault of the request)."""
    state = _sqlstate(exc)
    if state.startswith("08") or state in UNAVAILABLE_STATES:
        return True
    if isinstance(exc, InterfaceError):
        return True  # the connection is closed
    if isinstance(exc, OperationalError) and not state:
        text = str(exc).lower()
        return any(
            words in text
            for words in (
                "connection",
                "could not connect",
                "server closed",
                "terminating",
                "the database system is",
                "unable to open database",
            )
        )
    return False


def unavailable_page() -> HttpResponse:
    """A page that needs nothing from the database (no template, no context processors)."""
    body = (
        "<!doctype html><html lang='zh-Hans'><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>暂时无法访问</title><h1>系统暂时无法访问</h1>"
        "<p>数据库暂时无法连接，本次操作未保存任何内容。请稍后重试。</p>"
        "<p lang='en'>The database cannot be reached just now; nothing was saved. "
        "Please try again shortly.</p></html>"
    )
    response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseFaultMiddleware:
    """Pages: a database fault is a 503 or 409 page, never the 500 page."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, DatabaseError) or request.path.startswith("/api/"):
            return None  # the API's own handlers answer problem+json
        if db_unavailable(exc):
            log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
            return unavailable_page()
        if db_conflict(exc):
            log.info("concurrent change on %s %s: %s", request.method, request.path, exc)
            return HttpResponse(
                _(
                    "Someone changed the same records at the same moment; nothing was saved. "
                    "Go back and send the form again."
                ),
                status=409,
                content_type="text/plain; charset=utf-8",
            )
        return None


class ConflictRetryMiddleware:
    """An API write that lost a deadlock or a serialization race is run again, up to
    ``ATTEMPTS`` times with a short random pause, before its 409 goes out.

    Only JSON or empty bodies are replayed (an upload's file has been read). Every write
    path runs its change in one transaction, so a lost race left nothing behind.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not self._replayable(request):
            return response
        attempt = 1
        while getattr(response, "conflict_retryable", False) and attempt < ATTEMPTS:
            attempt += 1
            time.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311 (jitter, not secrecy)
            log.info("retrying %s %s after a conflict (#%d)", request.method, request.path, attempt)
            response = self.get_response(request)
        return response

    @staticmethod
    def _replayable(request: HttpRequest) -> bool:
        if not request.path.startswith("/api/") or request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        empty = (request.META.get("CONTENT_LENGTH") or "0") == "0"
        return empty or request.content_type == "application/json"
