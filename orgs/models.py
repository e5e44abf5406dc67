from django.db import models
from django.utils import timezone


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


class InvitationQuerySet(models.QuerySet):
    def pending(self, *, now=None) -> "InvitationQuerySet":
        """Invitations that can still be accepted: not used, not withdrawn, not expired."""
        return self.filter(accepted_at=None, revoked_at=None, expires_at__gt=now or timezone.now())


class Invitation(models.Model):
    """An owner's invitation of a colleague into the workspace, with a role.

    The link's token is derived from `token_nonce` and SECRET_KEY when the email is
    sent (orgs.people.invitation_token); the row keeps only the nonce and the token's
    hash, so neither a backup nor the job ledger holds a working link.
    """

    class Role(models.TextChoices):
        OWNER = "Owner", "Owner"
        CAMPAIGNER = "Campaigner", "Campaigner"
        ANALYST = "Analyst", "Analyst"

    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    token_nonce = models.CharField(max_length=40)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.OneToOneField(
        "auth.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitation_accepted",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.email} as {self.role}"


class StaffEvent(models.Model):
    """One thing done to a staff account or an invitation: who did it, to whom, when.

    Append-only: only the services in orgs.people write here, and no role can change
    or delete a row (there is no such permission to grant).
    """

    class Action(models.TextChoices):
        INVITED = "invited", "Invited"
        INVITATION_REVOKED = "invitation_revoked", "Withdrew the invitation"
        INVITATION_ACCEPTED = "invitation_accepted", "Accepted the invitation"
        ROLE_CHANGED = "role_changed", "Changed the role"
        DEACTIVATED = "deactivated", "Deactivated the account"
        REACTIVATED = "reactivated", "Reactivated the account"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=30, choices=Action.choices)
    user = models.ForeignKey(
        "auth.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_events",
        help_text="The account acted on, if any yet.",
    )
    invitation = models.ForeignKey(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        default_permissions = ["view"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"
