from django.conf import settings
from django.db import models
from django_countries.fields import CountryField


class Member(models.Model):
    """One person per organisation, matched by the canonical email key.

    The subscription fields and the address change only through members.services, so
    every change lands in the consent ledger; the admin shows them read-only.
    """

    class Status(models.TextChoices):
        NONE = "none", "Not subscribed"
        PENDING = "pending", "Awaiting opt-in"
        SUBSCRIBED = "subscribed", "Subscribed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"

    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT)
    email = models.EmailField(max_length=254)
    email_key = models.CharField(max_length=300)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    country = CountryField()
    postcode = models.CharField(max_length=20, blank=True)
    language = models.CharField(max_length=10, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NONE)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The workspace's list and search have more indexes on PostgreSQL only (migration
    # 0003_member_subscription), outside the model state, as the signatures' do.

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email_key"], name="one_member_per_email_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ConsentRecord(models.Model):
    """An append-only ledger of what each member agreed to or withdrew."""

    class Action(models.TextChoices):
        GRANTED = "granted"
        WITHDRAWN = "withdrawn"

    class SourceKind(models.TextChoices):
        PAGE = "page", "A petition page"
        MAILING = "mailing", "A mailing"
        IMPORT = "import", "An import"
        STAFF = "staff", "Staff"
        OPT_IN = "opt-in", "An opt-in link"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="consents")
    topic = models.CharField(max_length=50, default="email")
    action = models.CharField(max_length=10, choices=Action.choices)
    wording = models.TextField()
    wording_version = models.CharField(max_length=50)
    source_kind = models.CharField(
        max_length=10, choices=SourceKind.choices, default=SourceKind.PAGE
    )
    source = models.CharField(
        max_length=300, help_text="Where the choice was made: the page, the mailing, the file."
    )
    reason = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signature = models.ForeignKey(
        "petitions.Signature", null=True, blank=True, on_delete=models.SET_NULL
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        constraints = [
            # A signature grants consent at most once, however often a worker
            # retries the job that records it.
            models.UniqueConstraint(
                fields=["signature", "topic"],
                condition=models.Q(signature__isnull=False),
                name="one_consent_per_signature_topic",
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.topic} ({self.wording_version})"


class Suppression(models.Model):
    """An address no mailing may reach, whether or not a member has it (yet).

    Kept by email key, so an address suppressed before its owner became a member is
    still suppressed once they are one.
    """

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained (marked as spam)"
        STAFF = "staff", "Suppressed by staff"
        IMPORTED = "imported", "Imported suppression list"

    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE)
    email_key = models.CharField(max_length=300)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email_key"], name="one_suppression_per_email_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email_key}: {self.reason}"


class CountryConsentRule(models.Model):
    """Whether members in a country need their own confirmed opt-in to be mailed.

    A row overrides the built-in default (members.consent.DOUBLE_OPT_IN_COUNTRIES).
    """

    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE)
    country = CountryField()
    double_opt_in = models.BooleanField(
        default=True,
        help_text="A subscription to mailings needs its own confirmed opt-in, even when "
        "the petition did not ask signers to confirm their address.",
    )
    note = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "country"], name="one_consent_rule_per_country"
            )
        ]

    def __str__(self) -> str:
        return f"{self.country}: {'double opt-in' if self.double_opt_in else 'single opt-in'}"


class OptInLink(models.Model):
    """The confirmed opt-in emailed to a member left awaiting it: one live link each.

    The row keeps the nonce the link is derived from and the link's hash, never the
    link itself (see members.optin). `sent_at` is claimed before the email goes out,
    so a retried job sends it once; `used_at` marks the press that subscribed.
    """

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="optin_link")
    token_nonce = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"opt-in link for member {self.member_id}"


class MemberImport(models.Model):
    """One CSV file of members on its way in: previewed, then run in the background.

    The file itself sits in MEMBER_IMPORT_DIR (owner-only, never served) from the upload
    until the run ends or staff cancel; `file_name` is its name there. The error report
    keeps line numbers and reasons only, never the rows' contents.
    """

    class State(models.TextChoices):
        PREVIEWED = "previewed", "Waiting for confirmation"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=200)
    wording = models.TextField(blank=True, help_text="Empty: nobody is subscribed.")
    original_name = models.CharField(max_length=255, blank=True)
    file_name = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PREVIEWED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_invalid = models.PositiveIntegerField(default=0, help_text="Found by the preview.")
    rows_done = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    rows_errors = models.PositiveIntegerField(default=0)
    error_report = models.JSONField(default=list, blank=True)
    failure = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import from {self.source} ({self.state})"
