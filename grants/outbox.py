"""The transactional outbox: side effects that must follow a commit, and never be lost.

A letter to issue, an e-mail to send: ``outbox_enqueue`` writes a row in the
transaction of the change that causes it, so the row exists exactly when the change
does. Right after commit the row is handed to Celery (``dispatch``); if the broker is
down or refuses writes, the request still answers with what it did (its change is
committed) and the row waits. ``outbox_sweep`` (Celery beat, every
``FUNDFLOW_OUTBOX_SWEEP_SECONDS``) hands over again every row not done: never sent,
or sent but not finished after ``FUNDFLOW_OUTBOX_STALE_SECONDS`` (a worker killed
mid-task; the broker
would redeliver only after its visibility timeout). Tasks are idempotent (a letter is
unique per application, kind and version; an e-mail is marked sent once), so a second
delivery does nothing twice.

Tasks that take outbox messages use ``OutboxTask`` as their base: it removes the
``outbox_id`` keyword and marks the row done when the task returns.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import Task, current_app
from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

# A message not handed over after commit (broker down) waits at least this long.
UNSENT_GRACE = dt.timedelta(seconds=5)
SWEEP_BATCH = 500
BROKER_TIMEOUT = 2.0  # seconds to reach the broker when handing a message over


class OutboxMessage(models.Model):
    task = models.CharField(_("task"), max_length=100)
    kwargs = models.JSONField(_("arguments"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("handed to the broker at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("hand-overs"), default=0)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(done_at__isnull=True),
                name="outbox_not_done",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"


def outbox_enqueue(task: str, **kwargs: Any) -> OutboxMessage:
    """A side effect of the current transaction: stored with it, handed to Celery after commit."""
    return outbox_enqueue_many(task, [kwargs])[0]


def outbox_enqueue_many(task: str, kwargs_list: list[dict[str, Any]]) -> list[OutboxMessage]:
    """Several messages of one task, one INSERT (a notification to each reviewer of a level)."""
    if not kwargs_list:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue must run inside the transaction of its cause")
    messages = OutboxMessage.objects.bulk_create(
        [OutboxMessage(task=task, kwargs=kwargs) for kwargs in kwargs_list]
    )
    transaction.on_commit(lambda: hand_over(messages))
    return messages


def dispatch(ids: list[int]) -> int:
    """Hand these messages (by id; those not done) to the broker (see ``hand_over``)."""
    return hand_over(list(OutboxMessage.objects.filter(pk__in=ids, done_at__isnull=True)))


def hand_over(messages: list[OutboxMessage]) -> int:
    """Hand these messages to the broker; a broker fault is logged and left to the sweep.

    Never raises: it runs after commit, when the change it follows is already saved. One
    UPDATE marks every message handed over.
    """
    if not messages:
        return 0
    _load_tasks()
    if current_app.conf.task_always_eager:  # the test suite: run in-process, no broker
        sent = [m.pk for m in messages if send(m, None)]
    else:
        try:
            pooled = current_app.pool.acquire(block=True, timeout=BROKER_TIMEOUT)
        except Exception as exc:  # no connection to be had at all: every message waits
            log.warning("outbox: no broker connection: %s", exc)
            return 0
        with pooled as connection:
            sent = [m.pk for m in messages if send(m, connection)]
    if sent:
        OutboxMessage.objects.filter(pk__in=sent).update(
            dispatched_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
        )
    return len(sent)


def send(message: OutboxMessage, connection: Any) -> bool:
    """One message to Celery. One quick attempt: a web request must not wait out kombu's
    reconnect schedule, and the result backend is never asked (its reconnect loop would
    take tens of seconds)."""
    try:
        if connection is not None:
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0.1, timeout=BROKER_TIMEOUT
            )
        options: dict[str, Any] = {"retry": False, "ignore_result": True}
        if connection is not None:
            options["connection"] = connection
        current_app.tasks[message.task].apply_async(
            kwargs={**message.kwargs, "outbox_id": message.pk}, **options
        )
    except Exception as exc:  # broker down, refusing writes, misconfigured: retry later
        log.warning("outbox %s (%s) not handed over: %s", message.pk, message.task, exc)
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=F("attempts") + 1, last_error=str(exc)[:2000]
        )
        return False
    return True


def _load_tasks() -> None:
    """Celery registers the apps' task modules when a worker starts; a web process that
    hands messages over imports them once here."""
    global _tasks_loaded
    if not _tasks_loaded:
        current_app.loader.import_default_modules()
        _tasks_loaded = True


_tasks_loaded = False


def outbox_due(now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    # a task handed over this long ago and not done is handed over again: longer than any
    # task's hard time limit (letters.issue: 90 s)
    stale_after = dt.timedelta(seconds=settings.FUNDFLOW_OUTBOX_STALE_SECONDS)
    return list(
        OutboxMessage.objects.filter(done_at__isnull=True)
        .filter(
            Q(dispatched_at__isnull=True, created_at__lt=now - UNSENT_GRACE)
            | Q(dispatched_at__lt=now - stale_after)
        )
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def outbox_sweep(now: dt.datetime | None = None) -> int:
    """Hand over again every message that is not done and is due (see the module doc)."""
    return dispatch(outbox_due(now))


def outbox_done(message_id: int) -> None:
    OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True).update(done_at=timezone.now())


class OutboxTask(Task):  # type: ignore[type-arg]  # any task's arguments
    """Base of tasks fed by the outbox: takes ``outbox_id`` off the arguments and marks the
    message done when the task returns (an exception leaves it for a retry or the sweep)."""

    # apply_async checks keywords against run()'s signature; outbox_id is this class's
    typing = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        message_id = kwargs.pop("outbox_id", None)
        result = super().__call__(*args, **kwargs)
        if message_id is not None:
            outbox_done(message_id)
        return result
