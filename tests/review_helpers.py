"""Helpers for review-chain tests: decide through the API as a named reviewer."""

from __future__ import annotations

from tests.conftest import Api


def decide(api: Api, app_id: int, decision: str, comment: str = "", **extra):
    body = {"decision": decision, "comment": comment, **extra}
    return api.post(f"/applications/{app_id}/decisions", body)
