"""The one review process that runs every programme's chain of levels.

The chain is data: it is copied from the programme into the process when the
application is submitted, and the same ``review`` node is visited once per
level, the task carrying its level in ``task.data``. Changing a programme's
chain affects new submissions only.

    start ─▶ review[level i] ─▶ approved? ─yes─▶ more levels? ─yes─▶ review[level i+1]
                 │ (deadline: non-interrupting timer → overdue)    └no──▶ approved ─▶ end
                 └────────────────────────── no ─▶ returned? ─yes─▶ returned ─▶ end
                                                              └no──▶ rejected ─▶ end

Node names are stored in task rows: renaming one needs a data migration.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NoReturn, Protocol

from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.models import Task

from grants.models import Application
from workflows.models import ReviewProcess
from workflows.review import review_deadline_for, review_overdue, task_opened


class Activation(Protocol):
    """What the nodes' callbacks read of viewflow's activation object (viewflow ships no
    types; ``stubs/viewflow`` types only its models)."""

    process: ReviewProcess
    task: Task


def _review_view(request: HttpRequest, **kwargs: Any) -> NoReturn:
    raise Http404  # the web UI has its own pages (workflows.views)


class ReviewLock(lock.SelectForUpdateLock):
    """viewflow's ``select_for_update`` lock on the process row, waiting instead of failing fast.

    A second reviewer deciding the same task waits for the first to commit,
    then finds the task done and gets 409. On PostgreSQL the wait is bounded
    by ``lock_timeout``; SQLite has no row locks, but its ``IMMEDIATE``
    transactions serialise every writer, with the same result.
    """

    def __init__(self) -> None:
        super().__init__(nowait=False, attempts=1)


# viewflow's Flow is untyped (Any): its nodes, ``this`` and class machinery stay dynamic.
class ReviewFlow(flow.Flow):  # type: ignore[misc]
    """审核流程 Review chain

    Moves a submitted application through the review levels of its programme.
    """

    process_class = ReviewProcess
    lock_impl = ReviewLock()

    start = flow.StartHandle(this.start_process).Next(this.review, task_data=this.first_level)

    review = (
        flow.View(_review_view)
        .Annotation(title=_("Review"))
        .onCreate(this.review_created)
        .OnTimeout(this.review_deadline, this.overdue, interrupting=False)
        .Next(this.is_approved)
    )

    is_approved = (
        flow.If(this.decision_is_approve).Then(this.has_more_levels).Else(this.is_returned)
    )
    has_more_levels = (
        flow.If(this.more_levels_remain)
        .Then(this.review, task_data=this.next_level)
        .Else(this.approved)
    )
    is_returned = flow.If(this.decision_is_return).Then(this.returned).Else(this.rejected)

    approved = flow.Function(this.on_approved).Next(this.end)
    returned = flow.Function(this.on_returned).Next(this.end)
    rejected = flow.Function(this.on_rejected).Next(this.end)
    overdue = flow.Function(this.on_overdue).Next(this.overdue_end)

    end = flow.End()
    overdue_end = flow.End()

    # -- start ------------------------------------------------------------------
    def start_process(
        self, activation: Activation, *, application: Application, round: int, chain: list[str]
    ) -> ReviewProcess:
        activation.process.application = application
        activation.process.round = round
        activation.process.chain = list(chain)
        activation.process.data = {"level_index": 0}
        return activation.process

    def first_level(self, activation: Activation) -> dict[str, Any]:
        return {"level": activation.process.chain[0], "level_index": 0}

    # -- routing ----------------------------------------------------------------
    @staticmethod
    def _last(activation: Activation) -> dict[str, Any]:
        last: dict[str, Any] = activation.process.data.get("last_decision", {})
        return last

    def decision_is_approve(self, activation: Activation) -> bool:
        return bool(self._last(activation).get("decision") == "approve")

    def decision_is_return(self, activation: Activation) -> bool:
        return bool(self._last(activation).get("decision") == "return")

    def more_levels_remain(self, activation: Activation) -> bool:
        index: int = self._last(activation)["level_index"]
        return index + 1 < len(activation.process.chain)

    def next_level(self, activation: Activation) -> dict[str, Any]:
        index = self._last(activation)["level_index"] + 1
        return {"level": activation.process.chain[index], "level_index": index}

    # -- effects ------------------------------------------------------------------
    # A level's task opening and running late act on the application (workflows.review).
    # Where the chain ends (approved, returned, rejected) the lifecycle acts on, after it
    # ran the flow: ``workflows.lifecycle.decide``. Those three nodes are kept because task
    # rows store node names.
    def review_created(self, activation: Activation) -> None:
        task_opened(activation.task)

    def review_deadline(self, activation: Activation) -> dt.datetime:
        host = activation.task.previous.get()
        return review_deadline_for(host)

    def on_approved(self, activation: Activation) -> None:
        """The last level approved; the lifecycle commits the award (``lifecycle.finish``)."""

    def on_returned(self, activation: Activation) -> None:
        """A level returned it; the lifecycle tells the applicant (``lifecycle.finish``)."""

    def on_rejected(self, activation: Activation) -> None:
        """A level rejected it; the lifecycle concludes it (``lifecycle.finish``)."""

    def on_overdue(self, activation: Activation) -> None:
        review_overdue(host_task=activation.task.previous.get().previous.get())
