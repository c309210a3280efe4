"""Login limits on the three login paths: /api/v1/auth/token, /login/ and /admin/login/.

Only failed attempts count. One user from one address: LOGIN_FAILURE_LIMIT (20) failures
lock that user out for LOGIN_LOCKOUT_MINUTES; the same address still logs in as anyone
else. One address, many users: throttled above LOGIN_ADDRESS_FAILURE_LIMIT in a window.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.limits import client_address
from grants.models import User
from tests.support.personas import PASSWORD

OFFICE = "10.20.30.40"
ELSEWHERE = "10.99.0.7"


def api_login(username: str, password: str, address: str = OFFICE, **extra):
    return Client(REMOTE_ADDR=address, **extra).post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": password}),
        content_type="application/json",
    )


def web_login(path: str, username: str, password: str, address: str = OFFICE, **extra):
    client = Client(REMOTE_ADDR=address, **extra)
    return client.post(path, {"username": username, "password": password}), client


def test_21_wrong_passwords_lock_the_user_while_the_address_logs_in_as_another(demo, settings):
    assert settings.FUNDFLOW_LOGIN_FAILURE_LIMIT == 20
    assert settings.FUNDFLOW_LOGIN_LOCKOUT_MINUTES == 30
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        answers = [api_login("finance", f"guess-{n}").status_code for n in range(21)]
        assert answers[:19] == [401] * 19
        assert answers[-1] == 429  # the 20th failure locked; the 21st is refused
        # the right password now fails too, with the reason and when to retry
        locked = api_login("finance", PASSWORD)
        assert locked.status_code == 429
        assert locked["Content-Type"] == "application/problem+json"
        assert locked.json()["type"].endswith("login-locked")
        assert "30" in locked.json()["detail"] and int(locked["Retry-After"]) == 1800
        # the same address (one NAT for the whole bureau) still logs in as someone else
        assert api_login("auditor", PASSWORD).status_code == 200
        # still locked a minute before the configured time is over
        clock.move_to(start + dt.timedelta(minutes=29))
        assert api_login("finance", PASSWORD).status_code == 429
        clock.move_to(start + dt.timedelta(minutes=31))
        assert api_login("finance", PASSWORD).status_code == 200


def test_the_right_password_fails_until_an_administrator_unlocks(demo):
    for n in range(21):
        api_login("reviewer-city", f"guess-{n}")
    assert api_login("reviewer-city", PASSWORD).status_code == 429
    admin = Client()
    admin.force_login(User.objects.get(username="admin"))
    user = User.objects.get(username="reviewer-city")
    response = admin.post(
        "/admin/grants/user/",
        {"action": "unlock_login", "_selected_action": [user.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert api_login("reviewer-city", PASSWORD).status_code == 200
    from grants.audit import AuditEntry

    assert AuditEntry.objects.filter(action="account.login_unlock", object_id=str(user.pk)).exists()


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_web_and_admin_login_lock_with_a_message_in_the_users_language(demo, path):
    for n in range(21):
        web_login(path, "admin", f"guess-{n}")
    response, _client = web_login(path, "admin", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录失败次数过多" in page and "30" in page
    english, _client = web_login(path, "admin", PASSWORD, HTTP_COOKIE="django_language=en")
    assert english.status_code == 429
    assert "Too many failed logins for this account" in english.content.decode()
    # another user from the same address is not affected
    User.objects.filter(username="reviewer-region").update(is_staff=True)  # may use the admin
    other, _client = web_login(path, "reviewer-region", PASSWORD)
    assert other.status_code == 302


def test_failures_on_one_path_count_on_the_others(demo):
    for n in range(10):
        web_login("/login/", "auditor", f"guess-{n}")
    for n in range(10):
        web_login("/admin/login/", "auditor", f"guess-{n}")
    assert api_login("auditor", PASSWORD).status_code == 429


def test_successful_logins_do_not_count_and_clear_the_failures(demo):
    for _round in range(3):
        for n in range(15):
            assert api_login("applicant", f"guess-{n}").status_code == 401
        assert api_login("applicant", PASSWORD).status_code == 200


def test_one_user_from_many_addresses_is_locked_at_the_user_limit(demo, settings):
    settings.FUNDFLOW_LOGIN_USER_FAILURE_LIMIT = 30
    for address in ("10.1.0.1", "10.1.0.2", "10.1.0.3"):
        for n in range(10):
            assert api_login("finance", f"guess-{n}", address).status_code in (401, 429)
    assert api_login("finance", PASSWORD, "10.1.0.4").status_code == 429
    assert api_login("auditor", PASSWORD, "10.1.0.4").status_code == 200


def test_an_address_with_many_failures_is_throttled_for_a_while_not_locked(demo, settings):
    settings.FUNDFLOW_LOGIN_ADDRESS_FAILURE_LIMIT = 30
    settings.FUNDFLOW_LOGIN_ADDRESS_WINDOW_MINUTES = 10
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for n in range(30):  # someone tries many user names from the bureau's address
            assert api_login(f"nobody-{n}", "guess").status_code == 401
        throttled = api_login("auditor", PASSWORD)
        assert throttled.status_code == 429
        assert throttled.json()["type"].endswith("login-throttled")
        assert api_login("auditor", PASSWORD, ELSEWHERE).status_code == 200
        clock.move_to(start + dt.timedelta(minutes=11))  # the window slid on
        assert api_login("auditor", PASSWORD).status_code == 200


def test_behind_a_proxy_each_client_address_counts_on_its_own(demo, settings):
    settings.FUNDFLOW_TRUSTED_PROXIES = 1
    proxy = "192.0.2.10"
    for n in range(21):
        api_login("finance", f"guess-{n}", proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert (
        api_login("finance", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    )
    # a colleague behind the same proxy, another client address: the user is not locked there
    assert (
        api_login("finance", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="203.0.113.77").status_code
        == 200
    )


def test_client_address_trusts_only_our_proxies():
    factory = RequestFactory()
    spoofed = factory.get(
        "/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5"
    )
    from django.test import override_settings

    with override_settings(FUNDFLOW_TRUSTED_PROXIES=0):
        assert client_address(spoofed) == "192.0.2.10"
    with override_settings(FUNDFLOW_TRUSTED_PROXIES=1):
        assert client_address(spoofed) == "203.0.113.5"  # what our proxy saw, not what was sent
    with override_settings(FUNDFLOW_TRUSTED_PROXIES=2):
        assert client_address(spoofed) == "1.2.3.4"
