"""Load figures: the real stack under a bounded load, against a bare view on the same server.

The stack, started here on the bench's database and stopped at the end: gunicorn
(``WORKERS`` processes × ``THREADS`` threads, gthread, production settings with
``DEBUG`` off: ``bench.settings_live``), a Celery worker with beat (prefork, one process
per core: it renders the award letters the final approvals queue) on the broker of the
run (``make bench``: our own Redis), and the audit sealer (``bench.sealer``, in its own
process, every second). The load: ``CLIENTS`` threads on 127.0.0.1, one keep-alive
connection each (``http.client``), no think time. Two phases on the same server, each
``WARMUP_S`` of warm-up (not counted) then ``DURATION_S`` measured:

1. baseline: per "lifecycle", the same number of HTTP requests as ours, each to a bare
   view (``bench.views.load_updates``) doing as many single-row UPDATEs in one transaction
   as the same request of ours does (counted on a lifecycle run in process first);
2. ours: per lifecycle, the applicant submits a draft claim (``POST …/submit``), the
   district, city and region reviewers approve it (``POST …/decisions`` × 3), finance
   lists applications (``GET /api/v1/applications``).

Figures:

- ``load.lifecycles_per_s``: lifecycles completed in the measured window per second;
  baseline ``load.baseline_updates_per_s``. Target ratio >= 0.2, with 0 errors.
- ``load.baseline_updates_per_s``: the bare view's lifecycles per second (same requests,
  same single-row UPDATEs per lifecycle); the UPDATE statements per second in the notes.
- ``load.p50_ms`` / ``load.p95_ms``: latency of every request of ours completed in the
  window; baseline: the same percentile of the bare view's requests.
- ``load.errors``: requests of ours answered other than 2xx, or not answered, over the
  whole phase (warm-up included); baseline: the bare view's.
- ``audit.lock_ms_p95``: how long the audit chain's lock is held per transaction, p95:
  the seals (``audit_seal`` holds the head row from its compare-and-set UPDATE to the
  commit) during our measured window; baseline: the floor of the same process (one UPDATE
  of the same row, committed, timed the same way). Requests take no audit lock: their
  transactions are checked for it on the lifecycle run in process (notes).

SQLite works too (a file database shared by the processes; every writer serialises),
slower, and noted as such by the ``[sqlite]`` tag.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import queue
import re
import signal
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import cast
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.common import Figure, celery_not_eager, percentile
from demo.seed import seed_demo
from grants.models import Application, Organization
from tests.support import stack
from tests.support.clients import Api, login
from tests.support.factories import BudgetFactory, DraftApplicationFactory, OrganizationFactory
from tests.support.personas import APPLICANT, FINANCE, REVIEW_CHAIN

WORKERS = 2
THREADS = 4
CLIENTS = 8
WARMUP_S = 5.0
DURATION_S = 25.0
SEAL_INTERVAL_S = 1.0
FEE = "20000.00"  # the award: under the cap, so every lifecycle commits ¥20,000

# One lifecycle: (kind, method, persona); paths per application below.
STEPS = [
    ("submit", "POST", APPLICANT),
    ("decide-district", "POST", REVIEW_CHAIN[0]),
    ("decide-city", "POST", REVIEW_CHAIN[1]),
    ("decide-region", "POST", REVIEW_CHAIN[2]),
    ("list", "GET", FINANCE),
]
ROWS_PER_REQUEST = 64  # LoadRow ids per (client, step): more than any request's UPDATEs


def _path(kind: str, app_id: int) -> str:
    if kind == "submit":
        return f"/api/v1/applications/{app_id}/submit"
    if kind.startswith("decide"):
        return f"/api/v1/applications/{app_id}/decisions"
    return "/api/v1/applications"


def _body(kind: str) -> bytes:
    return json.dumps({"decision": "approve"}).encode() if kind.startswith("decide") else b""


# ---------------------------------------------------------------- the lifecycle in process


@dataclass
class Shape:
    """What one lifecycle of ours does, per request: statements and UPDATE statements."""

    statements: list[int]
    updates: list[int]
    audit_locks: int  # statements of the requests that lock the audit chain
    in_process_ms: float


AUDIT_LOCK = re.compile(r"pg_(try_)?advisory|grants_audithead", re.IGNORECASE)


def _lifecycle_shape(apis: dict[str, Api], app_ids: list[int]) -> Shape:
    """Two lifecycles through ``django.test.Client`` (the second, in a warm process, is
    counted): statements and UPDATEs per request, and whether any touches the audit lock."""
    shape = Shape([], [], 0, 0.0)
    for n, app_id in enumerate(app_ids[:2]):
        started = time.perf_counter()
        for kind, method, persona in STEPS:
            api = apis[persona]
            headers = {"Authorization": f"Bearer {api.token}", "Prefer": "return=minimal"}
            with CaptureQueriesContext(connection) as ctx:
                if method == "POST":
                    response = api.client.post(
                        _path(kind, app_id),
                        _body(kind) or "",
                        content_type="application/json",
                        headers=headers,
                    )
                else:
                    response = api.client.get(_path(kind, app_id), headers=headers)
            assert response.status_code == 200, (kind, response.content[:300])
            if n == 1:
                sql = [q["sql"] for q in ctx.captured_queries]
                shape.statements.append(len(sql))
                shape.updates.append(sum(s.lstrip().upper().startswith("UPDATE") for s in sql))
                shape.audit_locks += sum(bool(AUDIT_LOCK.search(s)) for s in sql)
        shape.in_process_ms = (time.perf_counter() - started) * 1000
    return shape


# ---------------------------------------------------------------- the stack


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user, password = quote(db["USER"], safe=""), quote(db["PASSWORD"], safe="")
    return f"postgres://{user}:{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _environment(settings_module: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DEBUG": "0",
        "FUNDFLOW_TESTING": "0",
        "SECRET_KEY": str(settings.SECRET_KEY),  # the same derived audit key as this process
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "EMAIL_URL": "locmem://",
        "LOG_LEVEL": "WARNING",
        # bench.sealer seals (timed) every second; the beat's own seal stays out of its way
        "FUNDFLOW_AUDIT_SEAL_SECONDS": "3600",
    }


@dataclass
class Stack:
    url: str
    host: str
    port: int
    processes: list[stack.Process] = field(default_factory=list)
    sealer: stack.Process | None = None
    seals: Path | None = None

    def stop(self) -> None:
        for process in self.processes:
            process.kill(signal.SIGTERM)


def _start(folder: Path, workers: int, threads: int) -> Stack:
    port = stack.free_port()
    web_env = _environment("bench.settings_live")
    web = stack.Process(
        [
            stack.bin_of("gunicorn"), "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
            "--keep-alive", "75", "--timeout", "120", "--graceful-timeout", "5",
        ],
        web_env,
        folder / "web.log",
    )  # fmt: skip
    running = Stack(f"http://127.0.0.1:{port}", "127.0.0.1", port, [web])
    try:
        worker = stack.Process(
            [
                # a worker host's work (letters, e-mail) yields the CPU to the web processes
                # it shares this machine with, as it would not share it in production
                "nice", "-n", "15",
                sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "prefork",
                "-c", str(os.cpu_count() or 2), "-l", "warning", "-B",
                "-s", str(folder / "beat-schedule"), "-n", f"bench-load-{os.getpid()}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            _environment("config.settings"),
            folder / "worker.log",
        )  # fmt: skip
        running.processes.append(worker)
        running.seals = folder / "seals.json"
        running.sealer = stack.Process(
            [sys.executable, "-m", "bench.sealer", str(running.seals), str(SEAL_INTERVAL_S)],
            _environment("config.settings"),
            folder / "sealer.log",
        )
        running.processes.append(running.sealer)

        def up() -> bool:
            try:
                status, _ = Http(running.host, port).request("GET", "/api/v1/health")
            except OSError:
                return False
            return status == 200

        stack.wait_for(up, 120, f"gunicorn to answer (see {folder / 'web.log'})")
        from config.celery import ping

        with celery_not_eager():
            for _ in range(2):
                ping.delay().get(timeout=120)  # the worker consumes
    except BaseException:
        running.stop()
        raise
    return running


# ---------------------------------------------------------------- the load generator


class Http:
    """One keep-alive HTTP/1.1 connection; reconnects after the server closed it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            self.conn.request(method, path, body=body or None, headers=headers or {})
            response = self.conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, content

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Phase:
    """What the clients of one phase recorded; times are ``time.perf_counter()``."""

    window: tuple[float, float] = (0.0, 0.0)
    requests: list[tuple[str, float, float, int]] = field(default_factory=list)
    lifecycles: list[tuple[float, float]] = field(default_factory=list)  # completed ones
    errors: list[str] = field(default_factory=list)
    ran_out_at: float | None = None

    def _in(self, end: float) -> bool:
        return self.window[0] <= end <= self.window[1]

    @property
    def seconds(self) -> float:
        end = self.window[1] if self.ran_out_at is None else min(self.window[1], self.ran_out_at)
        return max(1e-9, end - self.window[0])

    @property
    def rate(self) -> float:
        return sum(self._in(end) for _, end in self.lifecycles) / self.seconds

    def latencies(self, kind: str | None = None) -> list[float]:
        return [
            (end - start) * 1000
            for k, start, end, status in self.requests
            if self._in(end) and 200 <= status < 300 and kind in (None, k)
        ]

    def lifecycle_ms(self) -> list[float]:
        return [(end - start) * 1000 for start, end in self.lifecycles if self._in(end)]


