from django.db import models
from django.db.models import Q


class Job(models.Model):
    """A durable piece of work, committed in the same transaction as its cause.

    Workers claim due rows under a lease, run them and mark them done. A worker
    that dies mid-job leaves the lease to expire, and the row is claimed again.
    """

    class State(models.TextChoices):
        DUE = "due", "Due"
        DONE = "done", "Done"
        FAILED = "failed", "Failed for good"

    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DUE)
    run_after = models.DateTimeField(db_index=False)
    leased_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["run_after"], condition=Q(state="due"), name="job_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"
