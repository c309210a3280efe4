"""The embedded default (SQLite file, WAL, IMMEDIATE transactions) runs the whole claim flow.

Runs in a child process with its own SQLite file, whatever database the rest of the suite uses.
"""

import json
import os
import subprocess
import sys

from tests.support import ROOT

SCRIPT = r"""
import json, threading
from django.db import connection
from django.test import Client
from grants.services import application_create
from grants.models import User, Application
from tests.support.documents import PDF, make_uscc

c = Client(SERVER_NAME="localhost")
tok = c.post("/api/v1/auth/token", {"username": "applicant", "password": "demo-pass-2026"},
             content_type="application/json").json()["token"]
h = {"HTTP_AUTHORIZATION": "Bearer " + tok}
org = c.post("/api/v1/organizations", {"name": "测试有限公司", "uscc": make_uscc(42), "kind": "enterprise",
             "district": "650102", "is_sme": True}, content_type="application/json", **h).json()["id"]
fields = {"standard": "GB/T 29490", "certificate_number": "S-1", "certification_body": "中国质量认证中心",
          "certified_on": "2026-01-10", "valid_until": "2029-01-09"}
app = c.post("/api/v1/applications", {"program": "cert-subsidy", "organization": org, "fields": fields,
             "cost_lines": [{"kind": "certification_fee", "amount": "12345.67"}]},
             content_type="application/json", **h).json()
for kind in ("certificate", "invoice"):
    from django.core.files.uploadedfile import SimpleUploadedFile
    c.post(f"/api/v1/applications/{app['id']}/attachments",
           {"kind": kind, "file": SimpleUploadedFile(kind + ".pdf", PDF)}, **h)
submitted = c.post(f"/api/v1/applications/{app['id']}/submit", **h).json()

user = User.objects.get(username="applicant")
errors = []
def worker():
    try:
        for _ in range(5):
            application_create(actor=user, program_code="cert-subsidy", organization_id=org)
    except Exception as exc:  # report, do not hide
        errors.append(repr(exc))
threads = [threading.Thread(target=worker) for _ in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
numbers = list(Application.objects.values_list("number", flat=True))

# two reviewers decide the same task at once: SQLite's IMMEDIATE transactions serialise them
from grants.errors import Conflict
from grants.models import Jurisdiction
from grants.reviewers import reviewer_appoint
from workflows.lifecycle import decide as decision_record
second = User.objects.create_user("reviewer-tianshan-2")
reviewer_appoint(user=second, jurisdiction=Jurisdiction.objects.get(code="650102"))
target = Application.objects.get(pk=app["id"])
outcomes = []
barrier = threading.Barrier(2)
def decide(username, decision):
    actor = User.objects.get(username=username)
    barrier.wait()
    try:
        decision_record(application=target, actor=actor, decision=decision, comment="并发")
        outcomes.append("ok")
    except Conflict:
        outcomes.append("409")
    except Exception as exc:
        outcomes.append(repr(exc))
    finally:
        connection.close()
racers = [threading.Thread(target=decide, args=("reviewer-tianshan", "approve")),
          threading.Thread(target=decide, args=("reviewer-tianshan-2", "reject"))]
[t.start() for t in racers]; [t.join() for t in racers]
with connection.cursor() as cur:
    cur.execute("PRAGMA journal_mode")
    mode = cur.fetchone()[0]
print("RESULT" + json.dumps({"status": submitted["status"], "award": submitted["award_amount"],
      "mode": mode, "errors": errors, "numbers": len(numbers), "unique": len(set(numbers)),
      "race": sorted(outcomes),
      "vendor": connection.vendor}))
"""


def run(args, environment):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_claim_flow_on_the_sqlite_default(tmp_path):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "FUNDFLOW_TESTING"}
    }
    environment.update(
        {"VAR_DIR": str(tmp_path), "DEBUG": "1", "MEDIA_ROOT": str(tmp_path / "media")}
    )
    for args in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        result = run(args, environment)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "fundflow.sqlite3").exists()
    result = run(["shell", "-c", SCRIPT], environment)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT"))
    outcome = json.loads(line.removeprefix("RESULT"))
    assert outcome == {
        "status": "in_review",
        "award": "12345.67",
        "mode": "wal",
        "errors": [],
        "numbers": 21,
        "unique": 21,
        "vendor": "sqlite",
        "race": ["409", "ok"],
    }
