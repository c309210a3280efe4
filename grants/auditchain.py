"""The arithmetic of the audit chain, with nothing but the standard library and
``cryptography``: the server uses it, and so does an auditor off-line.

    mac_i    = HMAC-SHA256(entry key, canonical(payload_i))           (secret key: server)
    digest_i = SHA-256(canonical(payload_i) ‖ mac_i)
    chain_i  = SHA-256(chain_{i-1} ‖ digest_i),  chain_0 = the legacy chain's last hash
    checkpoint = Ed25519 signature over canonical({seq, chain, legacy_head, legacy_entries, at})

An auditor holding an export (``manage.py audit_export``) and the public key checks,
without any secret and without the database: every checkpoint's signature, and that the
exported entries chain to every checkpoint. Off-line::

    python -m grants.auditchain export.json public-key.pem
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode("utf-8")


def entry_mac(key: bytes, payload: dict[str, Any]) -> str:
    return hmac.new(key, canonical(payload), hashlib.sha256).hexdigest()


def entry_digest(payload: dict[str, Any], mac: str) -> str:
    return hashlib.sha256(canonical(payload) + mac.encode("ascii")).hexdigest()


def chain_next(previous: str, digest: str) -> str:
    return hashlib.sha256((previous + digest).encode("ascii")).hexdigest()


def legacy_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    """The unkeyed hash of the chain kept before 2026-11-29 (its entries stay as they are)."""
    return hashlib.sha256(prev_hash.encode("utf-8") + canonical(payload)).hexdigest()


def checkpoint_message(
    *, seq: int, chain: str, legacy_head: str, legacy_entries: int, at: str
) -> bytes:
    return canonical(
        {
            "seq": seq,
            "chain": chain,
            "legacy_head": legacy_head,
            "legacy_entries": legacy_entries,
            "at": at,
        }
    )


def signature_valid(public_key: Any, signature_b64: str, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        public_key.verify(base64.b64decode(signature_b64), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_export(document: dict[str, Any], public_key: Any) -> list[str]:
    """Problems found in an export (empty: it verifies). Needs only the public key."""
    problems: list[str] = []
    chains: dict[int, str] = {}
    legacy_head = document.get("legacy_head", GENESIS)
    previous = legacy_head
    for expected, entry in enumerate(document.get("entries", []), start=1):
        if entry["seq"] != expected:
            problems.append(f"entry seq {entry['seq']}: expected {expected} (a row is missing)")
            break
        previous = chain_next(previous, entry_digest(entry["payload"], entry["mac"]))
        if previous != entry["chain"]:
            problems.append(f"entry seq {entry['seq']} (id {entry.get('id')}): chain mismatch")
            break
        chains[entry["seq"]] = previous
    for point in document.get("checkpoints", []):
        message = checkpoint_message(
            seq=point["seq"],
            chain=point["chain"],
            legacy_head=point["legacy_head"],
            legacy_entries=point["legacy_entries"],
            at=point["at"],
        )
        if not signature_valid(public_key, point["signature"], message):
            problems.append(f"checkpoint {point['seq']}: the signature does not verify")
        if point["legacy_head"] != legacy_head:
            problems.append(f"checkpoint {point['seq']}: anchored on another legacy chain")
        if point["seq"] and chains.get(point["seq"]) != point["chain"]:
            problems.append(f"checkpoint {point['seq']}: the entries do not chain to it")
    return problems


def main(argv: list[str]) -> int:
    from cryptography.hazmat.primitives import serialization

    if len(argv) != 3:
        print("usage: python -m grants.auditchain export.json public-key.pem", file=sys.stderr)
        return 2
    document = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    public_key = serialization.load_pem_public_key(Path(argv[2]).read_bytes())
    problems = verify_export(document, public_key)
    for problem in problems:
        print(problem)
    if not problems:
        count = len(document.get("entries", []))
        points = len(document.get("checkpoints", []))
        print(f"ok: {count} sealed entries, {points} checkpoints verify with this public key")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
