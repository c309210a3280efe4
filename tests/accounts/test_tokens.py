"""API tokens end: revoked with DELETE, by a password change, when idle, at their longest life."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import time_machine
from django.test import Client
from django.utils import timezone

from grants.models import ApiToken, User


def test_a_token_stops_working_after_delete(as_user):
    api = as_user("applicant")
    assert api.get("/me").status_code == 200
    response = api.client.delete("/api/v1/auth/token", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert response.status_code == 204
    after = api.get("/me")
    assert after.status_code == 401
    assert after["Content-Type"] == "application/problem+json"
    # a second DELETE with the dead token is refused like any other call
    again = api.client.delete("/api/v1/auth/token", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert again.status_code == 401


def test_delete_revokes_only_the_token_in_use(as_user):
    first, second = as_user("applicant"), as_user("applicant")
    first.client.delete("/api/v1/auth/token", HTTP_AUTHORIZATION=f"Bearer {first.token}")
    assert first.get("/me").status_code == 401
    assert second.get("/me").status_code == 200


def test_delete_with_a_session_and_no_token_is_400(demo):
    client = Client()
    assert client.login(username="applicant", password="demo-pass-2026")
    response = client.delete("/api/v1/auth/token", HTTP_X_CSRFTOKEN="x")
    assert response.status_code in (400, 403)  # no bearer token (or no CSRF token)


def test_a_password_change_ends_every_token_of_the_user(as_user):
    one, two = as_user("finance"), as_user("finance")
    other = as_user("auditor")
    user = User.objects.get(username="finance")
    user.set_password("a-new-finance-password-2026")
    user.save()
    assert one.get("/me").status_code == 401
    assert two.get("/me").status_code == 401
    assert other.get("/me").status_code == 200
    assert not ApiToken.objects.filter(user=user, key_hash__in=[]).exists()
    # a token issued with the new password works
    response = Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": "finance", "password": "a-new-finance-password-2026"}),
        content_type="application/json",
    )
    assert response.status_code == 200


def test_password_change_on_the_web_page_ends_tokens(as_user):
    api = as_user("applicant")
    client = Client()
    assert client.login(username="applicant", password="demo-pass-2026")
    response = client.post(
        "/account/password/",
        {
            "old_password": "demo-pass-2026",
            "new_password1": "Tianshan-claims-2027",
            "new_password2": "Tianshan-claims-2027",
        },
    )
    assert response.status_code == 302, response.content
    assert api.get("/me").status_code == 401
    # the browser session that changed it stays logged in
    assert client.get("/account/").status_code == 200


def test_a_token_ends_after_the_idle_time_and_use_pushes_it(as_user, settings):
    settings.FUNDFLOW_TOKEN_IDLE_HOURS = 8
    settings.FUNDFLOW_TOKEN_TTL_HOURS = 24
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        api = as_user("applicant")
        clock.move_to(start + dt.timedelta(hours=7))
        assert api.get("/me").status_code == 200  # used: the idle time starts again
        clock.move_to(start + dt.timedelta(hours=14))
        assert api.get("/me").status_code == 200
        clock.move_to(start + dt.timedelta(hours=22, minutes=30))
        assert api.get("/me").status_code == 401  # 8 h 30 min unused


def test_a_token_ends_at_its_longest_life_even_in_use(as_user, settings):
    settings.FUNDFLOW_TOKEN_IDLE_HOURS = 8
    settings.FUNDFLOW_TOKEN_TTL_HOURS = 24
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        api = as_user("applicant")
        for hours in (6, 12, 18, 23):
            clock.move_to(start + dt.timedelta(hours=hours))
            assert api.get("/me").status_code == 200
        clock.move_to(start + dt.timedelta(hours=24, minutes=1))
        assert api.get("/me").status_code == 401


def test_the_defaults_are_8_idle_hours_within_7_days():
    """The production module's values (the suite's settings lengthen tokens for its clock jumps)."""
    code = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; "
        "django.setup(); from django.conf import settings as s; "
        "print(s.FUNDFLOW_TOKEN_IDLE_HOURS, s.FUNDFLOW_TOKEN_TTL_HOURS)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDFLOW_TOKEN")}
    env["DEBUG"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert result.stdout.split() == ["8", "168"]


def test_last_use_is_written_at_most_once_a_minute(as_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        api = as_user("applicant")
        api.get("/me")
        token = ApiToken.objects.get(user__username="applicant")
        first = token.last_used_at
        assert first is not None
        clock.move_to(start + dt.timedelta(seconds=40))
        api.get("/me")
        token.refresh_from_db()
        assert token.last_used_at == first
        clock.move_to(start + dt.timedelta(seconds=70))
        api.get("/me")
        token.refresh_from_db()
        assert token.last_used_at > first


def test_tokens_purge_deletes_ended_tokens(as_user, settings):
    from grants.services import tokens_purge

    settings.FUNDFLOW_TOKEN_IDLE_HOURS = 8
    settings.FUNDFLOW_TOKEN_TTL_HOURS = 24 * 7
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        as_user("applicant")
        clock.move_to(start + dt.timedelta(hours=9))
        live = as_user("auditor")
        assert tokens_purge() == 1
    assert live.get("/me").status_code == 200


def test_tokens_survive_a_secret_key_rotation_with_the_old_key_as_fallback(as_user, settings):
    api = as_user("applicant")
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-for-the-rotation-test-0123456789-abcdefghij"
    settings.SECRET_KEY_FALLBACKS = [old]
    assert api.get("/me").status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert api.get("/me").status_code == 401
