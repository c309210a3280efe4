"""The audit sealer, timed: ``python -m bench.sealer OUT INTERVAL`` (started by ``bench.load``).

What Celery beat does every ``FUNDFLOW_AUDIT_SEAL_SECONDS`` (``grants.audit.audit_seal``:
one transaction under ``pg_try_advisory_xact_lock``), every INTERVAL seconds, in a process
of its own, timing each call; after each seal, the floor of a locked transaction: the same
advisory lock and one single-row UPDATE (the chain head's, unchanged), committed. On
SIGTERM it writes ``[[unix time, seal ms, entries sealed, floor ms], …]`` to OUT.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    out, interval = Path(argv[0]), float(argv[1])
    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.models import F

    from grants.audit import SEAL_LOCK, AuditHead, audit_seal

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    audit_seal()  # the head row exists from here on; the first checkpoint is signed

    def floor() -> None:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK])
            AuditHead.objects.filter(pk=1).update(entries=F("entries"))

    samples: list[list[float]] = []
    while not stop.is_set():
        at = time.time()
        started = time.perf_counter()
        sealed = audit_seal()
        seal_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        floor()
        floor_ms = (time.perf_counter() - started) * 1000
        samples.append([at, seal_ms, sealed, floor_ms])
        stop.wait(max(0.0, interval - (time.time() - at)))
    out.write_text(json.dumps(samples), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
