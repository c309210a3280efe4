"""factory_boy factories: organisations, programmes, budgets, applications (draft, submitted).

Organisations and programmes are rows (registering one is tested through the API).
Budgets and applications are made by the domain actions, never by writing rows:
``lifecycle.budget_added``, ``application_create`` + ``attachment_add``,
``lifecycle.submit`` and ``lifecycle.decide``. What a factory builds therefore has its
number, audit rows, rule evaluation, review task and ledger entries, like the real thing.

    org = OrganizationFactory(members=[APPLICANT])
    draft = DraftApplicationFactory(organization=org)                 # cert-subsidy
    waiting = SubmittedApplicationFactory(fee="30000.00")             # at district level
    at_region = SubmittedApplicationFactory(approved_by=BELOW_REGION)
    program = ProgramFactory()                                        # general, open this year
    BudgetFactory(program=program, amount=Decimal("500000.00"))
    SubmittedApplicationFactory(program=program)                      # its own form, filled in
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import factory
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from finance.models import Budget
from grants.models import (
    Application,
    AttachmentKind,
    CostLineKind,
    FieldType,
    Membership,
    Organization,
    Program,
    ProgramField,
    ProgramKind,
    User,
)
from tests.support.documents import PDF, cert_fields, make_uscc
from tests.support.personas import ADMIN, APPLICANT, FINANCE


def _user(who: str | User) -> User:
    return who if isinstance(who, User) else User.objects.get(username=who)


def _program(which: str | Program) -> Program:
    return which if isinstance(which, Program) else Program.objects.get(code=which)


class OrganizationFactory(DjangoModelFactory):
    """An SME enterprise registered in 天山区 with confirmed bank details (as if given at
    registration); ``members=[APPLICANT]`` makes users act for it, the first as its
    administrator. ``bank=False`` leaves it without bank details."""

    class Meta:
        model = Organization
        django_get_or_create = ("uscc",)  # OrganizationFactory(serial=501) twice: one organisation
        skip_postgeneration_save = True

    class Params:
        serial = factory.Sequence(lambda n: 600_000 + n)  # clear of the serials tests pick

    name = factory.LazyAttribute(lambda o: f"乌鲁木齐第{o.serial}号科技有限公司")
    uscc = factory.LazyAttribute(lambda o: make_uscc(o.serial, o.district_id))
    kind = "enterprise"
    district_id = "650102"
    is_sme = True
    bank_account_name = factory.LazyAttribute(lambda o: o.name)
    bank_name = "中国工商银行股份有限公司乌鲁木齐分行"
    bank_account_number = factory.LazyAttribute(lambda o: f"30020001092{o.serial:08d}")
    cnaps_code = "102881000014"
    bank_confirmed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def bank(org: Organization, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted is False:
            Organization.objects.filter(pk=org.pk).update(
                bank_account_name="",
                bank_name="",
                bank_account_number="",
                cnaps_code="",
                bank_confirmed_at=None,
            )
            org.refresh_from_db()

    @factory.post_generation
    def members(org: Organization, create: bool, extracted: Any, **kwargs: Any) -> None:
        for i, member in enumerate(extracted or ()):
            role = Membership.Role.ADMIN if i == 0 else Membership.Role.STAFF
            Membership.objects.get_or_create(
                user=_user(member), organization=org, defaults={"role": role}
            )


def _year_window(year: int) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    return (
        dt.datetime(year, 1, 1, tzinfo=zone),
        dt.datetime(year, 12, 31, 23, 59, 59, tzinfo=zone),
    )


class ProgramFactory(DjangoModelFactory):
    """A general programme open all this year, district → city → region, for enterprises
    and universities.

    Its form: one text field ``project``, one counted cost line kind ``fee``, one required
    attachment ``proof``. ``rules`` names the rule set of ``rules/data/`` activated for it
    (default ``navigation``'s tables: place, window, organisation kind, documents, award
    under the cap, budget; they read no programme field); ``rules=False`` leaves it without.
    """

    class Meta:
        model = Program
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"general-{n}")
    name = factory.Sequence(lambda n: f"测试专项资金 {n}")
    name_en = factory.Sequence(lambda n: f"Test grant {n}")
    kind = ProgramKind.GENERAL
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    number_prefix = "GT"
    levels = factory.LazyFunction(lambda: ["district", "city", "region"])
    cap = Decimal("100000.00")
    opens = factory.LazyAttribute(lambda o: _year_window(o.year)[0])
    closes = factory.LazyAttribute(lambda o: _year_window(o.year)[1])
    allowed_org_kinds = factory.LazyFunction(lambda: ["enterprise", "university"])

    @factory.post_generation
    def form(program: Program, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create or extracted is False:
            return
        ProgramField.objects.create(
            program=program,
            name="project",
            type=FieldType.TEXT,
            label="项目名称",
            label_en="Project",
        )
        CostLineKind.objects.create(
            program=program, code="fee", label="费用", label_en="Fee", counts_toward_award=True
        )
        AttachmentKind.objects.create(
            program=program, code="proof", label="证明材料", label_en="Proof", required=True
        )

    @factory.post_generation
    def rules(program: Program, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create or extracted is False:
            return
        from rules import library
        from rules.models import RuleSetVersion
        from rules.services import ruleset_activate

        admin = _user(ADMIN)
        draft = RuleSetVersion.objects.create(
            program=program,
            number=1,
            content=library.rule_set(extracted or "navigation"),
            test_cases=[  # a version needs one: a claim of ¥1,000 is awarded ¥1,000
                {
                    "name": "a claim under the cap",
                    "facts": {"cost": {"counted_fen": 100_000, "total_fen": 100_000}},
                    "expect": {"checks": {"award_amount": True}, "award_fen": 100_000},
                }
            ],
            created_by=admin,
        )
        ruleset_activate(version=draft, actor=admin, effective_from=program.opens)


class BudgetFactory(factory.Factory):
    """Budget that finance adds to a programme's year (its ledger entry and audit row)."""

    class Meta:
        model = Budget

    program = factory.SubFactory(ProgramFactory)
    year = factory.LazyAttribute(lambda o: _program(o.program).year)
    amount = Decimal("1000000.00")
    source = "city"
    reason = "测试预算"
    actor = FINANCE

    @classmethod
    def _create(cls, model_class: type[Budget], **kwargs: Any) -> Budget:
        from workflows.lifecycle import budget_added

        entry = budget_added(
            actor=_user(kwargs["actor"]),
            program=_program(kwargs["program"]),
            year=kwargs["year"],
            amount=Decimal(kwargs["amount"]),
            source=kwargs["source"],
            reason=kwargs["reason"],
        )
        return Budget.objects.get(pk=entry.budget_id)  # the totals as updated in the database


