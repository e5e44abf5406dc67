import secrets

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django_countries.fields import CountryField

# Thermometer goals step up through this ladder (and by 5,000,000s beyond it).
GOAL_STEPS = [
    100,
    200,
    500,
    1_000,
    2_000,
    5_000,
    10_000,
    20_000,
    50_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
]


def goal_for(count: int, current_goal: int = 0) -> int:
    """The next goal once the count passes about 80% of it; never lower than before."""
    step = next((s for s in GOAL_STEPS if count < s * 0.8), None)
    if step is None:
        step = (int(count / 0.8) // 5_000_000 + 1) * 5_000_000
    return max(step, current_goal)


# The fields of a petition a campaigner edits; the status and counts are not among them.
EDITABLE_FIELDS = [
    "title",
    "target",
    "summary",
    "story",
    "image_alt",
    "language",
    "require_confirmation",
    "goal_mode",
    "delivery_fields",
]


class PetitionQuerySet(models.QuerySet):
    def public(self):
        return self.filter(
            status__in=[Petition.Status.OPEN, Petition.Status.CLOSED, Petition.Status.WON]
        )


def delivery_fields_default() -> list[str]:
    return ["name", "country"]


class Petition(models.Model):
    class GoalMode(models.TextChoices):
        AUTOMATIC = "auto", "Automatic: the goal steps up as signatures come in"
        FIXED = "fixed", "Fixed: a goal the campaigner sets"

    # What the delivery pack carries about each signer, for the decision-maker.
    DELIVERY_FIELDS = [
        ("name", "Name"),
        ("country", "Country"),
        ("postcode", "Postcode"),
        ("comment", "Why they signed (their comment)"),
    ]

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for signatures"
        CLOSED = "closed", "Closed"
        WON = "won", "Victory"

    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.PROTECT, related_name="petitions"
    )
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField("the ask", max_length=200)
    target = models.CharField("decision-maker", max_length=200)
    summary = models.CharField(
        max_length=300, help_text="One or two sentences, shown in link previews."
    )
    story = models.TextField(help_text="Markdown. Links and emphasis are kept; HTML is removed.")
    image = models.ImageField(upload_to="petitions/", blank=True)
    image_alt = models.CharField(max_length=250, blank=True)
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    require_confirmation = models.BooleanField(
        default=True, help_text="Count a signature only after its email address is confirmed."
    )
    goal = models.PositiveIntegerField(default=100, editable=False)
    goal_mode = models.CharField(
        max_length=5, choices=GoalMode.choices, default=GoalMode.AUTOMATIC
    )
    delivery_fields = models.JSONField(default=delivery_fields_default, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A won petition stops signing unless the campaigner chose to keep collecting
    # (petition_declare_victory); a closed one always stops.
    keeps_signing = models.BooleanField(default=False, editable=False)
    # The target's response, shown on the public page in its own block
    # (petitions.services.outcome.petition_response_set).
    response_text = models.TextField(blank=True, editable=False)
    response_on = models.DateField(null=True, blank=True, editable=False)
    response_url = models.URLField(max_length=500, blank=True, editable=False)

    objects = PetitionQuerySet.as_manager()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(goal__gt=0), name="goal_positive")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("petitions:detail", kwargs={"slug": self.slug})

    @property
    def is_open(self) -> bool:
        """Whether it takes signatures: open, or won and still collecting."""
        return self.status == self.Status.OPEN or (
            self.status == self.Status.WON and self.keeps_signing
        )

    def goal_at(self, count: int) -> int:
        """The goal to show beside `count`: a fixed goal as set, else the next step up."""
        if self.goal_mode == self.GoalMode.FIXED:
            return self.goal
        return goal_for(count, self.goal)


