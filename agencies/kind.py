"""The service-voucher programme kind (服务券): its hooks into the shared lifecycle.

An application of a voucher programme is an agency's claim for a voucher it redeemed
(``agencies.services.vouchers.voucher_claim_create``). When the chain ends, the voucher's budget hold
goes back (the award is committed in its place on approval) and the voucher is used or
void; reviewers see collusion flags; the rules see the agency, voucher and collusion facts.
Registered by ``AgenciesConfig.ready()`` together with the web hooks of ``agencies.views``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from agencies.models import Service, VoucherTerms
from agencies.selectors import claim_facts, claim_flags
from agencies.services.vouchers import voucher_claim_finishing
from grants.kinds import KindHooks
from grants.models import Application, Program


def on_review_end(application: Application, outcome: str, actor: Any) -> None:
    voucher_claim_finishing(application=application, outcome=outcome, actor=actor)


def on_withdraw(application: Application, actor: Any) -> None:
    """A withdrawn claim voids its voucher and releases its hold, as a rejection does."""
    voucher_claim_finishing(application=application, outcome="withdrawn", actor=actor)


def rule_facts(application: Application, on: dt.date) -> dict[str, Any] | None:
    return claim_facts(application, on)


def settings_read(program: Program) -> dict[str, Any] | None:
    """The voucher terms of a voucher programme (the definition's ``kind_settings``)."""
    terms = VoucherTerms.objects.filter(program=program).first()
    if terms is None:
        return None
    return {
        "validity_days": terms.validity_days,
        "annual_quota": terms.annual_quota,
        "eligible_services": list(terms.eligible_services or []),
    }


def settings_errors(settings: Any) -> list[dict[str, str]]:
    """What is wrong with voucher terms given in a definition (paths inside them)."""
    if settings is None:
        return []
    if not isinstance(settings, dict):
        return [{"field": "", "message": _("The voucher terms are an object.")}]
    errors = []
    unknown = sorted(set(settings) - {"validity_days", "annual_quota", "eligible_services"})
    if unknown:
        errors.append(
            {"field": "", "message": _("Unknown key(s): %(k)s") % {"k": ", ".join(unknown)}}
        )
    for key, top in (("validity_days", 3660), ("annual_quota", 1_000_000)):
        value = settings.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            errors.append(
                {"field": key, "message": _("A whole number from 1 to %(n)d.") % {"n": top}}
            )
    services = settings.get("eligible_services", [])
    if not isinstance(services, list) or any(s not in Service.values for s in services):
        errors.append(
            {
                "field": "eligible_services",
                "message": _("Services of: %(s)s") % {"s": ", ".join(Service.values)},
            }
        )
    return errors


def settings_write(program: Program, settings: dict[str, Any] | None) -> None:
    if settings is None:
        return
    VoucherTerms.objects.update_or_create(program=program, defaults=dict(settings))


def hooks(**web: Any) -> KindHooks:
    """The voucher kind's hooks; ``web`` adds those of the pages (portal home and panel)."""
    return KindHooks(
        on_review_end=on_review_end,
        on_withdraw=on_withdraw,
        review_flags=claim_flags,
        rule_facts=rule_facts,
        award_template="voucher",
        settings_read=settings_read,
        settings_errors=settings_errors,
        settings_write=settings_write,
        **web,
    )
