"""A person's rights over what Chorus holds: the self-service requests and their links."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RightsRequest(models.Model):
    """One "send me a copy" or "erase my data" request typed on the public page.

    The row is written for any address, so the request's answer cannot tell whether
    Chorus knows it. The worker then decides: it deletes the row when nothing is held,
    or emails a link and forgets the address typed, keeping only the canonical key the
    link acts on. The link is derived from `token_nonce` and SECRET_KEY (HMAC, bound to
    the purpose); the row keeps the nonce and the link's hash, never the link. Rows are
    deleted when their link expires (rights.retention) or when the person is erased.
    """

    class Purpose(models.TextChoices):
        COPY = "copy", _("Send me a copy of my data")
        ERASE = "erase", _("Erase my data")

    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE)
    purpose = models.CharField(max_length=5, choices=Purpose.choices)
    # The address as typed (normalised), until the worker has emailed it or found nothing.
    email = models.EmailField(max_length=254, blank=True)
    email_key = models.CharField(max_length=300)
    # The client's network as the job ledger keeps it (a keyed hash), for the mail ceiling.
    network = models.CharField(max_length=64, blank=True)
    # The language of the page the request was typed on: its email is written in it.
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    token_nonce = models.CharField(max_length=64, blank=True)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        default_permissions = ()
        permissions = [("erase_person", "Can erase a person's data on their request")]

    def __str__(self) -> str:
        return f"{self.purpose} request #{self.pk}"
