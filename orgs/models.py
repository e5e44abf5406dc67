from django.db import models


class OrganisationQuerySet(models.QuerySet):
    def current(self) -> "Organisation":
        """The installation's organisation: Chorus runs one per installation."""
        return self.order_by("id").first()


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    postal_address = models.TextField(
        help_text="Printed in every email footer, as anti-spam law asks."
    )
    privacy_email = models.EmailField(
        help_text="Where people send privacy, export and erasure requests."
    )
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name


class ExportRecord(models.Model):
    """One bulk export of personal data: who took what, when, and how many rows.

    Append-only: the export service inserts a row before the first byte leaves and fills
    in the outcome once, when the stream ends. Nobody edits or deletes a row through the
    staff area, whatever their role.
    """

    class Outcome(models.TextChoices):
        STARTED = "started", "Not finished: still streaming, or the process stopped"
        FINISHED = "finished", "Every row sent"
        STOPPED = "stopped", "Download stopped before the end"

    # PROTECT: a staff account that has exported personal data can be deactivated, never
    # deleted, so the log always names who took the data.
    user = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="exports")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    what = models.CharField(max_length=300)
    scope = models.TextField(blank=True, help_text="Which rows: the petitions or filters.")
    format = models.CharField(max_length=10, default="csv")
    row_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Rows written to the download; empty until it ends."
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.STARTED)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        # No add, change or delete permission exists to be granted: only the export
        # service writes here.
        default_permissions = ["view"]
        permissions = [
            ("export_personal_data", "Can export personal data (signers, members) in bulk")
        ]

    def __str__(self) -> str:
        return f"{self.what} by {self.user} at {self.at:%Y-%m-%d %H:%M}"
