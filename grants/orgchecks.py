"""Checks on what is typed about an organisation: the USCC's region, the bank details.

Pure functions (one query at most): ``grants.services.organization_register`` and the
actions of ``grants.organizations`` both call them, so registration and a later change
judge the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext as _

from grants.errors import InvalidInput
from grants.models import Jurisdiction, Organization

# ---------------------------------------------------------------- USCC region (GB 32100)


def uscc_region_code(uscc: str) -> str:
    """Characters 3–8 of a 统一社会信用代码: the registration authority's division (GB/T 2260)."""
    return uscc[2:8]


def uscc_region_allowed(uscc: str, district: Jurisdiction) -> bool:
    """Whether the code's registration authority lies in ``district``'s city: any division of
    that city (its first four digits, e.g. 6501xx for 乌鲁木齐市, 650121 included), or the
    city's own code, or the region's (650000)."""
    code = uscc_region_code(uscc)
    city = district.parent
    if city is None:
        return code == district.code
    region_code = city.parent_id or ""
    return code in (city.code, region_code) or code[:4] == city.code[:4]


def uscc_region_message(uscc: str, district: Jurisdiction) -> str:
    city = district.parent
    return _(
        "The registration authority in this code (characters 3–8: %(code)s) is not in "
        "%(city)s, where %(district)s lies. Check the code and the district; if the "
        "organisation is registered there all the same, an administrator can allow it "
        "with a reason."
    ) % {
        "code": uscc_region_code(uscc),
        "city": city.display_name if city is not None else district.display_name,
        "district": district.display_name,
    }


# ---------------------------------------------------------------- bank details

ACCOUNT_DIGITS = (8, 32)  # shortest and longest account numbers accepted
CNAPS_DIGITS = 12
_SEPARATORS = re.compile(r"[\s\-]+")
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
BANK_FIELDS = ("account_name", "bank_name", "account_number", "cnaps_code")


@dataclass(frozen=True)
class BankDetails:
    account_name: str
    bank_name: str
    account_number: str
    cnaps_code: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def of(cls, org: Organization) -> BankDetails | None:
        """The organisation's current (confirmed) details, or None when it has none."""
        if not org.has_confirmed_bank_details:
            return None
        return cls(org.bank_account_name, org.bank_name, org.bank_account_number, org.cnaps_code)


def _digits_only(value: str) -> str:
    """Full-width digits made ASCII, spaces and hyphens between groups removed."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value))


def clean_bank_details(
    data: Mapping[str, Any] | None, *, prefix: str = "bank_account"
) -> BankDetails | None:
    """Bank details as typed → cleaned, or None when nothing was typed.

    Account name, bank and account number are required together; the 行号 (CNAPS) is
    optional but, when given, twelve digits. Errors name ``<prefix>.<field>``.
    """
    raw = {k: data.get(k) for k in BANK_FIELDS} if data else {}
    errors: list[dict[str, str]] = []
    values: dict[str, str] = {}
    for key in BANK_FIELDS:
        value = raw.get(key)
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append({"field": f"{prefix}.{key}", "message": _("Text expected.")})
            value = ""
        values[key] = value.strip()
    if not any(values.values()) and not errors:
        return None
    limits = {"account_name": 200, "bank_name": 100}
    for key, label in (
        ("account_name", _("The account name (开户名称) is required.")),
        ("bank_name", _("The bank (开户银行) is required.")),
        ("account_number", _("The account number (账号) is required.")),
    ):
        if not values[key]:
            errors.append({"field": f"{prefix}.{key}", "message": label})
        elif key in limits and len(values[key]) > limits[key]:
            errors.append(
                {
                    "field": f"{prefix}.{key}",
                    "message": _("At most %(n)d characters.") % {"n": limits[key]},
                }
            )
    number = _digits_only(values["account_number"])
    if values["account_number"]:
        low, high = ACCOUNT_DIGITS
        if not _DIGITS.fullmatch(number):
            errors.append(
                {
                    "field": f"{prefix}.account_number",
                    "message": _(
                        "An account number has digits only (spaces between groups are fine)."
                    ),
                }
            )
        elif not low <= len(number) <= high:
            errors.append(
                {
                    "field": f"{prefix}.account_number",
                    "message": _(
                        "An account number has %(low)d to %(high)d digits; this one has %(n)d."
                    )
                    % {"low": low, "high": high, "n": len(number)},
                }
            )
    cnaps = _digits_only(values["cnaps_code"])
    if values["cnaps_code"] and not (_DIGITS.fullmatch(cnaps) and len(cnaps) == CNAPS_DIGITS):
        errors.append(
            {
                "field": f"{prefix}.cnaps_code",
                "message": _("The bank code (行号, CNAPS) has exactly 12 digits."),
            }
        )
    if errors:
        raise InvalidInput(errors)
    return BankDetails(values["account_name"], values["bank_name"], number, cnaps)


def bank_input(bank_account: Mapping[str, Any] | None, cnaps_code: str | None) -> dict[str, Any]:
    """The API's ``bank_account`` object with the 行号 folded in: the contract allows
    ``cnaps_code`` beside it on the organisation as well as inside it."""
    merged: dict[str, Any] = dict(bank_account or {})
    inner = merged.get("cnaps_code")
    if cnaps_code:
        if inner and _digits_only(str(inner)) != _digits_only(cnaps_code):
            raise InvalidInput(
                [
                    {
                        "field": "cnaps_code",
                        "message": _("Two different bank codes were given; give one."),
                    }
                ]
            )
        merged["cnaps_code"] = cnaps_code
    return merged


def masked(account_number: str) -> str:
    """An account number as shown in notifications: the last four digits."""
    return "…" + account_number[-4:] if account_number else ""
