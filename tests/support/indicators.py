"""Records behind the plan's indicators, made directly, in any year (tests of ``indicators``).

Programmes are found by code (a yearly clone is ``code-YYYY``), so these stand in for the
programmes of the plan's tasks 2, 8 and 10 that the programme definitions add as data.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from grants.models import Application, Organization, Program, ProgramKind, Status, User
from tests.support.factories import OrganizationFactory, ProgramFactory
from tests.support.personas import ADMIN

_serial = itertools.count(1)


def program(code: str, year: int, kind: str = ProgramKind.GENERAL) -> Program:
    """The programme ``code`` of ``year``: ``code`` itself the first time, then ``code-YYYY``."""
    found = Program.objects.filter(year=year, code__in=[code, f"{code}-{year}"]).first()
    if found:
        return found
    taken = Program.objects.filter(code=code).exists()
    return ProgramFactory(
        code=f"{code}-{year}" if taken else code, year=year, kind=kind, rules=False, form=False
    )


def organization(**kwargs: Any) -> Organization:
    return OrganizationFactory(**kwargs)


def application(
    prog: Program,
    org: Organization | None = None,
    *,
    status: str = Status.AWARDED,
    fields: dict[str, Any] | None = None,
) -> Application:
    n = next(_serial)
    return Application.objects.create(
        number=f"IND-{prog.year}-{n:05d}",
        program=prog,
        organization=org or organization(),
        status=status,
        fields=fields or {},
        submitted_at=timezone.now(),
        created_by=User.objects.get(username=ADMIN),
    )


def navigation_project(year: int, stage: str = "awarded"):
    from navigation.models import NavigationProject

    app = application(program("navigation-test", year, ProgramKind.NAVIGATION))
    return NavigationProject.objects.create(application=app, industry="新材料", stage=stage)


def agency(year: int, month: int = 6):
    from agencies.models import Agency

    org = organization(kind="service_agency", is_sme=False)
    return Agency.objects.create(
        organization=org, admitted_on=dt.date(year, month, 1), services=["custody"]
    )


def loan(prog: Program, amount: str, org: Organization | None = None) -> Application:
    return application(prog, org, fields={"loan_amount": amount, "bank": "某银行"})


def money(value: str) -> Decimal:
    return Decimal(value)
