"""Partners are made and switched off in the staff area (staff/views/partners.py)."""

from django.db import transaction

from orgs.models import Organisation
from partners.models import Partner


def partner_create(*, organisation: Organisation, data: dict, by) -> Partner:
    return Partner.objects.create(
        organisation=organisation,
        name=data["name"],
        slug=data["slug"],
        website=data.get("website", ""),
        created_by=by,
    )


def partner_set_active(*, partner: Partner, active: bool) -> bool:
    """Switch a partner off (its tokens and webhooks stop; its counts stay) or on again."""
    with transaction.atomic():
        return bool(
            Partner.objects.filter(pk=partner.pk).exclude(active=active).update(active=active)
        )
