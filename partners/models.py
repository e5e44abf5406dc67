"""Partners: other organisations and sites that carry a petition, through the embedded
widget or the partner API. A signature that came through one names it (Signature.partner)
and the count fold keeps a total per partner (PetitionCount dimension "partner")."""

from django.conf import settings
from django.db import models


class Partner(models.Model):
    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.PROTECT, related_name="partners"
    )
    name = models.CharField(max_length=200)
    # Public: it appears in the widget snippet and the partner's API requests.
    slug = models.SlugField(max_length=60, unique=True)
    website = models.URLField(blank=True)
    # A partner switched off keeps its signatures and counts; its widget and tokens stop.
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
