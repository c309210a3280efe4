"""A real worker process consumes the configured broker (Redis in CI, the file broker otherwise)."""

import os
import subprocess
import sys
import time

import pytest

from config.celery import ping
from tests.support import ROOT


@pytest.mark.worker
def test_a_separate_worker_process_answers():
    from celery._state import _set_task_join_will_block

    from config.celery import app

    # eager tasks run in other tests' threads can leave Celery's process-wide "inside a task" flag set
    _set_task_join_will_block(False)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = (
        False  # the suite runs tasks in-process; this test needs the broker
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "solo",
            "-c",
            "1",
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        started = time.monotonic()
        result = ping.delay()
        assert result.get(timeout=60) == "pong"
        assert time.monotonic() - started < 60
    finally:
        app.conf.task_always_eager = eager
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
