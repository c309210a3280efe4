"""Issue 17: letters an official can sign.

An award letter, a district's refusal and an acceptance certificate are 公文 per GB/T 9704:
发文字号 of the deciding authority and the year of issue, 抄送, page numbers, the geometry
of the page; nothing internal on them; a verification URL a person can copy from the PDF;
upload-to-verify; PDF/A; a signature pyHanko's validator accepts and one changed byte breaks.
Screenshots of the three letters go to test-artifacts/.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from grants.models import Jurisdiction, User
from letters.models import IssuingAuthority, Letter, LetterKind
from tests.support.letters import approve_all, reject_at_district

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
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
    from tests.support.claims import attach_required, create_cert_app, register_org

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


# ---------------------------------------------------------------- the acceptance certificate


def test_an_acceptance_certificate_is_a_gbt9704_document_of_the_city_bureau(
    applicant, django_capture_on_commit_callbacks
):
    from tests.support.clients import login
    from tests.support.navigation import accept_milestone, pay_tranche, scored_projects, signed_off

    project = scored_projects(applicant, (["90"] * 5,))[0]
    capture = django_capture_on_commit_callbacks
    with signed_off([project["id"]], capture):
        project = applicant.get(f"/navigation/projects/{project['id']}").json()
        milestones = project["contract"]["milestones"]
        for i, milestone in enumerate(milestones):
            accept_milestone(applicant, milestone, capture, report=f"第{i + 1}阶段报告")
            if i < len(milestones) - 1:
                pay_tranche(login("finance"), milestone["tranche"], f"BANK-OFF-{i}")
    letter = Letter.objects.get(application_id=project["id"], kind=LetterKind.ACCEPTANCE)
    data = letter.pdf.read()
    screenshot(data, "letter-acceptance")
    text = pdftotext(data, "-layout")
    assert_official(letter, text, issuer="乌鲁木齐市市场监督管理局（知识产权局）", prefix="乌知运")
    body = flat(text)
    assert "通过验收" in body and "人民币肆拾万元整（¥400,000.00）" in body
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日验收合格", body)  # dates in Chinese form
    assert not re.search(r"\d{4}-\d{2}-\d{2}", body)


# ---------------------------------------------------------------- verification a person can use


def printed_url(data: bytes) -> str:
    found = re.findall(r"https?://\S+/verify/\S+", pdftotext(data))
    assert len(found) == 1, found
    return found[0]


def test_the_url_copied_from_the_pdf_text_verifies_the_letter(
    as_user, submitted_app, settings, django_capture_on_commit_callbacks
):
    from urllib.parse import urlsplit

    settings.FUNDFLOW_SITE_URL = "https://grants.urumqi-amr.example.gov.cn:8443"  # a long one
    letter = award(as_user, submitted_app, django_capture_on_commit_callbacks)
    url = printed_url(letter.pdf.read())  # one line: pdftotext copies it whole
    assert url == f"{settings.FUNDFLOW_SITE_URL}/verify/{letter.code}"
    page = Client().get(urlsplit(url).path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "verdict good" in html and letter.number in html
    assert "sha256sum" not in html


def test_codes_have_no_look_alikes_are_read_back_forgivingly_and_old_codes_still_verify(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    import secrets

    from letters.codes import ALPHABET, code_grouped

    letter = award(as_user, submitted_app, django_capture_on_commit_callbacks)
    assert len(letter.code) * 5 >= 120 and set(letter.code) <= set(ALPHABET)
    assert not set("ILOU") & set(ALPHABET)
    grouped = code_grouped(letter.code)
    assert re.fullmatch(r"([0-9A-Z]{4}-){5}[0-9A-Z]{4}", grouped)
    assert grouped in flat(pdftotext(letter.pdf.read()))  # printed in groups, read aloud
    spoken = grouped.lower().replace("-", " ").replace("1", "l").replace("0", "o")
    response = Client().get("/verify/", {"code": spoken})
    assert response.status_code == 302 and response["Location"] == f"/verify/{letter.code}"
    assert Client().get(f"/api/v1/letters/verify/{grouped}").json()["number"] == letter.number

    old = secrets.token_urlsafe(24)  # a code of a letter issued before issue 17
    Letter.objects.filter(pk=letter.pk).update(code=old)
    body = Client().get(f"/api/v1/letters/verify/{old}").json()
    assert body["valid"] is True and body["number"] == letter.number
    assert Client().get(f"/api/v1/letters/verify/{old.upper()}x").status_code == 404


def upload(client: Client, path: str, data: bytes, name: str = "letter.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(path, {"file": SimpleUploadedFile(name, data, "application/pdf")})


def one_byte_changed(data: bytes) -> bytes:
    """The PDF with one byte of a content stream flipped (still a PDF to a reader)."""
    changed = bytearray(data)
    changed[len(data) // 3] ^= 0x01
    return bytes(changed)


def test_upload_to_verify_says_genuine_for_the_issued_pdf_and_not_for_one_byte_changed(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    letter = award(as_user, submitted_app, django_capture_on_commit_callbacks)
    data = letter.pdf.read()
    anonymous = Client()

    body = upload(anonymous, "/api/v1/letters/verify", data).json()
    assert body["valid"] is True and body["matched"] is True
    assert (body["number"], body["sha256"], body["status"]) == (
        letter.number,
        letter.sha256,
        "issued",
    )
    assert body["signature"]["valid"] is True
    assert body["signature"]["signer"] == "乌鲁木齐市市场监督管理局（知识产权局）"

    forged = upload(anonymous, "/api/v1/letters/verify", one_byte_changed(data)).json()
    assert forged["valid"] is False and forged["matched"] is False and forged["number"] is None
    assert forged["signature"]["present"] is True and forged["signature"]["valid"] is False

    page = upload(anonymous, "/verify/", data).content.decode()
    assert 'id="file-verdict"' in page and "verdict good" in page and letter.number in page
    page = upload(anonymous, f"/verify/{letter.code}", one_byte_changed(data)).content.decode()
    assert "verdict bad" in page.split('id="file-verdict"')[1]

    not_pdf = upload(anonymous, "/api/v1/letters/verify", b"hello", "x.pdf")
    assert not_pdf.status_code == 422 and not_pdf.json()["errors"][0]["field"] == "file"


def test_upload_of_a_superseded_version_is_not_valid(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    from letters.services import letters_reissue

    letter = award(as_user, submitted_app, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        letters_reissue(actor=User.objects.get(username="admin"), reason="模板修正")
    body = upload(Client(), "/api/v1/letters/verify", letter.pdf.read()).json()
    assert body["matched"] is True and body["valid"] is False and body["status"] == "superseded"
    v2 = Letter.objects.get(application=letter.application, version=2)
    assert v2.number == letter.number and v2.issuer_name == letter.issuer_name


def test_the_verify_page_fits_a_phone(demo):
    css = (Path(__file__).resolve().parents[2] / "static/css/app.css").read_text()
    assert ".verdict {" in css and "word-break:break-all" in css
    html = Client().get("/verify/").content.decode()
    assert 'type="file"' in html and 'name="code"' in html
    assert 'class="status' not in html  # the nowrap pills are not used for sentences


# ---------------------------------------------------------------- GB/T 9704 geometry

DPI = 300


def page_pixels(data: bytes, page: int):
    from PIL import Image

    png = subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page), "-png", "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return image.size, image.load()


def mm(pixels: float) -> float:
    return pixels * 25.4 / DPI


def is_red(p) -> bool:
    return p[0] > 150 and p[1] < 90 and p[2] < 90


def is_ink(p) -> bool:
    return p[0] < 110 and p[1] < 110 and p[2] < 110


def test_a_rendered_page_has_the_gbt9704_geometry(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    """Measured from the PDF (rasterised at 300 dpi), each within 1 mm: 天头 37 mm and
    发文机关标志 35 mm below it, 订口 28 mm and a type area 156 mm wide, the red separator
    4 mm under the 发文字号 and as wide as the type area, the page number's dash 7 mm under
    the type area (225 mm tall), the 版记's last rule on the type area's bottom edge."""
    from pypdf import PdfReader

    letter = award(as_user, submitted_app, django_capture_on_commit_callbacks)
    data = letter.pdf.read()
    reader = PdfReader(io.BytesIO(data))
    assert [round(float(v) / MM) for v in reader.pages[0].mediabox[2:]] == [210, 297]  # A4
    (w, h), px = page_pixels(data, 1)
    step = 2

    # the red separator line: rows mostly red
    red_rows = [y for y in range(h) if sum(is_red(px[x, y]) for x in range(0, w, 4)) > w / 8]
    assert red_rows and mm(red_rows[-1] - red_rows[0]) < 1  # one line
    line_y = red_rows[0]
    red_x = [x for x in range(w) if is_red(px[x, line_y])]
    assert abs(mm(red_x[0]) - 28) <= 1  # 订口
    assert abs(mm(red_x[-1] + 1) - (28 + 156)) <= 1  # as wide as the type area
    # the 发文机关标志 (red ink above the line): its top 37 + 35 mm from the page's top
    mark_top = next(y for y in range(h) if any(is_red(px[x, y]) for x in range(0, w, step)))
    assert abs(mm(mark_top) - (37 + 35)) <= 1
    # the 发文字号 (black ink just above the line): the line 4 mm under it
    number_bottom = max(
        y for y in range(line_y) if any(is_ink(px[x, y]) for x in range(0, w, step))
    )
    assert abs(mm(line_y - number_bottom - 1) - 4) <= 1
    # body text: from the binding margin to the type area's right edge, never beyond
    body = range(line_y + 50, int(DPI / 25.4 * 262), 3)
    ink_x = [x for x in range(w) if any(is_ink(px[x, y]) for y in body)]
    assert abs(mm(ink_x[0]) - 28) <= 1 and mm(ink_x[-1]) <= 28 + 156 + 0.5
    # page number — 1 —: its dash 7 mm below the type area (37 + 225 mm)
    foot = [(x, y) for y in range(int(DPI / 25.4 * 262), h) for x in range(w) if is_ink(px[x, y])]
    first_x = min(x for x, _y in foot)
    dash_rows = [y for x, y in foot if x < first_x + DPI / 25.4 * 2]
    assert abs(mm(min(dash_rows)) - (37 + 225 + 7)) <= 1

    # the last page: the 版记's last (thick) rule lies on the type area's bottom edge
    (w, h), px = page_pixels(data, len(reader.pages))
    rules = [y for y in range(h) if sum(is_ink(px[x, y]) for x in range(0, w, 4)) > w / 8]
    assert rules and abs(mm(rules[-1] + 1) - (37 + 225)) <= 1
    assert len({round(mm(y)) for y in rules}) == 3  # 版记: three rules (thick, thin, thick)


# ---------------------------------------------------------------- archival and signature


def validate(data: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from letters.signing import trust_roots

    reader = PdfFileReader(io.BytesIO(data))
    assert len(reader.embedded_signatures) == 1
    context = ValidationContext(trust_roots=trust_roots(), allow_fetching=False)
    return validate_pdf_signature(reader.embedded_signatures[0], context)


def test_a_signed_letter_validates_with_pyhanko_and_one_changed_byte_fails(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    letter = award(as_user, submitted_app, django_capture_on_commit_callbacks)
    data = letter.pdf.read()
    status = validate(data)
    assert status.bottom_line, status.pretty_print_details()
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    signer = status.signing_cert.subject.native["common_name"]
    assert signer == letter.issuer_name == letter.signed_by  # who signed: the issuer

    try:
        broken = validate(one_byte_changed(data))
    except Exception:  # noqa: BLE001 - a file pyHanko cannot even read has failed too
        return
    assert not broken.bottom_line and not broken.intact


def test_a_district_refusal_is_signed_with_the_districts_certificate(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    reject_at_district(as_user, submitted_app["id"], django_capture_on_commit_callbacks)
    letter = Letter.objects.get(application_id=submitted_app["id"])
    status = validate(letter.pdf.read())
    assert status.bottom_line
    assert status.signing_cert.subject.native["common_name"] == "天山区市场监督管理局"


def test_letters_are_pdfa_3b(as_user, submitted_app, django_capture_on_commit_callbacks):
    from pypdf import PdfReader

    letter = award(as_user, submitted_app, django_capture_on_commit_callbacks)
    reader = PdfReader(io.BytesIO(letter.pdf.read()))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part[=>\"']+3", xmp) and re.search(
        r"pdfaid:conformance[=>\"']+B", xmp
    )
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intent
    fonts = subprocess.run(
        ["pdffonts", "-"], input=letter.pdf.open("rb").read(), capture_output=True, check=True
    ).stdout.decode()
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # all embedded


def seal_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (420, 420), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 410, 410), outline=(230, 0, 18, 255), width=18)
    draw.regular_polygon((210, 210, 80), 5, fill=(230, 0, 18, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_an_uploaded_seal_is_the_visible_mark_of_the_signature(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from pypdf import PdfReader

    from letters.services import authority_for

    authority = authority_for(Jurisdiction.objects.get(code="650100"))
    authority.seal.save("seal.png", ContentFile(seal_png()))
    letter = award(as_user, submitted_app, django_capture_on_commit_callbacks)
    data = letter.pdf.read()
    screenshot(data, "letter-award-with-seal")
    assert validate(data).bottom_line  # the seal is drawn by the signature, not instead of it
    reader = PdfReader(io.BytesIO(data))
    field = reader.trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()
    x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
    assert abs((x2 - x1) / MM - 42) < 0.5 and abs((y2 - y1) / MM - 42) < 0.5  # 42 mm seal
    assert "/AP" in field and field["/F"] & 4  # an appearance, printed
    # it presses the signature and the date: the widget covers the date's line
    words = pdftotext(data, "-bbox")
    date = re.search(
        r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">\d{4}年\d+月\d+日</word>', words
    )
    page_height = float(reader.pages[-1].mediabox[3])
    date_y = page_height - (float(date.group(1)) + float(date.group(2))) / 2
    assert y1 < date_y < y2


def test_without_a_configured_key_a_production_server_refuses_to_sign(settings):
    from django.core.exceptions import ImproperlyConfigured

    from letters.signing import signer_for

    settings.FUNDFLOW_LETTER_SIGNING_DEMO = False
    settings.FUNDFLOW_LETTER_SIGNING_KEYS = {}
    with pytest.raises(ImproperlyConfigured):
        signer_for(jurisdiction_code="650100", name="乌鲁木齐市市场监督管理局（知识产权局）")


def test_signing_keys_come_from_the_environment_per_authority(monkeypatch, tmp_path, settings):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import signing_keys_from_env
    from letters import signing

    demo = signing.demo_signer("650102", "天山区市场监督管理局")  # any key pair will do
    key, cert = next(signing.demo_dir().glob("demo-650102-*.key")), None
    cert = key.with_suffix(".crt")
    monkeypatch.setenv("LETTER_SIGNING_KEY_TIANSHAN", str(key))
    monkeypatch.setenv("LETTER_SIGNING_CERT_TIANSHAN", str(cert))
    keys = signing_keys_from_env()
    assert keys["TIANSHAN"]["key"] == str(key) and "" not in keys
    settings.FUNDFLOW_LETTER_SIGNING_KEYS = keys
    signer = signing.signer_for(jurisdiction_code="650102", name="x", signing_key="TIANSHAN")
    assert signer.subject == demo.subject == "天山区市场监督管理局"
    with pytest.raises(ImproperlyConfigured):
        signing.signer_for(jurisdiction_code="650102", name="x", signing_key="OTHER")
    monkeypatch.setenv("LETTER_SIGNING_KEY", str(tmp_path / "missing.pem"))
    with pytest.raises(ImproperlyConfigured):
        signing_keys_from_env()  # a key without its certificate, a file that is not there


# ---------------------------------------------------------------- fonts


def test_an_administrator_points_the_styles_at_licensed_faces(settings, tmp_path):
    from letters import pdf

    face = tmp_path / "FZXBSJW.ttf"
    face.write_bytes(b"\0\1\0\0")  # only served, never parsed here
    settings.FUNDFLOW_LETTER_FONTS = {
        "title": str(face),
        "body": "FangSong_GB2312",
        "hei": "",
        "kai": "",
    }
    css = pdf.font_face_css()
    assert '@font-face { font-family: "Letter title"; src: url("fundflow:licensed/title"); }' in css
    assert '.mark, h1 { font-family: "Letter title", "Fundflow Serif"' in css  # free face behind
    assert 'html { font-family: "FangSong_GB2312", "Fundflow Serif"' in css
    assert pdf.resolve("fundflow:licensed/title") == face.resolve()
    with pytest.raises(pdf.RefusedResource):
        pdf.resolve("fundflow:licensed/body")  # a family name, not a file: nothing to serve


def test_rare_name_characters_in_every_style_are_never_boxes():
    from letters.pdf import Renderer

    rare = "堃䶮㛃"
    html = (
        f'<html><body><p class="mark">{rare}</p><h1>{rare}</h1><h2>{rare}</h2>'
        f"<h3>{rare}</h3><p>{rare}</p></body></html>"
    )
    text = flat(pdftotext(Renderer().render(html)))
    assert text.count(rare) == 5


def test_the_administrator_sets_authorities_and_programme_letter_settings(demo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from letters.models import ProgramLetterSettings

    browser = Client()
    assert browser.login(username="admin", password="demo-pass-2026")
    page = browser.get("/admin/letters/issuingauthority/").content.decode()
    assert "天市监" in page and "乌知运" in page  # listed before any letter was issued
    assert IssuingAuthority.objects.count() == Jurisdiction.objects.count()
    response = browser.post(
        "/admin/letters/issuingauthority/650102/change/",
        {
            "name": "天山区市场监督管理局",
            "code_prefix": "天市监",
            "reconsideration_body": "乌鲁木齐市天山区人民政府",
            "signing_key": "",
            "seal": SimpleUploadedFile("seal.png", seal_png(), "image/png"),
        },
    )
    assert response.status_code == 302, re.findall(
        r"errorlist[^<]*<li>([^<]*)", response.content.decode()
    )
    assert IssuingAuthority.objects.get(pk="650102").seal
    bad = browser.post(
        "/admin/letters/issuingauthority/650102/change/",
        {"name": "x", "code_prefix": "TS-01", "reconsideration_body": "y", "signing_key": ""},
    )
    assert bad.status_code == 200  # 代字 with Latin letters and a hyphen: refused
    assert "天市监" == IssuingAuthority.objects.get(pk="650102").code_prefix
    assert browser.get("/admin/letters/programlettersettings/").status_code == 200
    assert ProgramLetterSettings.objects.count() >= 3


# ---------------------------------------------------------------- versions


def test_new_shipped_templates_are_new_versions_and_an_administrators_own_stays(demo):
    from grants.models import Program
    from letters.models import LetterTemplate
    from letters.services import template_current, template_kind_for

    old = LetterTemplate.objects.create(
        kind="refusal", version=1, body="{% extends 'letters/_base.html' %}", note="templates/"
    )
    current = template_current("refusal")
    assert current.version == 2 and "_document.html" in current.body  # the GB/T 9704 one
    assert LetterTemplate.objects.get(pk=old.pk).body == old.body  # never edited
    assert template_current("refusal").pk == current.pk  # once

    LetterTemplate.objects.create(kind="voucher", version=1, body="mine", note="措辞修改")
    assert template_current("voucher").body == "mine"  # an administrator's version stays

    general = Program(kind="general")
    assert template_kind_for(program=general, kind="award") == "general"  # the generic one
    assert template_kind_for(program=Program(kind="certification"), kind="award") == (
        "certification"
    )
    assert template_current("general").body.startswith('{% extends "letters/_document.html" %}')


def test_the_signing_command_names_each_authoritys_certificate(demo, capsys):
    from django.core.management import call_command

    call_command("letters_signing")
    out = capsys.readouterr().out
    assert "650102 天山区市场监督管理局 (天市监): 天山区市场监督管理局 [demo] SHA-256" in out
    assert out.count("\n") == Jurisdiction.objects.count()
