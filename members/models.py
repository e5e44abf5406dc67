from django.db import models
from django_countries.fields import CountryField


class Member(models.Model):
    """One person per organisation, matched by the canonical email key."""

    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT)
    email = models.EmailField(max_length=254)
    email_key = models.CharField(max_length=300)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    country = CountryField()
    postcode = models.CharField(max_length=20, blank=True)
    subscribed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="consents")
    topic = models.CharField(max_length=50, default="email")
    action = models.CharField(max_length=10, choices=Action.choices)
    wording = models.TextField()
    wording_version = models.CharField(max_length=50)
    source = models.CharField(max_length=300, help_text="The page the choice was made on.")
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
