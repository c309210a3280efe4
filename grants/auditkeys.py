"""The keys of the audit log, kept outside the database.

- **Entry keys (HMAC-SHA256)**: ``AUDIT_HMAC_KEYS="k2:<base64>,k1:<base64>"`` — the first
  is current (new entries), the others still verify older entries: rotate by putting a
  new key first and keeping the old ones. Without the variable one key (``k0``) is derived
  from ``SECRET_KEY``, so changing ``SECRET_KEY`` without listing the old derived key
  makes older entries unverifiable: set ``AUDIT_HMAC_KEYS`` in production.
- **Checkpoint key (Ed25519)**: ``AUDIT_SIGNING_KEY`` is the path of a PEM private key
  (PKCS#8); without it a key is created once under ``var/keys/`` (0600). Auditors verify
  checkpoints with the public key only (``manage.py audit_export`` writes it beside the
  export). ``AUDIT_TRUSTED_PUBLIC_KEYS`` lists the PEM files of earlier signing keys, so
  checkpoints signed before a rotation still verify.

Nothing here touches the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=1)
def hmac_keys() -> tuple[tuple[str, bytes], ...]:
    """(key id, key) pairs, the current key first."""
    raw = os.environ.get("AUDIT_HMAC_KEYS", "").strip()
    if not raw:
        derived = hmac.new(
            str(settings.SECRET_KEY).encode("utf-8"), b"fundflow-audit-hmac-v1", hashlib.sha256
        ).digest()
        return (("k0", derived),)
    keys: list[tuple[str, bytes]] = []
    for item in raw.split(","):
        key_id, sep, encoded = item.strip().partition(":")
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if not sep or not key_id or len(key) < 32 or len(key_id) > 20:
            raise ImproperlyConfigured(
                "AUDIT_HMAC_KEYS is a comma-separated list of id:base64 keys of at least 32 bytes"
            )
        keys.append((key_id, key))
    return tuple(keys)


def current_hmac_key() -> tuple[str, bytes]:
    return hmac_keys()[0]


def hmac_key(key_id: str) -> bytes | None:
    return dict(hmac_keys()).get(key_id)


def _key_path() -> Path:
    configured = os.environ.get("AUDIT_SIGNING_KEY", "").strip()
    if configured:
        return Path(configured)
    return Path(settings.VAR_DIR) / "keys" / "audit-signing-ed25519.pem"


@lru_cache(maxsize=1)
def signing_key() -> Ed25519PrivateKey:
    path = _key_path()
    if not path.exists():
        if os.environ.get("AUDIT_SIGNING_KEY", "").strip():
            raise ImproperlyConfigured(f"AUDIT_SIGNING_KEY={path}: no such file")
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{path}: not an Ed25519 private key")
    return loaded


def public_key_raw(key: Ed25519PublicKey) -> str:
    return base64.b64encode(
        key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ).decode("ascii")


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@lru_cache(maxsize=1)
def trusted_public_keys() -> dict[str, Ed25519PublicKey]:
    """Raw base64 → public key, for every key whose checkpoints we accept."""
    keys = [signing_key().public_key()]
    for item in os.environ.get("AUDIT_TRUSTED_PUBLIC_KEYS", "").split(","):
        if not item.strip():
            continue
        loaded = serialization.load_pem_public_key(Path(item.strip()).read_bytes())
        if not isinstance(loaded, Ed25519PublicKey):
            raise ImproperlyConfigured(f"AUDIT_TRUSTED_PUBLIC_KEYS: {item} is not Ed25519")
        keys.append(loaded)
    return {public_key_raw(k): k for k in keys}


def reset_caches() -> None:
    """For tests that change the keys' environment."""
    hmac_keys.cache_clear()
    signing_key.cache_clear()
    trusted_public_keys.cache_clear()
