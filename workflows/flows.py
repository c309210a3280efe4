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

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from workflows.models import ReviewProcess
from workflows.review import review_deadline_for, review_overdue, task_opened


def _review_view(request, **kwargs):  # the web UI has its own pages (workflows.views)
    raise Http404


class ReviewLock(lock.SelectForUpdateLock):
    """viewflow's ``select_for_update`` lock on the process row, waiting instead of failing fast.

    A second reviewer deciding the same task waits for the first to commit,
    then finds the task done and gets 409. On PostgreSQL the wait is bounded
    by ``lock_timeout``; SQLite has no row locks, but its ``IMMEDIATE``
    transactions serialise every writer, with the same result.
    """

    def __init__(self):
        super().__init__(nowait=False, attempts=1)


class ReviewFlow(flow.Flow):
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
    def start_process(self, activation, *, application, round: int, chain: list[str]):
        activation.process.application = application
        activation.process.round = round
        activation.process.chain = list(chain)
        activation.process.data = {"level_index": 0}
        return activation.process

    def first_level(self, activation) -> dict:
        return {"level": activation.process.chain[0], "level_index": 0}

    # -- routing ----------------------------------------------------------------
    @staticmethod
    def _last(activation) -> dict:
        return activation.process.data.get("last_decision", {})

    def decision_is_approve(self, activation) -> bool:
        return self._last(activation).get("decision") == "approve"

    def decision_is_return(self, activation) -> bool:
        return self._last(activation).get("decision") == "return"

    def more_levels_remain(self, activation) -> bool:
        return self._last(activation)["level_index"] + 1 < len(activation.process.chain)

    def next_level(self, activation) -> dict:
        index = self._last(activation)["level_index"] + 1
        return {"level": activation.process.chain[index], "level_index": index}

    # -- effects ------------------------------------------------------------------
    # A level's task opening and running late act on the application (workflows.review).
    # Where the chain ends (approved, returned, rejected) the lifecycle acts on, after it
    # ran the flow: ``workflows.lifecycle.decide``. Those three nodes are kept because task
    # rows store node names.
    def review_created(self, activation):
        task_opened(activation.task)

    def review_deadline(self, activation):
        host = activation.task.previous.get()
        return review_deadline_for(host)

    def on_approved(self, activation):
        """The last level approved; the lifecycle commits the award (``lifecycle.finish``)."""

    def on_returned(self, activation):
        """A level returned it; the lifecycle tells the applicant (``lifecycle.finish``)."""

    def on_rejected(self, activation):
        """A level rejected it; the lifecycle concludes it (``lifecycle.finish``)."""

    def on_overdue(self, activation):
        review_overdue(host_task=activation.task.previous.get().previous.get())
