"""Names as compared, never as stored: the one normaliser for matching typed names.

What a person typed is stored and printed as typed. To match it against a registry (the
accredited certification bodies, a voucher sheet's organisation names) or to find a
duplicate, both sides are compared after ``normalise_name``: Unicode NFKC (full-width
letters, digits and brackets become their half-width forms: ``中知（北京）`` and
``中知(北京)`` compare equal), spaces trimmed and every run of white space folded into one.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def normalise_name(value: object) -> str:
    """``value`` as names are compared: NFKC, trimmed, white space folded to one space."""
    if not isinstance(value, str):
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip()
