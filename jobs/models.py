from django.db import models
from django.db.models import Q

from jobs.leases import Leased


class Job(Leased):
    """A durable piece of work, committed in the same transaction as its cause.

    Workers claim due rows under a lease, run them and mark them done. A worker
    that dies mid-job leaves the lease to expire, and the row is claimed again.
    The handler for each kind is registered by the app that owns it (jobs.registry).
    """

    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["run_after"], condition=Q(state="due"), name="job_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"
