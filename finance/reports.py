"""Finance reads: filtered ledgers, budgets, batches and awards; the bank payment file; the auditor workbook.

Applications come only through ``grants.selectors.applications_visible_to``.
Filters are the auditor's: programme (code), year, district (GB/T 2260 code,
its subtree), source (central, region, city).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

import cn2an
from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from finance.models import Budget, DisbursementBatch, DisbursementItem, LedgerEntry, QueueEntry
from finance.reconciliation import ledger_totals, reconciliation_report
from grants.errors import InvalidInput
from grants.exports import append_row, csv_row
from grants.models import Application, Jurisdiction, Program, Status
from grants.selectors import applications_visible_to

ZERO = Decimal("0.00")
AWARD_STATUSES = (Status.APPROVED, Status.AWARDED, Status.PAID)


@dataclass
class Filters:
    program: str = ""
    year: int | None = None
    district: str = ""
    source: str = ""

    @classmethod
    def parse(cls, data) -> Filters:
        errors = []
        year = None
        raw_year = (data.get("year") or "").strip()
        if raw_year:
            try:
                year = int(raw_year)
            except ValueError:
                errors.append({"field": "year", "message": _("A year such as 2026.")})
        district = (data.get("district") or "").strip()
        if district and not Jurisdiction.objects.filter(code=district).exists():
            errors.append({"field": "district", "message": _("Unknown jurisdiction code.")})
        source = (data.get("source") or "").strip()
        from finance.models import Source

        if source and source not in Source.values:
            errors.append(
                {
                    "field": "source",
                    "message": _("One of: %(s)s") % {"s": ", ".join(Source.values)},
                }
            )
        if errors:
            raise InvalidInput(errors)
        return cls((data.get("program") or "").strip(), year, district, source)

    def _district_path(self) -> str:
        return Jurisdiction.objects.get(code=self.district).path

    def budgets(self, qs: QuerySet[Budget]) -> QuerySet[Budget]:
        if self.program:
            qs = qs.filter(program__code=self.program)
        if self.year:
            qs = qs.filter(year=self.year)
        if self.source:
            qs = qs.filter(entries__source=self.source).distinct()
        return qs

    def entries(self, qs: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
        if self.program:
            qs = qs.filter(budget__program__code=self.program)
        if self.year:
            qs = qs.filter(budget__year=self.year)
        if self.source:
            qs = qs.filter(source=self.source)
        if self.district:
            qs = qs.filter(
                application__organization__district__path__startswith=self._district_path()
            )
        return qs

    def applications(self, qs: QuerySet[Application]) -> QuerySet[Application]:
        if self.program:
            qs = qs.filter(program__code=self.program)
        if self.year:
            qs = qs.filter(program__year=self.year)
        if self.district:
            qs = qs.filter(organization__district__path__startswith=self._district_path())
        if self.source:
            # budgets are pooled per programme and year: an award is funded by a source when its
            # budget holds allocations from that source
            qs = qs.filter(
                ledger_entries__kind=LedgerEntry.Kind.COMMIT,
                ledger_entries__budget__entries__source=self.source,
            ).distinct()
        return qs

    def batches(self, qs: QuerySet[DisbursementBatch]) -> QuerySet[DisbursementBatch]:
        if self.program or self.year or self.district or self.source:
            apps = self.applications(Application.objects.all())
            qs = qs.filter(items__application__in=apps).distinct()
        return qs


def budget_rows(filters: Filters | None = None) -> list[dict]:
    """Budgets with cached totals, the ledger's own sums beside them, and allocations per source."""
    qs = Budget.objects.select_related("program").order_by("-year", "program__code")
    if filters:
        qs = filters.budgets(qs)
    sums = ledger_totals()
    by_source: dict[int, dict[str, Decimal]] = {}
    for row in (
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ALLOCATE)
        .values("budget_id", "source")
        .annotate(total=Sum("amount"))
    ):
        by_source.setdefault(row["budget_id"], {})[row["source"]] = row["total"]
    waiting = {
        r["budget_id"]: r["total"]
        for r in QueueEntry.objects.filter(status=QueueEntry.Status.WAITING)
        .values("budget_id")
        .annotate(total=Sum("amount"))
    }
    rows = []
    for b in qs:
        derived = sums.get(b.pk, {"allocated": ZERO, "committed": ZERO, "paid": ZERO})
        rows.append(
            {
                "budget": b,
                "program": b.program,
                "year": b.year,
                "allocated": b.allocated,
                "committed": b.committed,
                "paid": b.paid,
                "available": b.available,
                "ledger": derived,
                "consistent": all(getattr(b, k) == derived[k] for k in derived),
                "sources": by_source.get(b.pk, {}),
                "waiting": waiting.get(b.pk, ZERO),
                "policy": b.program.get_budget_policy_display(),
            }
        )
    return rows


