from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from lib.mail import absolute_url

# The installation's brand green until the organisation chooses its own.
DEFAULT_PRIMARY_COLOUR = "#0b5d1e"
# The logo's height in emails, in CSS pixels (the public header sets its own in brand.css).
EMAIL_LOGO_HEIGHT = 48


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
    # Re-encoded and scaled down before it is stored (orgs.brand.logo_prepare).
    logo = models.ImageField(
        upload_to="brand/", blank=True, width_field="logo_width", height_field="logo_height"
    )
    logo_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    logo_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    logo_alt = models.CharField(
        "logo description",
        max_length=200,
        blank=True,
        help_text="Read out in place of the logo; empty means the organisation's name.",
    )
    primary_colour = models.CharField(
        max_length=7,
        default=DEFAULT_PRIMARY_COLOUR,
        validators=[RegexValidator(r"\A#[0-9a-f]{6}\Z", "A colour as #rrggbb.")],
        help_text="Buttons, links, the count and the header; text on it must pass WCAG AA.",
    )
    sender_name = models.CharField(
        max_length=100,
        blank=True,
        help_text="The name emails come from; empty means the organisation's name.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(primary_colour__regex=r"^#[0-9a-f]{6}$"),
                name="organisation_primary_colour_hex",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def logo_text(self) -> str:
        return self.logo_alt or self.name

    @property
    def email_sender_name(self) -> str:
        return self.sender_name or self.name

    @property
    def palette(self):
        from orgs.brand import brand_palette

        return brand_palette(self.primary_colour)

    @property
    def brand_version(self) -> str:
        """Names /brand/<version>.css: it changes whenever the stylesheet would."""
        from orgs.brand import brand_version

        return brand_version(self.primary_colour)

    @property
    def logo_absolute_url(self) -> str:
        """The logo for emails, from BASE_URL, never from a request's Host header."""
        return absolute_url(self.logo.url) if self.logo else ""

    @property
    def logo_email_width(self) -> int:
        if not (self.logo_width and self.logo_height):
            return 0
        return max(1, round(self.logo_width * EMAIL_LOGO_HEIGHT / self.logo_height))

    @property
    def logo_email_height(self) -> int:
        return EMAIL_LOGO_HEIGHT


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


class AuditEvent(models.Model):
    """One staff action that touched personal data or trust: the audit log owners read.

    Append-only, and not by convention alone: `orgs.audit.audit_record` is the only writer,
    no permission to change or delete a row exists to be granted, and database triggers
    (migration 0005_audit_event) refuse an UPDATE or DELETE from anything, the ORM included.
    A row names what was done and to what, never the personal data itself: an erasure says
    which record was erased, not whose.
    """

    class Action(models.TextChoices):
        EXPORT = "export", "Exported personal data"
        IMPORT = "import", "Imported members"
        INVALIDATE = "invalidate", "Invalidated signatures"
        REINSTATE = "reinstate", "Reinstated signatures"
        ERASE = "erase", "Erased a person's data"
        ROLE = "role", "Changed a role or permissions"
        TWO_FACTOR_RESET = "2fa_reset", "Reset two-factor authentication"
        PETITION_PUBLISH = "publish", "Published a petition"
        PETITION_CLOSE = "close", "Closed a petition"
        PETITION_REOPEN = "reopen", "Reopened a petition"
        PETITION_VICTORY = "victory", "Declared a petition won"
        SUBSCRIPTION = "subscription", "Changed a member's subscription"
        MAILING_SEND = "mailing_send", "Started sending a mailing"
        RETENTION = "retention", "Anonymised by the retention rules"
        API_TOKEN_CREATE = "token_create", "Made a partner API token"
        API_TOKEN_REVOKE = "token_revoke", "Revoked a partner API token"
        WEBHOOK = "webhook", "Added or switched off a webhook endpoint"
        OTHER = "other", "Other"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # SET_NULL would be an UPDATE, which the triggers refuse: staff accounts that acted are
    # deactivated, never deleted (PROTECT), and `actor_name` keeps the name as it was.
    actor = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    # What was acted on, as "app.model:pk" or a description ("petition:scraping-stop").
    target = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=300)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        default_permissions = ["view"]

    def __str__(self) -> str:
        by = self.actor_name or "Chorus"
        return f"{self.get_action_display()} by {by} at {self.at:%Y-%m-%d %H:%M}"
