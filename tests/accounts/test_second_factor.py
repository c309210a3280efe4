"""A second factor for staff (reviewers, finance, auditors, administrators) when STAFF_2FA is on."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from grants.models import User
from tests.support.personas import PASSWORD


@pytest.fixture
def two_factor(settings):
    settings.FUNDFLOW_STAFF_2FA = True


def code_for(device: TOTPDevice, *, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def enrolled(username: str) -> TOTPDevice:
    return TOTPDevice.objects.create(
        user=User.objects.get(username=username), name="phone", confirmed=True
    )


def token(username: str, password: str = PASSWORD, **extra):
    return Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": password, **extra}),
        content_type="application/json",
    )


def test_staff_login_asks_for_the_code_then_lets_in(demo, two_factor):
    device = enrolled("reviewer-tianshan")
    client = Client()
    response = client.post(
        "/login/", {"username": "reviewer-tianshan", "password": PASSWORD, "next": "/review/"}
    )
    assert response.status_code == 302
    inbox = client.get("/review/")
    assert inbox.status_code == 302 and inbox["Location"].startswith("/account/two-factor/verify/")
    # the session is not a login for the API either, until the code is given
    assert client.get("/api/v1/tasks").status_code == 401
    wrong = client.post(inbox["Location"], {"code": "000000"})
    assert wrong.status_code == 422
    time.sleep(1.1)  # django-otp makes the device wait after a failure (1 s, doubling)
    right = client.post(inbox["Location"], {"code": code_for(device)})
    assert right.status_code == 302 and right["Location"] == "/review/"
    assert client.get("/review/").status_code == 200
    assert client.get("/api/v1/tasks").status_code == 200


def test_applicants_and_experts_need_no_second_factor(demo, two_factor):
    for username in ("applicant", "expert-1"):
        client = Client()
        client.post("/login/", {"username": username, "password": PASSWORD})
        assert client.get("/notifications/").status_code == 200
        assert token(username).status_code == 200


def test_staff_without_an_authenticator_enrol_at_first_login(demo, two_factor):
    client = Client()
    client.post("/login/", {"username": "finance", "password": PASSWORD})
    first = client.get("/finance/")
    assert first.status_code == 302 and first["Location"].startswith("/account/two-factor/setup/")
    page = client.get(first["Location"])
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user__username="finance", confirmed=False)
    done = client.post(first["Location"], {"code": code_for(device)})
    assert done.status_code == 200
    codes = [c for c in done.context["codes"]]
    assert len(codes) == 10
    assert client.get("/finance/").status_code == 200
    # a recovery code works once instead of the app's code
    again = Client()
    again.post("/login/", {"username": "finance", "password": PASSWORD})
    verify = again.get("/finance/")["Location"]
    assert again.post(verify, {"code": codes[0]}).status_code == 302
    third = Client()
    third.post("/login/", {"username": "finance", "password": PASSWORD})
    assert third.post(verify, {"code": codes[0]}).status_code == 422


def test_staff_api_token_needs_the_code_when_two_factor_is_on(demo, two_factor):
    device = enrolled("auditor")
    missing = token("auditor")
    assert missing.status_code == 401
    assert missing.json()["type"].endswith("second-factor-required")
    assert token("auditor", otp="123456").status_code == 401
    time.sleep(1.1)  # django-otp makes the device wait after a failure (1 s, doubling)
    ok = token("auditor", otp=code_for(device, offset=0))
    assert ok.status_code == 200
    bearer = ok.json()["token"]
    assert Client().get("/api/v1/ledger", HTTP_AUTHORIZATION=f"Bearer {bearer}").status_code == 200


def test_a_staff_token_issued_without_the_code_stops_when_two_factor_is_turned_on(demo, settings):
    settings.FUNDFLOW_STAFF_2FA = False
    bearer = token("auditor").json()["token"]
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {bearer}").status_code == 200
    settings.FUNDFLOW_STAFF_2FA = True
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {bearer}").status_code == 401


def test_staff_without_an_authenticator_get_told_to_set_it_up(demo, two_factor):
    response = token("reviewer-city")
    assert response.status_code == 401
    assert response.json()["type"].endswith("second-factor-not-set-up")


def test_wrong_codes_count_as_failed_logins(demo, two_factor):
    enrolled("reviewer-region")
    for _n in range(20):
        token("reviewer-region", otp="000000")
    assert token("reviewer-region", otp="000000").status_code == 429


def test_with_two_factor_off_staff_log_in_with_the_password(demo, settings):
    settings.FUNDFLOW_STAFF_2FA = False
    client = Client()
    client.post("/login/", {"username": "reviewer-tianshan", "password": PASSWORD})
    assert client.get("/review/").status_code == 200
    assert token("admin").status_code == 200


def test_an_administrator_resets_a_lost_authenticator(demo, two_factor):
    enrolled("reviewer-xinshi")
    admin = Client()
    admin.force_login(User.objects.get(username="admin"))
    from django_otp import DEVICE_ID_SESSION_KEY

    device = enrolled("admin")
    session = admin.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    user = User.objects.get(username="reviewer-xinshi")
    admin.post(
        "/admin/grants/user/", {"action": "reset_second_factor", "_selected_action": [user.pk]}
    )
    assert not TOTPDevice.objects.filter(user=user).exists()
