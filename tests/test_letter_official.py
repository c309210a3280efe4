"""Issue 17: letters an official can sign.

An award letter, a district's refusal and an acceptance certificate are 公文 per GB/T 9704:
发文字号 of the deciding authority and the year of issue, 抄送, page numbers, the geometry
of the page; nothing internal on them; a verification URL a person can copy from the PDF;
upload-to-verify; PDF/A; a signature pyHanko's validator accepts and one changed byte breaks.
Screenshots of the three letters go to test-artifacts/.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from grants.models import Jurisdiction
from letters.models import IssuingAuthority, Letter, LetterKind
from tests.letter_helpers import approve_all, reject_at_district

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
NUMBER = re.compile(r"^[一-龥]+〔20\d\d〕[1-9]\d*号$")
MM = 72 / 25.4  # PDF points per millimetre
# What reviewers see and a letter never prints: rule-check wording, warnings, budget figures,
# reviewers' user names.
INTERNAL = [
    "规则校验",
    "校验",
    "提示",
    "警告",
    "关联",
    "预算",
    "可用",
    "审核记录",
    "reviewer-",
    "admin",
    "applicant",
    "不超过认证费",  # a rule's reason text (rules/seed.py)
    "3,000,000",
    "4,000,000",
    "1,000,000",
]
pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "pdftotext"], capture_output=True).returncode != 0,
    reason="poppler-utils (pdftotext, pdftoppm) is installed by scripts/setup.sh",
)


def pdftotext(data: bytes, *args: str) -> str:
    result = subprocess.run(
        ["pdftotext", *args, "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def screenshot(data: bytes, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for stale in ARTIFACTS.glob(f"{name}-*.png"):
        stale.unlink()
    (ARTIFACTS / f"{name}.pdf").write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-", str(ARTIFACTS / name)], input=data, check=True
    )


def award(as_user, submitted_app, capture) -> Letter:
    approve_all(as_user, submitted_app["id"], capture)
    return Letter.objects.get(application_id=submitted_app["id"], kind=LetterKind.AWARD)


def assert_official(letter: Letter, text: str, *, issuer: str, prefix: str) -> None:
    year = timezone.localtime(letter.created_at).year
    assert NUMBER.match(letter.number), letter.number
    assert letter.number.startswith(f"{prefix}〔{year}〕")  # 代字 of the issuer, year of issue
    assert letter.number in flat(text)
    assert letter.issuer_name == issuer and letter.authority.code_prefix == prefix
    lines = [flat(line) for line in text.splitlines() if line.strip()]
    assert lines[0] == issuer  # 发文机关标志 heads the letter
    assert lines[1] == letter.number  # 发文字号 under it (the red line follows)
    assert sum(line == issuer for line in lines) == 2  # 版头, 署名
    issued = timezone.localtime(letter.created_at).date()
    printed = f"{issuer}{issued.year}年{issued.month}月{issued.day}日印发"
    assert printed in lines  # 版记: 印发机关 and 印发日期 on one line
    assert lines[-1].startswith("—") and lines[-1].endswith("—")  # the last page's number
    assert "—1—" in lines  # page numbers
    assert any(line.startswith("抄送：") for line in lines)
    for word in INTERNAL:
        assert word not in text, word
    assert letter.application.number in flat(text)  # the application number is in the body


def test_award_letter_is_a_gbt9704_document_of_the_city_bureau(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    letter = award(as_user, submitted_app, django_capture_on_commit_callbacks)
    data = letter.pdf.read()
    screenshot(data, "letter-award")
    text = pdftotext(data, "-layout")
    assert_official(letter, text, issuer="乌鲁木齐市市场监督管理局（知识产权局）", prefix="乌知运")
    body = flat(text)
    assert "人民币叁万伍仟元整（¥35,000.00）" in body
    assert "乌鲁木齐天山新材料科技有限公司：" in body  # 主送
    assert "一、奖励决定" in body and "（一）认证情况" in body
    assert "证书编号：GB29490-2026-0001" in body  # a fact, in the programme's words
    assert "抄送：新疆维吾尔自治区市场监督管理局，天山区市场监督管理局。" in body


def test_a_refusal_decided_by_a_district_is_issued_by_that_district(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    reject_at_district(as_user, submitted_app["id"], django_capture_on_commit_callbacks)
    letter = Letter.objects.get(application_id=submitted_app["id"], kind=LetterKind.REFUSAL)
    data = letter.pdf.read()
    screenshot(data, "letter-refusal-district")
    text = pdftotext(data, "-layout")
    assert_official(letter, text, issuer="天山区市场监督管理局", prefix="天市监")
    body = flat(text)
    assert "乌鲁木齐市市场监督管理局（知识产权局）" not in body.split("抄送")[0]
    assert "认证费发票与证书不符" in body
    assert "六十日" in body or "60日内向乌鲁木齐市天山区人民政府申请行政复议" in body
    assert "6个月内依法向人民法院提起行政诉讼" in body
    assert "抄送：乌鲁木齐市市场监督管理局（知识产权局）。" in body  # the fund's lead unit


def test_numbers_are_per_authority_and_year_of_issue_without_padding(
    as_user, submitted_app, applicant, django_capture_on_commit_callbacks
):
    from tests.conftest import attach_required, create_cert_app, register_org

    reject_at_district(as_user, submitted_app["id"], django_capture_on_commit_callbacks)
    org = register_org(applicant, serial=2, name="乌鲁木齐第二科技有限公司")
    second = create_cert_app(applicant, org, certificate_number="GB29490-2026-0002")
    attach_required(applicant, second["id"])
    assert applicant.post(f"/applications/{second['id']}/submit").status_code == 200
    approve_all(as_user, second["id"], django_capture_on_commit_callbacks)
    year = timezone.localdate().year
    refusal = Letter.objects.get(application_id=submitted_app["id"])
    awarded = Letter.objects.get(application_id=second["id"])
    assert refusal.number == f"天市监〔{year}〕1号"
    assert awarded.number == f"乌知运〔{year}〕1号"  # the city's own series starts at 1


def test_an_administrator_sets_the_districts_code_and_it_heads_the_next_refusal(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    from letters.services import authority_for

    place = Jurisdiction.objects.get(code="650102")
    authority = authority_for(place)
    authority.code_prefix = "天山市监字"
    authority.save()
    reject_at_district(as_user, submitted_app["id"], django_capture_on_commit_callbacks)
    letter = Letter.objects.get(application_id=submitted_app["id"])
    assert letter.number == f"天山市监字〔{timezone.localdate().year}〕1号"
    with pytest.raises(Exception):  # noqa: B017 - a 代字 with Latin letters is refused
        IssuingAuthority(jurisdiction=place, name="x", code_prefix="TS-1").full_clean()
