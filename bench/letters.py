"""Letter figures: warm render time, PDF size, and 1,000 letters through real Celery workers.

- ``letters.render_ms_median``: one award letter as issued — its HTML rendered as PDF/A-3b
  by the warm renderer (one FontConfiguration, pre-parsed stylesheet, cut-down fonts) and
  signed with the issuing authority's key (pre-parsed once per process); baseline: plain
  WeasyPrint, the same HTML rendered by ``weasyprint.HTML(string=…).write_pdf()`` with a
  fresh ``FontConfiguration`` each time, the stylesheet inline and the system's Noto CJK
  fonts (HarfBuzz subsetting, ``libharfbuzz-subset0``), same run.
- ``letters.pdf_kb``: that signed letter's size; baseline: the plain WeasyPrint PDF.
- ``letters.batch_1000_s``: 1,000 approved applications, one ``letters.issue``
  task each on Redis, consumed by worker processes started here (prefork, one
  process per core) until every letter is stored; baseline: the same 1,000
  letters rendered and signed sequentially in this process by the warm renderer.
"""

from __future__ import annotations

import base64
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from pypdf import PdfReader

from bench.common import Figure, median_ms
from demo.seed import seed_demo
from grants.audit import audit_record
from grants.models import Application, Organization, Status
from letters.models import Letter, LetterStatus
from rules.models import Evaluation
from tests.support.factories import OrganizationFactory, SubmittedApplicationFactory
from tests.support.personas import APPLICANT, REVIEW_CHAIN

ROOT = Path(__file__).resolve().parent.parent
BATCH = 1000


def _approved_application(org: Organization) -> Application:
    """A ¥35,000 cert-subsidy claim approved at every level (the shared test factory)."""
    return SubmittedApplicationFactory(
        organization=org, tag="LETTER-0", fee="35000.00", approved_by=REVIEW_CHAIN
    )


def _clone_approved(template: Application, count: int) -> list[int]:
    """``count`` approved applications like ``template``: rows, rule evaluation, decision audit rows."""
    evaluation = template.evaluations.first()
    decisions = list(template.audit_entries.filter(action="review.decision").order_by("id"))
    with transaction.atomic():
        apps = Application.objects.bulk_create(
            [
                Application(
                    number=f"CS-BENCH-{i:06d}",
                    program=template.program,
                    organization=template.organization,
                    status=Status.APPROVED,
                    chain=template.chain,
                    fields=template.fields,
                    award_amount=template.award_amount,
                    round=1,
                    submitted_at=template.submitted_at,
                    created_by=template.created_by,
                )
                for i in range(count)
            ]
        )
        Evaluation.objects.bulk_create(
            [
                Evaluation(
                    application=a,
                    rule_set_version=evaluation.rule_set_version,
                    purpose="submit",
                    checks=evaluation.checks,
                    facts=evaluation.facts,
                    award_amount=evaluation.award_amount,
                )
                for a in apps
            ]
        )
        for a in apps:
            for d in decisions:
                audit_record(
                    actor=d.actor,
                    action=d.action,
                    obj=a,
                    application=a,
                    role=d.role,
                    level=d.level,
                    data=d.data | {"round": 1},
                )
    return [a.pk for a in apps]


