# Partial stubs for django-viewflow 2.x (which ships no type information): only the models
# and status choices fundflow reads, so that django-stubs sees Process/Task as models.
# Everything else in viewflow (flow nodes, `this`, locks, timers) stays Any.
from typing import Any

def __getattr__(name: str) -> Any: ...
