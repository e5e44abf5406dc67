"""Segments of members, mailings to them, and the per-recipient ledger that sends them.

A mailing's recipients are snapshotted when its send starts: one `Recipient` row per
mailing and member, made set-wise. Workers claim those rows in batches under leases
(jobs.leases), so a send survives a worker dying and nobody gets it twice beyond the
messages in flight at that instant. Everything the report shows is read from the
recipients and their clicks: there is no second set of counters to drift.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from jobs.leases import Leased


class Segment(models.Model):
    """A saved set of conditions on members, evaluated afresh each time it is used.

    `definition` is {"match": "all" | "any", "conditions": [{"kind": ..., "negate": bool,
    ...}]}; mailings.segments compiles it to an ORM query. Nothing in it is SQL.
    """

    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE)
    name = models.CharField(max_length=200)
    definition = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Mailing(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        TESTING = "testing", "Testing subject lines"
        PAUSED = "paused", "Paused"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    class Metric(models.TextChoices):
        CLICKS = "clicks", "Unique clicks"
        SIGNATURES = "signatures", "Signatures"

    class Audience(models.TextChoices):
        SEGMENT = "segment", "A segment of members"
        # mailings.outcome.petition_signers_mailable: an update or outcome email.
        SIGNERS = "signers", "The petition's signers who agreed to hear about it"

    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE)
    name = models.CharField(max_length=200, help_text="For staff only; members never see it.")
    subject = models.CharField(max_length=200)
    preheader = models.CharField(
        max_length=200, blank=True, help_text="The line inboxes show after the subject."
    )
    from_name = models.CharField(max_length=100)
    from_address = models.EmailField(help_text="One of the configured senders.")
    reply_to = models.EmailField(blank=True)
    body = models.TextField(help_text="Markdown with merge fields.")
    petition = models.ForeignKey(
        "petitions.Petition",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mailings",
        help_text="The action: {{petition_link}} goes here, and signatures count for the mailing.",
    )
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="mailings"
    )
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.SEGMENT)
    # The petition update this mailing emails (at most one mailing per update).
    update = models.ForeignKey(
        "petitions.Update",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailings",
    )
    # The segment as it was when the send started (a later edit changes nothing sent).
    segment_definition = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    recipients_total = models.PositiveIntegerField(default=0)
    # Opens, counted only when MAILING_OPEN_TRACKING is on, and only as a number: who
    # opened is never recorded.
    opens = models.PositiveIntegerField(default=0)
    # The URLs its links lead to, fixed when the send starts: a click link names an
    # index into this list, so a click can only ever lead where the mailing pointed.
    links = models.JSONField(default=list, blank=True)
    # Subject-line test: with variants, `ab_sample_percent` of the recipients get one
    # variant each at random; after `ab_wait_minutes` the best by `ab_metric` goes to the rest.
    ab_sample_percent = models.PositiveSmallIntegerField(default=20)
    ab_wait_minutes = models.PositiveIntegerField(default=240)
    ab_metric = models.CharField(max_length=10, choices=Metric.choices, default=Metric.CLICKS)
    ab_decided_at = models.DateTimeField(null=True, blank=True)
    winner = models.ForeignKey(
        "Variant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("send_mailing", "Can send a mailing to members")]
        constraints = [
            models.UniqueConstraint(
                fields=["update"],
                condition=Q(update__isnull=False),
                name="one_mailing_per_update",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Variant(models.Model):
    """One subject line of a subject-line test (A, B, ...)."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="variants")
    letter = models.CharField(max_length=1)
    subject = models.CharField(max_length=200)

    class Meta:
        ordering = ["letter"]
        constraints = [
            models.UniqueConstraint(fields=["mailing", "letter"], name="one_variant_per_letter")
        ]

    def __str__(self) -> str:
        return f"{self.letter}: {self.subject}"


class Recipient(Leased):
    """One member's copy of one mailing: the send ledger and the report's raw data.

    `run_after` far in the future holds a recipient back (the rest of a subject-line
    test waits for its winner). Failures keep their reason in `last_error`.
    """

    class Provider(models.TextChoices):
        GMAIL = "gmail", "Gmail"
        MICROSOFT = "microsoft", "Microsoft"
        YAHOO = "yahoo", "Yahoo"
        OTHER = "other", "Other"

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="recipients")
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="mailings_received"
    )
    variant = models.ForeignKey(Variant, null=True, blank=True, on_delete=models.SET_NULL)
    provider = models.CharField(max_length=10, choices=Provider.choices, default=Provider.OTHER)
    sent_at = models.DateTimeField(null=True, blank=True)
    first_clicked_at = models.DateTimeField(null=True, blank=True)
    clicks = models.PositiveIntegerField(default=0)
    signature = models.ForeignKey(
        "petitions.Signature", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_kind = models.CharField(max_length=4, blank=True)  # "hard" or "soft"
    complained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mailing", "member"], name="one_recipient_per_mailing_member"
            )
        ]
        indexes = [
            models.Index(
                fields=["mailing", "run_after"], condition=Q(state="due"), name="recipient_due"
            ),
            models.Index(fields=["member", "mailing"], name="recipient_member"),
        ]

    def __str__(self) -> str:
        return f"mailing {self.mailing_id} to member {self.member_id} ({self.state})"


class Click(models.Model):
    """One click on one tracked link: unique clicks come from Recipient.first_clicked_at."""

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="click_log")
    link = models.PositiveSmallIntegerField()
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"click on link {self.link} by recipient {self.recipient_id}"


class MailingEvent(models.Model):
    """Who did what to a mailing, and when: scheduled, paused, cancelled, a test sent..."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} on mailing {self.mailing_id}"


class SoftBounce(models.Model):
    """A member's soft bounces (4.x.x) in a row: MAILING_SOFT_BOUNCE_LIMIT suppresses.

    One count per mailing (a second delay notice for the same copy adds nothing); a sign
    that mail arrives (a click, a signature or an unsubscribe through a mailing's link,
    or an ESP's "delivered" event) starts the count again.
    """

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="soft_bounces"
    )
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)
    last_reason = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.count} soft bounces for member {self.member_id}"
