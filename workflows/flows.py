"""The one review process that runs every programme's chain of levels.

The chain is data: it is copied from the programme into the process when the
application is submitted, and the same ``review`` node is visited once per
level, the task carrying its level (and its deadline) in ``task.data``. Changing
a programme's chain affects new submissions only.

    start ─▶ review[level i] ─▶ route ─ approve, more levels ─▶ review[level i+1]
                                   ├─ approve, last level ──▶ approved ─▶ end
                                   ├─ return ───────────────▶ returned ─▶ end
                                   └─ reject (default) ─────▶ rejected ─▶ end

One gateway per decision (``route``, a Switch that also writes the next task's data
when it creates it), no timer task: a task's deadline is in its data, and the beat's
sweep (``workflows.review.review_deadlines_sweep``) flags the late ones. Processes
started under the earlier graph (two If gateways and a timer per review) were moved
onto this one by the migration ``workflows/0002_one_gateway_no_timer``.

Node names are stored in task rows: renaming one needs a data migration.
"""

from __future__ import annotations

from typing import Any, NoReturn, Protocol

from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.models import Task

from grants.models import Application
from workflows.models import ReviewProcess
from workflows.review import review_task_data, task_opened
from workflows.route import Route


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
        .Next(this.route)
    )

    route = (
        Route()
        .Case(this.review, this.approve_with_more_levels, task_data=this.next_level)
        .Case(this.approved, this.decision_is_approve)
        .Case(this.returned, this.decision_is_return)
        .Default(this.rejected)
    )

    approved = flow.Function(this.on_approved).Next(this.end)
    returned = flow.Function(this.on_returned).Next(this.end)
    rejected = flow.Function(this.on_rejected).Next(this.end)

    end = flow.End()

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
        return review_task_data(activation.process, 0)

    # -- routing ----------------------------------------------------------------
    @staticmethod
    def _last(activation: Activation) -> dict[str, Any]:
        last: dict[str, Any] = activation.process.data.get("last_decision", {})
        return last

    def decision_is_approve(self, activation: Activation) -> bool:
        return bool(self._last(activation).get("decision") == "approve")

    def decision_is_return(self, activation: Activation) -> bool:
        return bool(self._last(activation).get("decision") == "return")

    def approve_with_more_levels(self, activation: Activation) -> bool:
        index: int = self._last(activation).get("level_index", 0)
        return self.decision_is_approve(activation) and index + 1 < len(activation.process.chain)

    def next_level(self, activation: Activation) -> dict[str, Any]:
        return review_task_data(activation.process, self._last(activation)["level_index"] + 1)

    # -- effects ------------------------------------------------------------------
    # A level's task opening acts on the application (workflows.review). Where the chain
    # ends (approved, returned, rejected) the lifecycle acts on, after it ran the flow:
    # ``workflows.lifecycle.decide``. Those three nodes stay as the chain's ends.
    def review_created(self, activation: Activation) -> None:
        task_opened(activation.task, activation.process)

    def on_approved(self, activation: Activation) -> None:
        """The last level approved; the lifecycle commits the award (``lifecycle.finish``)."""

    def on_returned(self, activation: Activation) -> None:
        """A level returned it; the lifecycle tells the applicant (``lifecycle.finish``)."""

    def on_rejected(self, activation: Activation) -> None:
        """A level rejected it; the lifecycle concludes it (``lifecycle.finish``)."""
