"""Clients per persona: ``login`` gives an API caller (bearer token), ``web`` a browser session."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.support.personas import PASSWORD


@dataclass
class Api:
    """A logged-in API caller (bearer token), speaking JSON."""

    client: Client
    token: str
    username: str

    def _h(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any):
        return self.client.get("/api/v1" + path, params, **self._h())

    def post(self, path: str, body: Any = None, *, minimal: bool = False):
        """POST JSON; ``minimal`` sends ``Prefer: return=minimal`` (a compact answer)."""
        data = "" if body is None else json.dumps(body)
        extra = {"HTTP_PREFER": "return=minimal"} if minimal else {}
        return self.client.post(
            "/api/v1" + path, data, content_type="application/json", **self._h(), **extra
        )

    def post_raw(self, path: str, raw: str):
        return self.client.post("/api/v1" + path, raw, content_type="application/json", **self._h())

    def patch(self, path: str, body: Any):
        return self.client.patch(
            "/api/v1" + path, json.dumps(body), content_type="application/json", **self._h()
        )

    def delete(self, path: str):
        return self.client.delete("/api/v1" + path, **self._h())

    def upload(
        self, path: str, name: str, content: bytes, kind: str, content_type: str = "application/pdf"
    ):
        file = SimpleUploadedFile(name, content, content_type=content_type)
        return self.client.post("/api/v1" + path, {"file": file, "kind": kind}, **self._h())


def login(username: str) -> Api:
    """An API caller for ``username`` (a token obtained with the demo password)."""
    client = Client()
    response = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return Api(client, response.json()["token"], username)


def web(username: str) -> Client:
    """A web client logged in as ``username`` through the login form's backend."""
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client
