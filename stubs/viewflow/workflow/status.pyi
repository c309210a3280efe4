from django.db import models

class PROCESS(models.TextChoices):
    CANCELED = "CANCELED"
    DONE = "DONE"
    NEW = "NEW"

class STATUS(models.TextChoices):
    ASSIGNED = "ASSIGNED"
    CANCELED = "CANCELED"
    DONE = "DONE"
    ERROR = "ERROR"
    NEW = "NEW"
    REVIVED = "REVIVED"
    SCHEDULED = "SCHEDULED"
    STARTED = "STARTED"
