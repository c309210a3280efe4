"""Verification codes a person can read over the phone: Crockford base32, grouped.

24 symbols of Crockford's alphabet (digits and capitals without I, L, O, U) carry
5 bits each: 120 random bits, printed in six groups of four (``7K3Q-MX9F-2A8D-…``).
Reading one back is forgiving the way Crockford meant: case does not matter, hyphens
and spaces are ignored, ``I``/``L`` read as ``1`` and ``O`` as ``0``. Codes issued
before this (``secrets.token_urlsafe``, 192 bits) are stored as they are and still
verify: ``letters.services.letter_by_code`` tries the exact code first.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BITS = 120
LENGTH = BITS // 5  # 24 symbols
GROUP = 4
_READ = str.maketrans({"I": "1", "L": "1", "O": "0"})
CANONICAL = re.compile(rf"[{ALPHABET}]{{{LENGTH}}}")


def code_new() -> str:
    """A new code, canonical form (24 symbols, no separators)."""
    value = secrets.randbits(BITS)
    return "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(LENGTH)))


def code_grouped(code: str) -> str:
    """``7K3QMX9F…`` → ``7K3Q-MX9F-…`` for print; any other code is returned as it is."""
    if not CANONICAL.fullmatch(code):
        return code
    return "-".join(code[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def code_read(text: str) -> str | None:
    """The canonical code a person typed or read out, or None if it cannot be one."""
    cleaned = re.sub(r"[\s\-–—_.]", "", text or "").upper().translate(_READ)
    return cleaned if CANONICAL.fullmatch(cleaned) else None
