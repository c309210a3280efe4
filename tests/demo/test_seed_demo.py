from django.core.management import call_command

from demo.seed import data_programs
from finance.models import Budget, LedgerEntry
from grants.models import Jurisdiction, Program, RoleAssignment, User


def snapshot():
    return (
        User.objects.count(),
        RoleAssignment.objects.count(),
        Program.objects.count(),
        LedgerEntry.objects.count(),
        Jurisdiction.objects.count(),
    )


def test_seed_demo_is_idempotent_and_matches_the_contract(db):
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    usernames = set(User.objects.values_list("username", flat=True))
    assert usernames >= {
        "applicant",
        "reviewer-tianshan",
        "reviewer-shayibake",
        "reviewer-xinshi",
        "reviewer-shuimogou",
        "reviewer-toutunhe",
        "reviewer-dabancheng",
        "reviewer-midong",
        "reviewer-wulumuqixian",
        "reviewer-city",
        "reviewer-region",
        "finance",
        "auditor",
        "admin",
    }
    assert User.objects.get(username="admin").is_superuser
    assert not User.objects.get(username="applicant").memberships.exists()
    xinshi = RoleAssignment.objects.get(user__username="reviewer-xinshi")
    assert (xinshi.role, xinshi.level, xinshi.jurisdiction_id) == ("reviewer", "district", "650104")
    # the contract's three, and the plan's other lines defined as data (demo/programs/*.json)
    data = {d["code"] for d in data_programs(Program.objects.get(code="cert-subsidy").year)}
    assert len(data) == 3
    assert set(Program.objects.values_list("code", flat=True)) == {
        "cert-subsidy",
        "service-voucher",
        "navigation",
        *data,
    }
    for budget in Budget.objects.all():
        assert budget.allocated > 0
        assert budget.allocated == sum(e.amount for e in budget.entries.filter(kind="allocate"))
