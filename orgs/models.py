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