def _drive(
    clients: int,
    warmup_s: float,
    duration_s: float,
    one: Callable[[int, Http, Phase, threading.Event], bool],
    host: str,
    port: int,
) -> Phase:
    """Run ``one(client, http, phase, stop)`` (one lifecycle; False: nothing left to do) in
    a loop on each client thread for warm-up + duration; then stop them."""
    phase = Phase()
    stop = threading.Event()
    start = threading.Barrier(clients + 1)

    def body(index: int) -> None:
        connection_ = Http(host, port)
        start.wait()
        try:
            while not stop.is_set():
                if not one(index, connection_, phase, stop):
                    if phase.ran_out_at is None:
                        phase.ran_out_at = time.perf_counter()
                    break
        finally:
            connection_.close()

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    phase.window = (began + warmup_s, began + warmup_s + duration_s)
    time.sleep(max(0.0, phase.window[1] - time.perf_counter()))
    stop.set()
    for t in threads:
        t.join(timeout=180)
    return phase


def _call(
    conn: Http, phase: Phase, kind: str, method: str, path: str, body: bytes, token: str = ""
) -> bool:
    headers = {"Content-Type": "application/json"} if method == "POST" else {}
    if method == "POST" and not path.startswith("/bench/"):
        headers["Prefer"] = "return=minimal"  # submit and decide: {id, status, level}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    began = time.perf_counter()
    try:
        status, content = conn.request(method, path, body, headers)
    except (OSError, http.client.HTTPException) as exc:
        status, content = 0, repr(exc).encode()
    phase.requests.append((kind, began, time.perf_counter(), status))
    if not 200 <= status < 300:
        phase.errors.append(f"{kind} {path}: {status} {content[:200]!r}")
        return False
    return True


