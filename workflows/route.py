"""``Route``: viewflow's exclusive Switch gateway, with two changes the review chain needs.

- A case may give the next task's data (``task_data``), computed when the task is
  created, as ``Node.Next(..., task_data=...)`` allows; viewflow's Switch creates the
  next task with empty data, which then costs an UPDATE to fill in.
- No savepoint of its own around choosing the branch: the conditions only read the
  process's data, and an error anywhere rolls back the whole decision anyway.

viewflow ships no types; this module keeps to the parts of its API the Switch uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from viewflow import this
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.switch import Switch, SwitchActivation

Condition = Callable[[Any], bool] | None
TaskData = Callable[[Any], dict[str, Any]] | None


class RouteActivation(SwitchActivation):  # type: ignore[misc]
    next_data: dict[str, Any] | None = None

    @Activation.status.super()  # type: ignore[untyped-decorator]
    def activate(self) -> None:
        for node, cond, data in self.flow_task._cases:
            if cond is None or cond(self):
                self.next_task = node
                self.next_data = data(self) if data is not None else None
                return
        raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")

    @Activation.status.super()  # type: ignore[untyped-decorator]
    def create_next(self) -> Iterator[Any]:
        yield self.next_task._create(self, self.task.token, data=self.next_data)


class Route(Switch):  # type: ignore[misc]
    """An exclusive gateway: the first case whose condition holds, with its task data."""

    activation_class = RouteActivation

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cases: list[tuple[Any, Condition, TaskData]] = []

    def Case(self, node: Any, cond: Condition = None, task_data: TaskData = None) -> Route:  # noqa: N802
        self._activate_next.append((node, cond))
        self._cases.append((node, cond, task_data))
        return self

    def Default(self, node: Any, task_data: TaskData = None) -> Route:  # noqa: N802
        return self.Case(node, None, task_data)

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._cases = [
            (
                this.resolve(instance, node),
                this.resolve(instance, cond),
                this.resolve(instance, data),
            )
            for node, cond, data in self._cases
        ]
