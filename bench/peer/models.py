from django.db import models
from viewflow.workflow.models import Process


class PeerProcess(Process):
    """The peer's process: a title and the decisions taken, as a task form would save them."""

    title = models.CharField(max_length=100)
    decisions = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return self.title


class LoadRow(models.Model):
    """One counter row per load client and request: the bare view's single-row UPDATEs."""

    n = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"row {self.pk}: {self.n}"
