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

from agencies.selectors import claim_facts, claim_flags
from agencies.services.vouchers import voucher_claim_finishing
from grants.kinds import KindHooks
from grants.models import Application


def on_review_end(application: Application, outcome: str, actor: Any) -> None:
    voucher_claim_finishing(application=application, outcome=outcome, actor=actor)


def on_withdraw(application: Application, actor: Any) -> None:
    """A withdrawn claim voids its voucher and releases its hold, as a rejection does."""
    voucher_claim_finishing(application=application, outcome="withdrawn", actor=actor)


def rule_facts(application: Application, on: dt.date) -> dict[str, Any] | None:
    return claim_facts(application, on)


def hooks(**web: Any) -> KindHooks:
    """The voucher kind's hooks; ``web`` adds those of the pages (portal home and panel)."""
    return KindHooks(
        on_review_end=on_review_end,
        on_withdraw=on_withdraw,
        review_flags=claim_flags,
        rule_facts=rule_facts,
        award_template="voucher",
        **web,
    )
