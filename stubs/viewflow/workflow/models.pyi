# viewflow/workflow/models.py (django-viewflow 2.4), fields only. flow_class and flow_task
# are viewflow's own reference fields holding a Flow class / node: Any.
from contextlib import AbstractContextManager
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from viewflow.workflow.managers import ProcessQuerySet, TaskQuerySet

class AbstractProcess(models.Model):
    flow_class: Any
    status = models.CharField(max_length=50)
    created = models.DateTimeField()
    finished = models.DateTimeField(blank=True, null=True)
    objects = ProcessQuerySet.as_manager()

    class Meta:
        abstract = True

class Process(AbstractProcess):
    data = models.JSONField(default=dict, blank=True)
    parent_task = models.ForeignKey(
        "Task", blank=True, null=True, on_delete=models.CASCADE, related_name="subprocesses"
    )
    seed_content_type = models.ForeignKey(
        ContentType, blank=True, null=True, on_delete=models.CASCADE, related_name="+"
    )
    seed_object_id = models.PositiveIntegerField(null=True, blank=True)
    artifact_content_type = models.ForeignKey(
        ContentType, blank=True, null=True, on_delete=models.CASCADE, related_name="+"
    )
    artifact_object_id = models.PositiveIntegerField(null=True, blank=True)

class AbstractTask(models.Model):
    flow_task: Any
    flow_task_type = models.CharField(max_length=50)
    status = models.CharField(max_length=50)
    created = models.DateTimeField()
    assigned = models.DateTimeField(blank=True, null=True)
    started = models.DateTimeField(blank=True, null=True)
    finished = models.DateTimeField(blank=True, null=True)
    scheduled = models.DateTimeField(blank=True, null=True)
    external_task_id = models.CharField(max_length=50, blank=True, null=True)
    previous = models.ManyToManyField("self", symmetrical=False, related_name="leading")
    token: Any
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, blank=True, null=True, on_delete=models.CASCADE
    )
    owner_permission = models.CharField(max_length=255, blank=True, null=True)
    owner_permission_obj_pk = models.CharField(max_length=255, blank=True, null=True)
    objects = TaskQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def coerced(self) -> Any: ...
    @property
    def coerced_process(self) -> Any: ...
    @property
    def title(self) -> Any: ...
    @property
    def brief(self) -> str: ...
    def activation(self) -> AbstractContextManager[Any]: ...

class Task(AbstractTask):
    process = models.ForeignKey(Process, on_delete=models.CASCADE)
    data = models.JSONField(default=dict, blank=True)
    seed_content_type = models.ForeignKey(
        ContentType, blank=True, null=True, on_delete=models.CASCADE, related_name="+"
    )
    seed_object_id = models.PositiveIntegerField(null=True, blank=True)
    artifact_content_type = models.ForeignKey(
        ContentType, blank=True, null=True, on_delete=models.CASCADE, related_name="+"
    )
    artifact_object_id = models.PositiveIntegerField(null=True, blank=True)
    def reverse(self, view_name: str, *args: Any) -> str: ...