class PetitionTranslation(models.Model):
    """The petition's ask, target, summary and story in another language, in the
    campaigner's words; served at that language's URL (/fr/p/<slug>/). The petition's
    own fields are its `language` version. Every version signs into the one Petition."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=10)
    title = models.CharField("the ask", max_length=200)
    target = models.CharField("decision-maker", max_length=200)
    summary = models.CharField(max_length=300)
    story = models.TextField(help_text="Markdown. Links and emphasis are kept; HTML is removed.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "language"], name="one_translation_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} ({self.language}): {self.title}"


# What a translation replaces of its petition's text.
TRANSLATED_FIELDS = ["title", "target", "summary", "story"]


class PetitionEvent(models.Model):
    """The log of a petition's life in the workspace: who created, edited, published,
    closed, reopened it or declared victory, and when."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Edited"
        PUBLISHED = "published", "Published"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"
        WON = "won", "Victory declared"

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"


class Source(models.Model):
    """A "more information" link: a report that backs the petition's story."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200)
    url = models.URLField(max_length=500)
    published_on = models.DateField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Update(models.Model):
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="updates")
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    """Where a signer came from: the share buttons tag their links with these."""

    DIRECT = "", "Direct"
    FACEBOOK = "facebook", "Facebook"
    X = "x", "X"
    WHATSAPP = "whatsapp", "WhatsApp"
    TELEGRAM = "telegram", "Telegram"
    EMAIL = "email", "Email"
    LINK = "link", "Copied link"
    WIDGET = "widget", "Embedded widget"
    MAILING = "mailing", "Mailing"
    PARTNER = "partner", "Partner API"


def new_public_code() -> str:
    return secrets.token_urlsafe(12)


class Signature(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Awaiting confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        FRAUDULENT = "fraudulent", "Fraudulent"
        INVALIDATED = "invalidated", "Invalidated"

    LIVE_STATES = [State.PENDING, State.CONFIRMED]

    # Indexes cost every insert during a spike, so each one here earns its place:
    # live rows are found by petition through the live-key index, and the code is
    # only ever compared with the signer's cookie, never looked up.
    # The staff workspace's list and name search have four more on PostgreSQL only
    # (migration 0009_signature_staff_indexes), outside the model state.
    petition = models.ForeignKey(
        Petition, on_delete=models.PROTECT, related_name="signatures", db_index=False
    )
    code = models.CharField(max_length=20, default=new_public_code, editable=False)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    email = models.EmailField(max_length=254)
    email_key = models.CharField(max_length=300)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    country = CountryField()
    postcode = models.CharField(max_length=20, blank=True)
    comment = models.TextField(blank=True)
    show_name = models.BooleanField(default=False)
    opt_in = models.BooleanField(default=False)
    opt_in_wording_version = models.CharField(max_length=50, blank=True)
    language = models.CharField(max_length=10, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)
    ip_prefix = models.CharField(max_length=50, blank=True)
    member = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signatures",
        db_index=False,
    )
    # The partner whose widget or API brought this signature (None: Chorus's own pages).
    # No index: the per-partner figures come from the folded counts.
    partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signatures",
        db_index=False,
    )
    # The link is derived from the nonce with a key only the server holds
    # (petitions.services.confirmation_token); the row keeps the nonce and the hash the
    # link is checked against, neither of which confirms anything on its own.
    token_nonce = models.CharField(max_length=32, blank=True)
    token_hash = models.CharField(max_length=64, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Counting: `counted` says whether this row is folded into PetitionCount;
    # `count_dirty` marks rows whose state changed since the last fold.
    counted = models.BooleanField(default=False)
    count_dirty = models.BooleanField(default=False)
    # Staff can take a reason off the public page (petitions.services.moderation);
    # the signature itself and its name stay as they are.
    comment_hidden = models.BooleanField(default=False)
    hidden_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    # Why signing stored this signature as fraudulent (petitions.services.limits): the
    # limits it went over, or its disposable domain. Blank for every other signature.
    flag_reason = models.CharField(max_length=80, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "email_key"],
                condition=Q(state__in=["pending", "confirmed"]),
                name="one_live_signature_per_email_key",
            ),
        ]
        indexes = [
            # Only the rows the public list shows: a pending signature costs it nothing.
            models.Index(
                fields=["petition", "-confirmed_at"],
                condition=Q(state="confirmed", show_name=True),
                name="signature_public_list",
            ),
            # The reasons the public page shows: signers who chose to be shown and wrote
            # one that staff have not hidden. Only such rows are in it.
            models.Index(
                fields=["petition", "-confirmed_at"],
                condition=Q(state="confirmed", show_name=True, comment_hidden=False)
                & ~Q(comment=""),
                name="signature_public_reasons",
            ),
            models.Index(
                fields=["id"], condition=Q(count_dirty=True), name="signature_count_dirty"
            ),
            models.Index(fields=["token_hash"], name="signature_token"),
            models.Index(
                fields=["member"], condition=Q(member__isnull=False), name="signature_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} on {self.petition_id}"


class SignatureEvent(models.Model):
    """The log of every state change of a signature."""

    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL)
    note = models.CharField(max_length=300, blank=True)
    # The bulk action that made this change, if one did: reversing it finds its rows here.
    bulk_action = models.ForeignKey(
        "BulkAction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            # A reversal's batches: one action's events by signature id. Only events of
            # bulk actions are in it, so signing and confirming pay nothing for it.
            models.Index(
                fields=["bulk_action", "signature"],
                condition=Q(bulk_action__isnull=False),
                name="signature_event_bulk",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_state or 'new'} -> {self.to_state}"


class BulkAction(models.Model):
    """Staff changing the state of many signatures at once, worked in the background.

    Chosen by `filters` (petitions.bulk.BulkFilters, as JSON) among the signatures that
    existed when staff confirmed (`upto_id`), or, for a reversal, the signatures the
    action it `reverses` changed. The job walks them by id in batches (`cursor`); each
    changed signature gets a SignatureEvent pointing here. Cancelling stops it before
    its next batch.
    """

    class Kind(models.TextChoices):
        INVALIDATE = "invalidate", "Invalidate"
        FRAUDULENT = "fraudulent", "Mark as fraudulent"
        REINSTATE = "reinstate", "Reinstate as confirmed"
        REVERSE = "reverse", "Reverse"

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="bulk_actions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    filters = models.JSONField(default=dict, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    reason = models.CharField(max_length=300)
    by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    upto_id = models.BigIntegerField(default=0)
    cursor = models.BigIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.petition_id} ({self.state})"


class PetitionCount(models.Model):
    """Folded counts of confirmed signatures: the total, per country, per channel, and the
    series by day ("2026-11-30") and by hour ("2026-11-30T14"), in UTC, of confirmation."""

    class Dimension(models.TextChoices):
        TOTAL = "total"
        COUNTRY = "country"
        CHANNEL = "channel"
        DAY = "day"
        HOUR = "hour"
        # Signatures that came through a partner (widget or API); value is the partner's id.
        PARTNER = "partner"

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="counts")
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    value = models.CharField(max_length=20, blank=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "dimension", "value"], name="one_count_per_dimension_value"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dimension}:{self.value} = {self.count}"


class PetitionVisits(models.Model):
    """Views of a petition's public page by source (the share tag, "" for none), folded
    from the shared cache by petitions.visits.visits_fold. Counts only: nobody is named."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="visits")
    # A share tag, "" (direct), "widget" or "widget:<partner slug>" (a partner's widget).
    source = models.CharField(max_length=80, blank=True)
    count = models.BigIntegerField(default=0)
    # When the first view was counted: the rates compare views with signatures since then.
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["petition", "source"], name="one_visits_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.source or 'direct'} = {self.count}"


class MailAllowance(models.Model):
    """How much mail one unverified address, or one client network, has had lately.

    Keyed by a keyed hash of the canonical email key or of the network prefix, so
    the table names nobody. The database holds it so the ceiling is one across
    every worker process and machine.
    """

    key = models.CharField(max_length=64, unique=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    window_started_at = models.DateTimeField()
    sent_in_window = models.PositiveIntegerField(default=0)
    # Which email last took from it (e.g. "confirm:<signature id>"), so a retry of that
    # same email, after a worker was killed before sending it, is not held back by its
    # own earlier attempt. Blank: an email that named no holder.
    taken_by = models.CharField(max_length=40, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.sent_in_window} since {self.window_started_at:%Y-%m-%d %H:%M}"
