"""The demo accounts of the contract (``demo.seed``) as named personas, one per role.

Every test run starts from the seeded demo, so these users always exist; the
organisations tests register are in 天山区 (650102) unless a test says otherwise,
which is why ``DISTRICT_REVIEWER`` is 天山区's and ``OTHER_DISTRICT_REVIEWER`` must
never see their files.
"""

from __future__ import annotations

from demo.seed import DEMO_PASSWORD, DISTRICT_REVIEWERS
from demo.seed import EXPERTS as DEMO_EXPERTS
from grants.models import User

PASSWORD = DEMO_PASSWORD

ADMIN = "admin"  # superuser, appoints reviewers, issues vouchers, admits agencies
APPLICANT = "applicant"  # acts for the enterprises (and alliances) the tests register
AGENCY = "agency"  # acts for the demo IP service agency admitted to the cluster
DISTRICT_REVIEWER = "reviewer-tianshan"  # 天山区, first level of the chain
OTHER_DISTRICT_REVIEWER = "reviewer-xinshi"  # 新市区: sees nothing of 天山区
CITY_REVIEWER = "reviewer-city"  # 乌鲁木齐市, second level
REGION_REVIEWER = "reviewer-region"  # 自治区, last level: commits the award
FINANCE = "finance"  # budgets, disbursements
AUDITOR = "auditor"  # reads everything, changes nothing
EXPERTS = tuple(username for username, _name, _industries in DEMO_EXPERTS)  # expert-1 … expert-8
DISTRICT_REVIEWERS_BY_CODE = {code: username for username, code in DISTRICT_REVIEWERS.items()}

REVIEW_CHAIN = (DISTRICT_REVIEWER, CITY_REVIEWER, REGION_REVIEWER)
BELOW_REGION = (DISTRICT_REVIEWER, CITY_REVIEWER)


def user(username: str) -> User:
    return User.objects.get(username=username)
