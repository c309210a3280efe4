"""The Celery application. Workers: ``celery -A config worker``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("fundflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="fundflow.ping")
def ping() -> str:
    """Health probe: a worker that answers this is consuming the broker."""
    return "pong"
