"""The audit sealer, timed: ``python -m bench.sealer OUT INTERVAL`` (started by ``bench.load``).

What Celery beat does every ``FUNDFLOW_AUDIT_SEAL_SECONDS`` (``grants.audit.audit_seal``),
every INTERVAL seconds, in a process of its own. Each sample records how long the seal held
the chain's lock (the head row, from its compare-and-set UPDATE to the commit: what
``audit_seal`` reports in ``held``) and the whole seal's duration; after each seal, the
floor: a transaction that updates the head row (unchanged) and commits, timed the same way.
On SIGTERM it writes ``[[unix time, lock ms, entries sealed, floor ms, seal ms], …]`` to OUT.
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
    from django.db import transaction
    from django.db.models import F

    from grants.audit import AuditHead, audit_seal

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    audit_seal()  # the head row exists from here on; the first checkpoint is signed

    def floor() -> float:
        with transaction.atomic():
            started = time.perf_counter()
            AuditHead.objects.filter(pk=1).update(entries=F("entries"))
        return time.perf_counter() - started

    samples: list[list[float]] = []
    while not stop.is_set():
        at = time.time()
        held: list[float] = []
        started = time.perf_counter()
        sealed = audit_seal(held=held)
        seal_ms = (time.perf_counter() - started) * 1000
        floor_ms = floor() * 1000
        if held:
            samples.append([at, held[0] * 1000, sealed, floor_ms, seal_ms])
        stop.wait(max(0.0, interval - (time.time() - at)))
    out.write_text(json.dumps(samples), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
