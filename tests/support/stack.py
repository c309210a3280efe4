"""The production topology for fault tests: gunicorn web processes, a Celery worker with
beat, and a private Redis, all pointed at the test database. Nothing here is imported
by the product.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]  # the repository (this file: tests/support/stack.py)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A private redis-server on a Unix socket, stopped and started at will."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "redis.sock"
        self.url = f"redis+socket://{self.socket}"

    def ping(self) -> bool:
        done = subprocess.run(
            ["redis-cli", "-s", str(self.socket), "ping"], capture_output=True, text=True
        )
        return done.stdout.strip() == "PONG"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "redis-server",
                "--daemonize", "yes",
                "--port", "0",
                "--unixsocket", str(self.socket),
                "--dir", str(self.folder),
                "--save", "",
                "--appendonly", "no",
                "--pidfile", str(self.folder / "redis.pid"),
                "--logfile", str(self.folder / "redis.log"),
            ],
            check=True,
        )  # fmt: skip
        wait_for(self.ping, 10, "redis to answer")

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-s", str(self.socket), "shutdown", "nosave"], capture_output=True
        )
        wait_for(lambda: not self.socket.exists() or not self.ping(), 10, "redis to stop")


def test_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def environment(broker_url: str, media: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",  # production settings, not the suite's
        "DEBUG": "1",
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "MEDIA_ROOT": str(media),
        "EMAIL_URL": "locmem://",
        "FUNDFLOW_TESTING": "0",
        **extra,
    }


class Process:
    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("wb")
        self.popen = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def kill(self, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
        self.handle.close()

    def tail(self, lines: int = 40) -> str:
        self.handle.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def bin_of(name: str) -> str:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


@contextlib.contextmanager
def web(env: dict[str, str], folder: Path, workers: int = 2, threads: int = 8) -> Iterator[str]:
    port = free_port()
    process = Process(
        [
            bin_of("gunicorn"), "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--threads", str(threads),
            "--timeout", "120", "--graceful-timeout", "5",
        ],
        env,
        folder / "web.log",
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(url + "/api/v1/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(up, 60, "gunicorn to answer")
        yield url
    finally:
        process.kill(signal.SIGTERM)


def worker(env: dict[str, str], folder: Path, *, beat: bool = True, name: str = "w") -> Process:
    command = [
        bin_of("celery"), "-A", "config", "worker",
        "-c", "2", "-l", "info", "-n", f"{name}-{os.getpid()}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    if beat:
        command += ["-B", "-s", str(folder / f"beat-{name}")]
    return Process(command, env, folder / f"worker-{name}.log")


def token(url: str, username: str) -> str:
    response = requests.post(
        url + "/api/v1/auth/token",
        json={"username": username, "password": "demo-pass-2026"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["token"]
