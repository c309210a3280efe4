"""Password reset by e-mail, end to end (locmem mail), in the user's language."""

from __future__ import annotations

import json
import re

from django.core import mail
from django.test import Client

from grants.models import User
from tests.support.personas import PASSWORD


def _reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/password-reset/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_reset_by_email_end_to_end(as_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = User.objects.get(username="applicant")
    user.email = "applicant@example.cn"
    user.save()
    old_token = as_user("applicant")

    client = Client()
    page = client.get("/login/")
    assert 'href="/password-reset/"' in page.content.decode()
    response = client.post("/password-reset/", {"email": "applicant@example.cn"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["applicant@example.cn"]
    assert "设置新密码" in message.subject  # the user's language: Chinese by default
    link = _reset_link(message)
    assert message.body.count(settings.FUNDFLOW_SITE_URL) == 1

    form = client.get(link, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    # Django's password validators apply
    weak = client.post(
        form.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )
    assert weak.status_code == 200 and "new_password1" in weak.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Saybagh-claims-2027", "new_password2": "Saybagh-claims-2027"},
    )
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"

    assert not Client().login(username="applicant", password=PASSWORD)
    assert Client().login(username="applicant", password="Saybagh-claims-2027")
    assert old_token.get("/me").status_code == 401  # the reset ended the old tokens
    # the link works once
    assert "new_password1" not in client.get(link, follow=True).content.decode()


def test_reset_mail_in_english_for_an_english_speaking_user(demo, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    User.objects.filter(username="auditor").update(email="auditor@example.cn", language="en")
    Client().post("/password-reset/", {"email": "auditor@example.cn"})
    assert mail.outbox[0].subject.strip() == "fundflow: set a new password"


def test_reset_for_an_unknown_address_says_the_same_and_sends_nothing(demo, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = Client().post("/password-reset/", {"email": "nobody@example.cn"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


def test_a_reset_lifts_a_login_lockout(demo, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    User.objects.filter(username="applicant").update(email="applicant@example.cn")

    def token(password: str):
        return Client().post(
            "/api/v1/auth/token",
            json.dumps({"username": "applicant", "password": password}),
            content_type="application/json",
        )

    for n in range(21):
        token(f"guess-{n}")
    assert token(PASSWORD).status_code == 429
    client = Client()
    client.post("/password-reset/", {"email": "applicant@example.cn"})
    form = client.get(_reset_link(mail.outbox[0]), follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Saybagh-claims-2027", "new_password2": "Saybagh-claims-2027"},
    )
    assert token("Saybagh-claims-2027").status_code == 200
