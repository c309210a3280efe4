"""Read-only reports for auditors: the reconciliation of awards, ledger and cached budget totals.

``reconciliation_report()`` is empty when everything agrees. Each mismatch names
its kind, the budget, application or entry it concerns, and says what is wrong.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finance.models import Budget, LedgerEntry, Tranche
from grants.models import Application, Status

ZERO = Decimal("0.00")
AWARD_STATUSES = (Status.APPROVED, Status.AWARDED, Status.PAID)

KINDS = {
    "balance_mismatch": gettext_lazy("Budget total ≠ sum of its ledger entries"),
    "award_without_commitment": gettext_lazy("Award without commitment"),
    "commitment_without_award": gettext_lazy("Commitment without award"),
    "commitment_amount_mismatch": gettext_lazy("Commitment ≠ award amount"),
    "payment_without_award": gettext_lazy("Payment without award"),
    "payment_exceeds_commitment": gettext_lazy("Payment exceeds commitment"),
    "paid_without_payment": gettext_lazy("Marked paid without a payment"),
    "wrong_programme": gettext_lazy("Entry booked on another programme's budget (专款专用)"),
}


@dataclass(frozen=True)
class Mismatch:
    kind: str
    detail: str
    budget: int | None = None
    application: int | None = None
    entry: int | None = None

    @property
    def label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))

    def as_dict(self) -> dict:
        return asdict(self) | {"label": self.label}


def ledger_totals() -> dict[int, dict[str, Decimal]]:
    """Per budget: the totals the ledger entries add up to (see ``finance.models``)."""
    rows = LedgerEntry.objects.values("budget_id").annotate(
        allocate=Sum("amount", filter=Q(kind=LedgerEntry.Kind.ALLOCATE)),
        commit=Sum("amount", filter=Q(kind=LedgerEntry.Kind.COMMIT)),
        release=Sum("amount", filter=Q(kind=LedgerEntry.Kind.RELEASE)),
        pay=Sum("amount", filter=Q(kind=LedgerEntry.Kind.PAY)),
    )
    return {
        r["budget_id"]: {
            "allocated": r["allocate"] or ZERO,
            "committed": (r["commit"] or ZERO) - (r["release"] or ZERO),
            "paid": r["pay"] or ZERO,
        }
        for r in rows
    }


def reconciliation_report() -> list[Mismatch]:
    out: list[Mismatch] = []
    sums = ledger_totals()
    for budget in Budget.objects.select_related("program").order_by("id"):
        derived = sums.get(budget.pk, {"allocated": ZERO, "committed": ZERO, "paid": ZERO})
        for column in ("allocated", "committed", "paid"):
            cached = getattr(budget, column)
            if cached != derived[column]:
                out.append(
                    Mismatch(
                        "balance_mismatch",
                        _("%(budget)s: %(column)s is %(cached)s but its entries add up to %(sum)s.")
                        % {
                            "budget": budget,
                            "column": column,
                            "cached": cached,
                            "sum": derived[column],
                        },
                        budget=budget.pk,
                    )
                )

    for entry in (
        LedgerEntry.objects.filter(application__isnull=False)
        .exclude(budget__program_id=F("application__program_id"))
        .select_related("budget__program", "application")
    ):
        out.append(
            Mismatch(
                "wrong_programme",
                _("Entry %(id)s (%(kind)s) for %(number)s is booked on %(budget)s.")
                % {
                    "id": entry.pk,
                    "kind": entry.kind,
                    "number": entry.application.number,  # type: ignore[union-attr]  # filtered: not null
                    "budget": entry.budget,
                },
                budget=entry.budget_id,
                application=entry.application_id,
                entry=entry.pk,
            )
        )
    for entry in LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAY, application__isnull=True):
        out.append(
            Mismatch(
                "payment_without_award",
                _("Payment entry %(id)s of ¥%(amount)s names no award.")
                % {"id": entry.pk, "amount": entry.amount},
                budget=entry.budget_id,
                entry=entry.pk,
            )
        )

    per_app = {
        r["application_id"]: r
        for r in LedgerEntry.objects.filter(application__isnull=False)
        .values("application_id")
        .annotate(
            commit=Sum("amount", filter=Q(kind=LedgerEntry.Kind.COMMIT)),
            release=Sum("amount", filter=Q(kind=LedgerEntry.Kind.RELEASE)),
            pay=Sum("amount", filter=Q(kind=LedgerEntry.Kind.PAY)),
            pays=Count("id", filter=Q(kind=LedgerEntry.Kind.PAY)),
        )
    }
    candidates = Application.objects.filter(
        Q(status__in=AWARD_STATUSES) | Q(pk__in=list(per_app))
    ).order_by("id")
    # An award paid in tranches is committed part by part: what is due is the parts whose
    # condition was met, and the plan must add up to the award.
    plans: dict[int, dict[str, Decimal]] = {}
    for t in Tranche.objects.values("application_id", "status", "amount"):
        plan = plans.setdefault(t["application_id"], {"total": ZERO, "due": ZERO})
        plan["total"] += t["amount"]
        if t["status"] != Tranche.Status.PLANNED:
            plan["due"] += t["amount"]
    for app in candidates.only("id", "number", "status", "award_amount"):
        row = per_app.get(app.pk, {})
        committed = (row.get("commit") or ZERO) - (row.get("release") or ZERO)
        paid = row.get("pay") or ZERO
        award = app.award_amount or ZERO
        is_award = app.status in AWARD_STATUSES
        facts = {"number": app.number, "committed": committed, "paid": paid, "award": award}
        plan = plans.get(app.pk)  # type: ignore[assignment]  # the loop's name; None: no tranches
        if plan is not None:
            if plan["total"] != award or committed != plan["due"]:
                out.append(
                    Mismatch(
                        "commitment_amount_mismatch",
                        _(
                            "%(number)s: tranches ¥%(total)s for an award of ¥%(award)s; "
                            "committed ¥%(committed)s where ¥%(due)s is due."
                        )
                        % (facts | plan),
                        application=app.pk,
                    )
                )
        elif is_award and award > 0 and committed <= 0:
            out.append(
                Mismatch(
                    "award_without_commitment",
                    _("%(number)s is an award of ¥%(award)s with no commitment in the ledger.")
                    % facts,
                    application=app.pk,
                )
            )
        elif is_award and committed > 0 and committed != award:
            out.append(
                Mismatch(
                    "commitment_amount_mismatch",
                    _("%(number)s: committed ¥%(committed)s, award ¥%(award)s.") % facts,
                    application=app.pk,
                )
            )
        if not is_award and committed > 0:
            out.append(
                Mismatch(
                    "commitment_without_award",
                    _("%(number)s has ¥%(committed)s committed but is %(status)s.")
                    % (facts | {"status": app.get_status_display()}),
                    application=app.pk,
                )
            )
        if paid > 0 and not is_award:
            out.append(
                Mismatch(
                    "payment_without_award",
                    _("%(number)s was paid ¥%(paid)s but is %(status)s.")
                    % (facts | {"status": app.get_status_display()}),
                    application=app.pk,
                )
            )
        elif paid > committed:
            out.append(
                Mismatch(
                    "payment_exceeds_commitment",
                    _("%(number)s was paid ¥%(paid)s against ¥%(committed)s committed.") % facts,
                    application=app.pk,
                )
            )
        if app.status == Status.PAID and paid <= 0:
            out.append(
                Mismatch(
                    "paid_without_payment",
                    _("%(number)s is marked paid but the ledger has no payment.") % facts,
                    application=app.pk,
                )
            )
    return out
