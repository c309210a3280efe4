"""The bench's own endpoints (``bench.urls``), beside the product's, behind the same middleware.

- ``noop``: a plain view, the floor of a request;
- ``floor_decision``: the raw-ORM floor of a review decision (``bench.floor``);
- ``peer_decision``: a decision of the bare-viewflow peer (``bench.peer.flows.PeerFlow``);
- ``load_updates``: the load baseline's bare view, ``n`` single-row UPDATEs in one transaction.

The two decision endpoints sit under ``/api/v1/bench/`` and take the same bearer token and
JSON body as ``POST /api/v1/applications/{id}/decisions``, so the same client calls them
with the same number of requests (``tests.support.clients.Api``).
"""

from __future__ import annotations

import json

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from bench.floor import floor_decide
from bench.peer.flows import PeerFlow
from bench.peer.models import LoadRow
from grants.models import User
from grants.services import token_user


def _caller(request: HttpRequest) -> User | None:
    """The bearer token's user, the way the API's ``BearerAuth`` finds it."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token_user(token) if scheme.lower() == "bearer" and token else None


def _body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def noop(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@csrf_exempt
def floor_decision(request: HttpRequest, process_id: int) -> HttpResponse:
    user = _caller(request)
    if user is None:
        return JsonResponse({"detail": "unauthorised"}, status=401)
    decision = _body(request).get("decision", "approve")
    following = floor_decide(process_id=process_id, actor=user, decision=decision)
    if following is None:
        return JsonResponse({"detail": "no open task"}, status=409)
    return JsonResponse({"process": process_id, "task": following})


@csrf_exempt
def peer_decision(request: HttpRequest, process_id: int) -> HttpResponse:
    """What viewflow's own task view does on POST (``flow.views.UpdateProcessView`` under
    ``wrap_task_view``): under the flow's lock, the open task is assigned, started, the
    process saved with the decision, the task executed (done, the next task created)."""
    user = _caller(request)
    if user is None:
        return JsonResponse({"detail": "unauthorised"}, status=401)
    decision = _body(request).get("decision", "approve")
    with PeerFlow.lock(process_id), transaction.atomic():
        task = (
            Task.objects.filter(process_id=process_id, status__in=(STATUS.NEW, STATUS.ASSIGNED))
            .order_by("-id")
            .first()
        )
        if task is None:
            return JsonResponse({"detail": "no open task"}, status=409)
        activation = task.flow_task.activation_class(task)
        if task.status == STATUS.NEW:
            activation.assign(user)
        activation.start(request)
        process = activation.process
        process.decisions = [*process.decisions, {"decision": decision, "by": user.pk}]
        process.save()
        activation.execute()
    return JsonResponse({"process": process_id, "status": process.status})


@csrf_exempt
def load_updates(request: HttpRequest, row: int, n: int) -> HttpResponse:
    """``n`` single-row UPDATEs of rows ``row`` … ``row + n - 1``, in one transaction."""
    with transaction.atomic():
        for i in range(n):
            LoadRow._default_manager.filter(pk=row + i).update(n=F("n") + 1)
    return HttpResponse("ok")
