"""The peer: a minimal viewflow process, what the review chain would be with nothing of ours.

    start ─▶ first ─▶ second ─▶ third ─▶ end        (three approval View tasks)

Same lock as ``workflows.flows.ReviewLock`` (viewflow's ``SelectForUpdateLock``, waiting).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from viewflow import this
from viewflow.workflow import flow, lock

from bench.peer.models import PeerProcess


def _no_view(request: Any, **kwargs: Any) -> None:
    raise Http404  # decided through bench.views.peer_decision, like the product's API


class PeerFlow(flow.Flow):
    process_class = PeerProcess
    lock_impl = lock.SelectForUpdateLock(nowait=False, attempts=1)

    start = flow.StartHandle(this.start_process).Next(this.first)
    first = flow.View(_no_view).Next(this.second)
    second = flow.View(_no_view).Next(this.third)
    third = flow.View(_no_view).Next(this.end)
    end = flow.End()

    def start_process(self, activation: Any, *, title: str) -> PeerProcess:
        activation.process.title = title
        return activation.process