def _workers(count: int, media: str) -> list[subprocess.Popen]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "1",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": media,
        "EMAIL_URL": "locmem://",
    }
    procs = []
    for i in range(count):
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-P",
                    "prefork",
                    "-c",
                    "1",
                    "-l",
                    "warning",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"bench-letters-{i}-{os.getpid()}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    return procs


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _batch_figure(ids: list[int], baseline_s: float) -> Figure:
    from config.celery import app as celery_app
    from config.celery import ping
    from letters.tasks import issue_letter

    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis"):
        return Figure(
            "letters.batch_1000_s",
            0.0,
            "s",
            baseline_s,
            "skipped: needs PostgreSQL and Redis (worker processes share the database)",
        )
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    count = os.cpu_count() or 2
    procs = _workers(count, str(settings.MEDIA_ROOT))
    try:
        for _ in range(count * 2):  # every worker is up and consuming
            ping.delay().get(timeout=120)
        started = time.perf_counter()
        for pk in ids:
            issue_letter.delay(pk, "award", 1)
        deadline = started + 600
        while time.perf_counter() < deadline:
            done = Letter.objects.filter(application_id__in=ids, status=LetterStatus.ISSUED).count()
            if done >= len(ids):
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        done = Letter.objects.filter(application_id__in=ids, status=LetterStatus.ISSUED).count()
    finally:
        celery_app.conf.task_always_eager = eager
        _stop(procs)
    awarded = Application.objects.filter(pk__in=ids, status=Status.AWARDED).count()
    numbers = Letter.objects.filter(application_id__in=ids).values("number").distinct().count()
    return Figure(
        "letters.batch_1000_s",
        elapsed,
        "s",
        baseline_s,
        f"{done}/{len(ids)} letters issued ({awarded} awarded, {numbers} distinct numbers) by "
        f"{count} worker process(es) on Redis, from first enqueue to last PDF stored; "
        "baseline: the same letters rendered and signed sequentially in one warm process",
    )


def run(repeat: int = 40, batch: int = BATCH, quick: bool = False) -> list[Figure]:
    if quick:
        repeat, batch = 3, 10
    import weasyprint
    from django.utils import timezone
    from weasyprint.text.fonts import FontConfiguration

    from letters.pdf import SCHEME, font_face_css, renderer, resolve
    from letters.qr import qr_png, qr_src
    from letters.services import letter_html, letter_sign

    seed_demo(timezone.localdate().year)
    org = OrganizationFactory(name="乌鲁木齐天山新材料科技有限公司", members=[APPLICANT])
    app = _approved_application(org)  # eager: its letter is issued on commit
    letter = Letter.objects.get(application=app)
    html = letter_html(letter)

    warm = renderer()

    def issued() -> bytes:  # what a worker does between reserve and store
        return letter_sign(letter, warm.render_letter(html))

    ours = issued()
    render_ms = median_ms(lambda i: issued(), repeat)

    # the same page for plain WeasyPrint: the stylesheet inline with the font stacks of each
    # style but without our @font-face rules (so the system's Noto CJK faces), the QR code
    # as a data: URL, a fresh FontConfiguration each time
    css = resolve(f"{SCHEME}static/letters/letter.css").read_text(encoding="utf-8")
    stacks = "\n".join(r for r in font_face_css().splitlines() if not r.startswith("@font-face"))
    qr = "data:image/png;base64," + base64.b64encode(qr_png(letter.code)).decode("ascii")
    plain_html = html.replace("</head>", f"<style>{css}\n{stacks}</style></head>").replace(
        qr_src(letter.code), qr
    )

    def plain_render() -> bytes:
        return weasyprint.HTML(string=plain_html).write_pdf(font_config=FontConfiguration())

    plain = plain_render()
    plain_ms = median_ms(lambda i: plain_render(), 10, warmup=2)

    pages = len(PdfReader(io.BytesIO(ours)).pages)
    ids = _clone_approved(app, batch)
    started = time.perf_counter()
    for _ in range(batch):
        issued()
    sequential_s = time.perf_counter() - started
    batch_figure = _batch_figure(ids, sequential_s)

    return [
        Figure(
            "letters.render_ms_median",
            render_ms,
            "ms",
            plain_ms,
            f"median of {repeat} issues of one award letter ({pages} A4 pages, GB/T 9704) in a warm "
            "process: PDF/A-3b render (reused FontConfiguration, pre-parsed CSS, cut GB 2312 "
            "faces) plus its signature (pre-parsed key); baseline: plain WeasyPrint, "
            "weasyprint.HTML(string).write_pdf() of the same HTML and CSS with a fresh "
            "FontConfiguration and the system Noto CJK fonts",
        ),
        Figure(
            "letters.pdf_kb",
            len(ours) / 1024,
            "KB",
            len(plain) / 1024,
            "size of that signed PDF/A letter; baseline: the plain WeasyPrint PDF "
            "(system Noto CJK subsets)",
        ),
        batch_figure,
    ]
