"""The second factor of staff: TOTP (django-otp) and one-time recovery codes.

Staff — reviewers, finance, auditors, administrators — move money or decide who gets it.
When ``FUNDFLOW_STAFF_2FA`` is on (the default with ``DEBUG`` off), they need a code
from an authenticator app (or a recovery code) after their password: at the web login
and for an API token. Applicants and experts log in with a password.

The web pages (``accounts``) and the API (``grants.api``) call these; nothing here
knows about HTTP.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from grants.audit import audit_record
from grants.models import Role, User
from grants.selectors import has_role

STAFF_ROLES = (Role.REVIEWER, Role.FINANCE, Role.AUDITOR, Role.ADMIN)
RECOVERY_CODES = 10
RECOVERY_DEVICE = "recovery"
# Recovery codes: 10 characters without look-alikes (no 0/O, 1/I/L), read in two groups of 5.
RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def is_staff_member(user: User) -> bool:
    """Someone who approves, pays, audits or administers: the roles that need a second factor."""
    return bool(user.is_staff or user.is_superuser or has_role(user, *STAFF_ROLES))


def second_factor_required(user: User) -> bool:
    return bool(settings.FUNDFLOW_STAFF_2FA) and is_staff_member(user)


def has_second_factor(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-").upper()


def second_factor_check(*, user: User, code: str) -> Any:
    """The device (TOTP or recovery codes) that accepts ``code``, or None.

    A recovery code is used up. TOTP devices throttle themselves after failures
    (django-otp: each failure doubles the wait), so a code cannot be guessed quickly.
    """
    token = normalise_code(code)
    if not token or len(token) > 16:
        return None
    return match_token(user, token)


def totp_enrol_start(*, user: User) -> TOTPDevice:
    """The user's TOTP device waiting for its first code (created once, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10)) for _ in range(10)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def totp_enrol_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device with its first code; returns the new recovery codes, None if wrong."""
    if device.user_id != user.pk or device.confirmed:
        return None
    if not device.verify_token(normalise_code(code)):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        audit_record(actor=user, action="account.second_factor_enable", obj=user)
    return codes


def recovery_codes_renew(*, user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit_record(actor=user, action="account.recovery_codes_renew", obj=user)
    return codes


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user).count())


def second_factor_reset(*, actor: User, user: User) -> None:
    """An administrator removes a lost authenticator: the user enrols again at the next login."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(actor=actor, action="account.second_factor_reset", obj=user)