def awards(user, filters: Filters | None = None) -> QuerySet[Application]:
    qs = applications_visible_to(user).filter(
        Q(status__in=AWARD_STATUSES) | Q(queue_entries__status=QueueEntry.Status.WAITING)
    )
    if filters:
        qs = filters.applications(qs)
    return qs.distinct().order_by("-id")


def award_facts(app: Application) -> dict:
    """One award with its money: committed, in which batch, paid with which reference."""
    entries = list(app.ledger_entries.select_related("batch").order_by("id"))
    committed = sum((e.amount for e in entries if e.kind == "commit"), ZERO) - sum(
        (e.amount for e in entries if e.kind == "release"), ZERO
    )
    paid = sum((e.amount for e in entries if e.kind == "pay"), ZERO)
    item = (
        DisbursementItem.objects.filter(application=app, active=True)
        .select_related("batch")
        .first()
    )
    queued = app.queue_entries.filter(status=QueueEntry.Status.WAITING).first()
    return {
        "committed": committed,
        "paid": paid,
        "batch": item.batch if item else None,
        "queued": queued,
        "entries": entries,
    }


# ---------------------------------------------------------------- files


# The columns of a 国库集中支付 instruction first (payee, account, bank, 行号, amount in
# figures and in words, purpose, project, application number), then what finance checks
# against (USCC, registered name, district, batch). The payee and bank cells are the batch's
# own record (``DisbursementItem``), as they were when the batch was made.
PAYMENT_HEADER = [
    "序号 No.",
    "收款人名称 Payee",
    "收款人账号 Account number",
    "开户银行 Bank",
    "行号 Bank code (CNAPS)",
    "金额（元） Amount (yuan)",
    "大写金额 Amount in words",
    "用途 Purpose",
    "项目 Programme",
    "申请编号 Application",
    "统一社会信用代码 USCC",
    "单位名称 Organisation",
    "所在区县 District",
    "批次 Batch",
]
AMOUNT_COLUMN = PAYMENT_HEADER.index("金额（元） Amount (yuan)")


def amount_in_words(amount: Decimal) -> str:
    return cn2an.an2cn(str(amount), "rmb")


def payment_rows(batch: DisbursementBatch) -> list[list]:
    rows = []
    items = batch.items.filter(active=True) if batch.status != "cancelled" else batch.items.all()
    for i, item in enumerate(
        items.select_related(
            "application__organization__district", "application__program", "tranche"
        ).order_by("id"),
        start=1,
    ):
        app = item.application
        org = app.organization
        purpose = "专项资金奖补"
        if item.tranche is not None:
            purpose += f"（第{item.tranche.position}笔）"
        rows.append(
            [
                i,
                item.account_name or item.payee_name or org.name,
                item.account_number,
                item.bank_name,
                item.cnaps_code,
                item.amount,
                amount_in_words(item.amount),
                purpose,
                app.program.name,
                app.number,
                item.payee_uscc or org.uscc,
                item.payee_name or org.name,
                org.district.name,
                batch.number,
            ]
        )
    return rows


def _total_row(batch: DisbursementBatch, amount) -> list:
    row: list = [""] * len(PAYMENT_HEADER)
    row[1] = "合计 Total"
    row[AMOUNT_COLUMN] = amount
    row[AMOUNT_COLUMN + 1] = amount_in_words(batch.total)
    row[-1] = batch.number
    return row


def payment_file_csv(batch: DisbursementBatch) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(PAYMENT_HEADER)
    for row in payment_rows(batch):
        writer.writerow(csv_row(f"{v:.2f}" if isinstance(v, Decimal) else v for v in row))
    writer.writerow(csv_row(_total_row(batch, f"{batch.total:.2f}")))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 CSV correctly


