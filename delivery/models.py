"""What goes to a petition's target: the delivery packs (a PDF and a CSV made by a
background job) and the milestone emails a campaigner sets."""

from django.core.validators import MinValueValidator
from django.db import models


class DeliveryPack(models.Model):
    """One delivery pack: a PDF for reading and a CSV of the shared fields, kept as two
    owner-only files in DELIVERY_DIR (outside MEDIA_ROOT, never served but through the
    workspace's download view) until DELIVERY_PACK_DAYS have passed or staff delete it."""

    class State(models.TextChoices):
        RUNNING = "running", "Being made"
        DONE = "done", "Ready"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"
        DELETED = "deleted", "Deleted"

    petition = models.ForeignKey(
        "petitions.Petition", on_delete=models.CASCADE, related_name="delivery_packs"
    )
    by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    # The random stem of the two file names (<file_key>.pdf, <file_key>.csv).
    file_key = models.CharField(max_length=32, unique=True)
    # What the petition said it shares, as it stood when the pack was made.
    fields = models.JSONField(default=list)
    # The signatures walked: those with id <= upto_id, past `cursor` so far.
    upto_id = models.BigIntegerField(default=0)
    cursor = models.BigIntegerField(default=0)
    # Bytes of the CSV that hold whole batches: a retried job cuts the file back to this.
    csv_bytes = models.BigIntegerField(default=0)
    csv_done = models.BooleanField(default=False)  # then the next job lays out the PDF
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    confirmed_total = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    pdf_bytes = models.BigIntegerField(default=0)
    failure = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Delivery pack {self.pk} of petition {self.petition_id}"


class DeliveryMilestones(models.Model):
    """Where and when to tell the target how many have signed: one row per petition."""

    petition = models.OneToOneField(
        "petitions.Petition", on_delete=models.CASCADE, related_name="delivery_milestones"
    )
    target_email = models.EmailField(max_length=254, blank=True)
    milestones = models.JSONField(default=list)  # ascending whole numbers
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Milestones of petition {self.petition_id}"


class MilestoneSent(models.Model):
    """A milestone whose email is recorded: the unique row is what makes it once only."""

    petition = models.ForeignKey(
        "petitions.Petition", on_delete=models.CASCADE, related_name="milestones_sent"
    )
    milestone = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    count = models.PositiveIntegerField()
    to = models.EmailField(max_length=254)
    recorded_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["petition", "milestone"], name="milestone_once")
        ]

    def __str__(self) -> str:
        return f"Milestone {self.milestone} of petition {self.petition_id}"