def _sample_fields(program: Program, tag: str) -> dict[str, Any]:
    """Answers to every field of ``program``'s form (cert-subsidy: a valid certificate)."""
    if program.code == "cert-subsidy":
        return cert_fields(tag)
    today = timezone.localdate().isoformat()
    samples = {
        FieldType.TEXT: tag,
        FieldType.DATE: today,
        FieldType.DECIMAL: "1.00",
        FieldType.INTEGER: 12,
        FieldType.BOOLEAN: True,
    }
    return {
        f.name: (f.choices[0] if f.type == FieldType.CHOICE else samples[f.type])
        for f in program.fields.all()
    }


def _counted_kind(program: Program) -> str:
    if program.code == "cert-subsidy":
        return "certification_fee"
    return program.cost_line_kinds.filter(counts_toward_award=True).order_by("position")[0].code


def _required_attachments(program: Program) -> list[str]:
    if program.code == "cert-subsidy":
        return ["certificate", "invoice"]
    kinds = program.attachment_kinds.filter(required=True).order_by("position")
    return list(kinds.values_list("code", flat=True))


class DraftApplicationFactory(factory.Factory):
    """A draft claim with its form filled in, one counted cost line and every required
    attachment, created by ``actor`` (default the applicant persona) for ``organization``
    (default: a new SME the actor acts for). Default programme: cert-subsidy."""

    class Meta:
        model = Application

    class Params:
        tag = factory.Sequence(lambda n: f"F-{n:06d}")  # certificate number, invoice reference
        fee = "35000.00"
        programme = factory.LazyAttribute(lambda o: _program(o.program))  # looked up once

    actor = APPLICANT
    program = "cert-subsidy"  # a code or a Program
    organization = factory.LazyAttribute(lambda o: OrganizationFactory(members=[o.actor]))
    fields = factory.LazyAttribute(lambda o: _sample_fields(o.programme, o.tag))
    cost_lines = factory.LazyAttribute(
        lambda o: [
            {"kind": _counted_kind(o.programme), "amount": o.fee, "reference": f"INV-{o.tag}"}
        ]
    )
    attachments = factory.LazyAttribute(lambda o: _required_attachments(o.programme))

    @classmethod
    def _create(cls, model_class: type[Application], **kwargs: Any) -> Application:
        from grants.services import application_create, attachment_add

        actor = _user(kwargs["actor"])
        program = kwargs["program"]
        app = application_create(
            actor=actor,
            program_code=program.code if isinstance(program, Program) else program,
            organization_id=kwargs["organization"].pk,
            fields=kwargs["fields"],
            cost_lines=kwargs["cost_lines"],
        )
        for kind in kwargs["attachments"]:
            attachment_add(
                actor=actor,
                application=app,
                kind=kind,
                upload=SimpleUploadedFile(f"{kind}.pdf", PDF),
            )
        return app


class SubmittedApplicationFactory(DraftApplicationFactory):
    """A claim submitted by its actor (rules judged, waiting at the first level), then
    approved by each reviewer of ``approved_by`` in turn, e.g. ``BELOW_REGION``."""

    approved_by = ()

    @classmethod
    def _create(cls, model_class: type[Application], **kwargs: Any) -> Application:
        from workflows.lifecycle import decide, submit

        approved_by = kwargs.pop("approved_by")
        app = super()._create(model_class, **kwargs)
        app = submit(actor=_user(kwargs["actor"]), application=app)
        for reviewer in approved_by:
            app = decide(application=app, actor=_user(reviewer), decision="approve")
        return app
