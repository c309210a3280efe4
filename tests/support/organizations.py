"""Helpers for an organisation's people: a colleague who signs up on the web form and then
uses the API, a claim with its authorisation letter, the region of a USCC."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.support.clients import Api
from tests.support.documents import PDF

COLLEAGUE_PASSWORD = "Tianshan-2026!x"


def signed_up(username: str, email: str | None = None) -> Api:
    """A new applicant who signed up through the web form (/signup/), then an API caller."""
    client = Client()
    response = client.post(
        "/signup/",
        {
            "username": username,
            "email": email or f"{username}@example.cn",
            "password": COLLEAGUE_PASSWORD,
            "password2": COLLEAGUE_PASSWORD,
        },
    )
    assert response.status_code == 302, response.content[:500]
    api = Client()
    token = api.post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": COLLEAGUE_PASSWORD}),
        content_type="application/json",
    )
    assert token.status_code == 200, token.content
    return Api(api, token.json()["token"], username)


def web_client(username: str) -> Client:
    """A browser session for a user who signed up with ``COLLEAGUE_PASSWORD``."""
    client = Client()
    assert client.login(username=username, password=COLLEAGUE_PASSWORD)
    return client


def claim(api: Api, org_id: int, message: str = "本单位从未授权其登记，附授权委托书。"):
    """A claim of the organisation with its authorisation letter (multipart)."""
    letter = SimpleUploadedFile("授权委托书.pdf", PDF, content_type="application/pdf")
    return api.client.post(
        f"/api/v1/organizations/{org_id}/claims",
        {"file": letter, "message": message},
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
