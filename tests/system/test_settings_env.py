"""A bad environment value stops the process at start, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env
from tests.support import ROOT


def start(extra: dict[str, str]) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"FUNDFLOW_TESTING", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://x@y/z"),
        ("TIME_ZONE", "Mars/Olympus"),
        ("EMAIL_URL", "pigeon://coop"),
        ("CELERY_BROKER_URL", "carrier://pigeon"),
        ("FUNDFLOW_MAX_UPLOAD_BYTES", "twenty"),
        ("FILE_STORAGE_URL", "s3://Not_A_Bucket?endpoint=http://127.0.0.1:9000"),
    ],
)
def test_bad_values_fail_at_start_naming_the_variable(variable, value, tmp_path):
    result = start({"DEBUG": "1", "VAR_DIR": str(tmp_path), variable: value})
    assert result.returncode != 0
    assert variable in result.stderr


def test_secret_key_required_when_debug_is_off(tmp_path):
    result = start({"DEBUG": "0", "VAR_DIR": str(tmp_path), "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_sqlite_default_uses_wal_and_immediate_transactions(tmp_path):
    config = env.database_from_env("NO_SUCH_VARIABLE_SET", tmp_path / "db.sqlite3")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_email_url_smtp(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "smtp://user:p%40ss@mail.example.org:587?tls=1")
    result = env.email_from_env("EMAIL_URL")
    assert result["EMAIL_HOST"] == "mail.example.org" and result["EMAIL_PORT"] == 587
    assert result["EMAIL_HOST_PASSWORD"] == "p@ss" and result["EMAIL_USE_TLS"] is True


def test_broker_is_never_a_redis_it_was_not_given(monkeypatch, tmp_path):
    """Without CELERY_BROKER_URL the file broker is used, even when some Redis answers on
    127.0.0.1:6379: it may be another instance's, whose workers would take our tasks."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    url, options = env.broker_from_env("CELERY_BROKER_URL", tmp_path)
    assert url == "filesystem://" and Path(options["data_folder_in"]).is_dir()


def test_broker_may_be_our_own_redis_socket(monkeypatch, tmp_path):
    monkeypatch.setenv("CELERY_BROKER_URL", f"redis+socket://{tmp_path}/redis.sock")
    url, options = env.broker_from_env("CELERY_BROKER_URL", tmp_path)
    assert url.startswith("redis+socket://") and options["visibility_timeout"] >= 60


def test_bad_boolean_message_names_variable(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env.env_bool("SOME_FLAG", False)
