"""Headers and sessions: CSP on pages, HSTS and the rest from the environment, idle sessions."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys
from pathlib import Path

import time_machine
from django.test import Client
from django.utils import timezone

from tests.support.personas import PASSWORD

ROOT = Path(__file__).resolve().parents[2]  # the repository: manage.py

# The production variables of the README ("Production"): with them `check --deploy` is silent.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "grants.example.gov.cn",
    "SECURE_SSL_REDIRECT": "1",
    "USE_X_FORWARDED_PROTO": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def _manage(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FUNDFLOW_", "DJANGO_"))}
    base.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="config.settings",
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_silent_with_the_production_variables(tmp_path):
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr
    assert "WARNING" not in result.stderr


def test_production_settings_turn_on_secure_cookies_and_two_factor(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_SECURE,"
        " s.FUNDFLOW_STAFF_2FA, s.SECURE_HSTS_SECONDS)"
    )
    result = _manage(["shell", "-c", code], PRODUCTION_ENV, tmp_path)
    assert result.stdout.split()[-5:] == ["True", "True", "True", "True", "31536000"], result.stderr
    demo = _manage(["shell", "-c", code], {"DEBUG": "1"}, tmp_path)
    assert demo.stdout.split()[-5:] == ["False", "True", "False", "False", "0"], demo.stderr


def test_pages_carry_a_content_security_policy_without_inline_allowances(demo):
    client = Client()
    for path in ("/", "/login/", "/api/v1/docs", "/admin/login/", "/password-reset/"):
        response = client.get(path)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
    assert "Content-Security-Policy" not in client.get("/api/v1/health")  # JSON needs none


def test_hsts_comes_from_the_environment(demo, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = Client().get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_session_ends_after_the_idle_time(demo, settings):
    assert settings.FUNDFLOW_SESSION_IDLE_MINUTES == 30
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        client.post("/login/", {"username": "applicant", "password": PASSWORD})
        for minutes in (10, 25, 50):  # active: each request pushes the end
            clock.move_to(start + dt.timedelta(minutes=minutes))
            assert client.get("/portal/").status_code == 200
        clock.move_to(start + dt.timedelta(minutes=50 + 31))
        response = client.get("/portal/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_session_cookie_is_http_only(demo):
    client = Client()
    client.post("/login/", {"username": "applicant", "password": PASSWORD})
    assert client.cookies["sessionid"]["httponly"]