def _sheet(
    wb,
    title: str,
    header: list[str],
    rows: list[list],
    money_cols: frozenset[int] | set[int] = frozenset(),
):
    ws = wb.create_sheet(title)
    append_row(ws, header)
    for row in rows:
        append_row(ws, [_cell(v) for v in row])
    for col in money_cols:
        for cell in ws.iter_cols(min_col=col + 1, max_col=col + 1, min_row=2):
            for c in cell:
                c.number_format = "#,##0.00"
    ws.freeze_panes = "A2"
    for i, _h in enumerate(header, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = 18
    return ws


def _cell(value):
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _xlsx(build) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the new workbook's empty active sheet
    build(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def payment_file_xlsx(batch: DisbursementBatch) -> bytes:
    def build(wb):
        ws = _sheet(wb, batch.number, PAYMENT_HEADER, payment_rows(batch), {AMOUNT_COLUMN})
        append_row(ws, _total_row(batch, batch.total))

    return _xlsx(build)


def _absolute(path: str) -> str:
    """A link an auditor's spreadsheet can follow: the site's own address in front."""
    return settings.FUNDFLOW_SITE_URL.rstrip("/") + path


def _person(user) -> str:
    """Who acted, for an auditor: the person's name, never a login name."""
    if user is None:
        return ""
    return user.display_name or str(_("(no name on record)"))


def audit_workbook(user, filters: Filters) -> bytes:
    """Everything an auditor traces, one sheet each: budgets, ledger, batches, awards,
    reconciliation. Labels in the reader's words; where a machine needs the code, it stands in
    its own column (header ending in 代码 code) beside its label; links are absolute."""
    from grants.labels import code_label
    from grants.presenters import checks_view, history_view, status_label

    def build(wb):
        _sheet(
            wb,
            "预算 Budgets",
            [
                "项目 Programme",
                "项目代码 Programme code",
                "年度 Year",
                "下达 Allocated",
                "承诺 Committed",
                "已付 Paid",
                "可用 Available",
                "台账合计一致 Ledger agrees",
                "来源 Sources",
            ],
            [
                [
                    r["program"].display_name,
                    r["program"].code,
                    r["year"],
                    r["allocated"],
                    r["committed"],
                    r["paid"],
                    r["available"],
                    "一致 yes" if r["consistent"] else "不一致 NO",
                    "；".join(
                        f"{code_label('source', k)}：{v}" for k, v in sorted(r["sources"].items())
                    ),
                ]
                for r in budget_rows(filters)
            ],
            {3, 4, 5, 6},
        )
        _sheet(
            wb,
            "台账 Ledger",
            [
                "ID",
                "时间 Time",
                "项目 Programme",
                "项目代码 Programme code",
                "年度 Year",
                "类型 Kind",
                "类型代码 Kind code",
                "金额 Amount",
                "来源 Source",
                "来源代码 Source code",
                "申报编号 Application",
                "批次 Batch",
                "经办 Actor",
                "事由 Reason",
            ],
            [
                [
                    e.pk,
                    e.created_at,
                    e.budget.program.display_name,
                    e.budget.program.code,
                    e.budget.year,
                    e.get_kind_display(),
                    e.kind,
                    e.amount,
                    code_label("source", e.source),
                    e.source,
                    e.application.number if e.application else "",
                    e.batch.number if e.batch else "",
                    _person(e.actor),
                    e.reason,
                ]
                for e in filters.entries(LedgerEntry.objects.all())
                .select_related("budget__program", "application", "batch", "actor")
                .order_by("id")
            ],
            {7},
        )
        _sheet(
            wb,
            "批次 Batches",
            [
                "批次 Batch",
                "状态 Status",
                "状态代码 Status code",
                "合计 Total",
                "银行流水 Reference",
                "创建 Created",
                "创建人 By",
                "完成 Closed",
                "申报编号 Awards",
            ],
            [
                [
                    b.number,
                    b.get_status_display(),
                    b.status,
                    b.total,
                    b.reference,
                    b.created_at,
                    _person(b.created_by),
                    b.closed_at,
                    ", ".join(i.application.number for i in b.items.all()),
                ]
                for b in filters.batches(DisbursementBatch.objects.all())
                .select_related("created_by")
                .prefetch_related("items__application")
            ],
            {3},
        )
        award_list = []
        for app in awards(user, filters).select_related("organization__district", "program"):
            facts = award_facts(app)
            decisions = "；".join(
                f"{h['who']}：{h['decision']}" for h in history_view(app) if h["decision"]
            )
            latest = app.evaluations.order_by("-created_at", "-id").first()
            checks = (
                "；".join(
                    f"{c['title']}：{'通过' if c.get('passed') else '未通过'}"
                    for c in checks_view(app.program, latest.checks)
                )
                if latest
                else ""
            )
            award_list.append(
                [
                    app.number,
                    app.program.display_name,
                    app.program.code,
                    app.organization.name,
                    app.organization.district.name,
                    app.organization.district_id,
                    status_label(app.status),
                    app.status,
                    app.award_amount,
                    facts["committed"],
                    facts["paid"],
                    facts["batch"].number if facts["batch"] else "",
                    decisions,
                    checks,
                    _absolute(f"/applications/{app.pk}/"),
                    _absolute(f"/api/v1/applications/{app.pk}/letter"),
                ]
            )
        _sheet(
            wb,
            "奖励 Awards",
            [
                "申报编号 Application",
                "项目 Programme",
                "项目代码 Programme code",
                "单位 Organisation",
                "区县 District",
                "区划代码 District code",
                "状态 Status",
                "状态代码 Status code",
                "奖励 Award",
                "承诺 Committed",
                "已付 Paid",
                "批次 Batch",
                "审核 Decisions",
                "规则检查 Checks",
                "申报页面 Application page",
                "通知书 Letter",
            ],
            award_list,
            {8, 9, 10},
        )
        _sheet(
            wb,
            "对账 Reconciliation",
            ["类型 Kind", "说明 Detail", "预算 Budget", "申报 Application", "台账 Entry"],
            [[m.kind, m.detail, m.budget, m.application, m.entry] for m in reconciliation_report()],
        )

    return _xlsx(build)


def programs_for_filters() -> QuerySet[Program]:
    return Program.objects.order_by("code")