def lifecycle(
    conn: Http, phase: Phase, app_id: int, tokens: dict[str, str], stop: threading.Event
) -> bool:
    """One lifecycle of draft ``app_id`` over HTTP (``STEPS``); True when every step answered
    2xx. Stopped at the end of the window, the rest is abandoned (not an error)."""
    began = time.perf_counter()
    for kind, method, persona in STEPS:
        if stop.is_set():
            return False
        if not _call(conn, phase, kind, method, _path(kind, app_id), _body(kind), tokens[persona]):
            return False
    phase.lifecycles.append((began, time.perf_counter()))
    return True


# ---------------------------------------------------------------- run


def _draft(org: Organization, tag: str) -> int:
    app = cast(Application, DraftApplicationFactory(organization=org, tag=tag, fee=FEE))
    return app.pk


def _p(samples: list[float], p: float) -> float:
    return percentile(samples, p) if samples else 0.0


def run(
    clients: int = CLIENTS,
    warmup_s: float = WARMUP_S,
    duration_s: float = DURATION_S,
    workers: int = WORKERS,
    threads: int = THREADS,
    quick: bool = False,
) -> list[Figure]:
    from bench.peer.models import LoadRow  # bench.peer: installed by the bench's settings only

    if quick:
        clients, warmup_s, duration_s = 2, 1.0, 3.0
    seed_demo(timezone.localdate().year)
    org = cast(Organization, OrganizationFactory(name="负载基准测试有限公司", members=[APPLICANT]))
    personas = {persona for _, _, persona in STEPS}
    apis = {persona: login(persona) for persona in personas}
    tokens = {persona: api.token for persona, api in apis.items()}

    # one lifecycle in process: its requests' UPDATEs (the baseline's), and its pace
    probe = [_draft(org, f"LP-{i}") for i in range(2)]
    with celery_not_eager():
        shape = _lifecycle_shape(apis, probe)

    # drafts for the load: enough for twice the pace the in-process lifecycle suggests
    cores = os.cpu_count() or 2
    pace = 2 * cores * 1000 / max(shape.in_process_ms, 1.0)
    drafts = 20 if quick else max(100, min(3000, math.ceil(pace * (warmup_s + duration_s))))
    made = time.perf_counter()
    pool: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(drafts):
        pool.put(_draft(org, f"LD-{i}"))
    made_s = time.perf_counter() - made
    BudgetFactory(program="cert-subsidy", amount=Decimal(FEE) * (drafts + 10))
    LoadRow._default_manager.bulk_create(
        [LoadRow(pk=i + 1) for i in range(clients * len(STEPS) * ROWS_PER_REQUEST)],
        ignore_conflicts=True,
    )

    def baseline_one(index: int, conn: Http, phase: Phase, stop: threading.Event) -> bool:
        began = time.perf_counter()
        for step, ((kind, method, _persona), n) in enumerate(
            zip(STEPS, shape.updates, strict=True)
        ):
            if stop.is_set():
                return True
            row = (index * len(STEPS) + step) * ROWS_PER_REQUEST + 1
            if not _call(conn, phase, kind, method, f"/bench/updates/{row}/{n}", b""):
                return True
        phase.lifecycles.append((began, time.perf_counter()))
        return True

    def ours_one(index: int, conn: Http, phase: Phase, stop: threading.Event) -> bool:
        try:
            app_id = pool.get_nowait()
        except queue.Empty:
            return False
        lifecycle(conn, phase, app_id, tokens, stop)
        return True

    folder = Path(settings.VAR_DIR) / "bench" / "load"  # the processes' logs, kept after the run
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    running = _start(folder, workers, threads)
    try:
        base = _drive(clients, warmup_s, duration_s, baseline_one, running.host, running.port)
        ours = _drive(clients, warmup_s, duration_s, ours_one, running.host, running.port)
        to_wall = time.time() - time.perf_counter()
    finally:
        running.stop()
    seals = (
        json.loads(running.seals.read_text()) if running.seals and running.seals.exists() else []
    )
    window_wall = (ours.window[0] + to_wall, ours.window[1] + to_wall)
    in_window = [s for s in seals if window_wall[0] <= s[0] <= window_wall[1]]
    seal_ms = [s[1] for s in in_window]
    floor_ms = [s[3] for s in in_window]
    whole_ms = [s[4] for s in in_window]
    sealed = [int(s[2]) for s in in_window]
    if not seal_ms:
        print(f"[bench] bench.load: no seal timed in the window, see {folder}", file=sys.stderr)

    requests = len(STEPS)
    updates = sum(shape.updates)
    setup = (
        "submit and decisions with Prefer: return=minimal; "
        f"gunicorn {workers} workers x {threads} threads (gthread), DEBUG off; Celery worker "
        f"({cores} processes at nice 15, beat); {clients} clients on 127.0.0.1, keep-alive, no think time; "
        f"{warmup_s:.0f} s warm-up + {duration_s:.0f} s measured per phase; {cores} cores"
    )
    per_kind = ", ".join(f"{kind} {_p(ours.latencies(kind), 95):.0f}" for kind, _, _ in STEPS)
    ran_out = (
        f"; the {drafts} drafts ran out after {ours.seconds:.1f} s of the window"
        if ours.ran_out_at is not None and ours.ran_out_at < ours.window[1]
        else ""
    )
    errors_seen = "; first errors: " + " | ".join(ours.errors[:3]) if ours.errors else ""
    base_errors = "; first errors: " + " | ".join(base.errors[:3]) if base.errors else ""
    return [
        Figure(
            "load.lifecycles_per_s",
            ours.rate,
            "1/s",
            base.rate,
            f"lifecycles (submit, 3 approvals, finance list: {requests} requests, "
            f"{sum(shape.statements)} SQL statements of which {updates} UPDATEs) completed per "
            f"second in the window; {setup}{ran_out}; {drafts} drafts made in {made_s:.0f} s "
            "beforehand by the factory; baseline: load.baseline_updates_per_s; "
            "target ratio >= 0.2 with 0 errors",
        ),
        Figure(
            "load.baseline_updates_per_s",
            base.rate,
            "1/s",
            None,
            f"bare-view lifecycles per second on the same server in the same run: {requests} "
            f"requests per lifecycle doing {'/'.join(map(str, shape.updates))} single-row UPDATEs "
            f"(one transaction per request), as our requests do, = {base.rate * updates:.0f} "
            f"UPDATEs/s; {setup}",
        ),
        Figure(
            "load.p50_ms",
            _p(ours.latencies(), 50),
            "ms",
            _p(base.latencies(), 50),
            f"median latency of the {len(ours.latencies())} requests of ours completed in the "
            f"window; lifecycle p50 {_p(ours.lifecycle_ms(), 50):.0f} ms; baseline: the "
            f"{len(base.latencies())} bare-view requests'",
        ),
        Figure(
            "load.p95_ms",
            _p(ours.latencies(), 95),
            "ms",
            _p(base.latencies(), 95),
            f"p95 latency of the requests of ours (per kind, ms: {per_kind}); lifecycle p95 "
            f"{_p(ours.lifecycle_ms(), 95):.0f} ms; baseline: the bare-view requests' p95",
        ),
        Figure(
            "load.errors",
            len(ours.errors),
            "requests",
            len(base.errors),
            f"requests of ours not answered 2xx, over the whole phase ({len(ours.requests)} "
            f"requests, warm-up included){errors_seen}; baseline: the bare view's "
            f"({len(base.requests)} requests){base_errors}; target 0",
        ),
        Figure(
            "audit.lock_ms_p95",
            _p(seal_ms, 95),
            "ms",
            _p(floor_ms, 95),
            f"p95 of how long the {len(seal_ms)} audit seals held the chain's lock (the head "
            "row, from audit_seal's compare-and-set UPDATE to its commit; hashing and signing "
            f"happen before, unlocked), every {SEAL_INTERVAL_S:.0f} s by bench.sealer in its own "
            f"process, as beat does, during our measured window; "
            f"{statistics.fmean(sealed) if sealed else 0:.0f} entries per seal on average (max "
            f"{max(sealed, default=0)}); whole seal p95 {_p(whole_ms, 95):.1f} ms; requests hold "
            f"no audit lock: {shape.audit_locks} statements of a lifecycle's requests take one; "
            "baseline: p95 of one UPDATE of the same row and its commit, same process, same "
            "window",
        ),
    ]
