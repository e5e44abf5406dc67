"""Reads of petitions and signatures that more than one flow makes."""

from django.utils import timezone

from petitions.links import token_hash
from petitions.models import Signature


def live_signature_id(*, petition_id: int, email_key: str, states=None) -> int | None:
    """The live signature (pending or confirmed, or only `states`) with this key, if any."""
    return (
        Signature.objects.filter(
            petition_id=petition_id, email_key=email_key, state__in=states or Signature.LIVE_STATES
        )
        .values_list("pk", flat=True)
        .first()
    )


def signature_for_token(token: str) -> Signature | None:
    """The pending signature this unexpired link confirms, if any."""
    if not token or len(token) > 100:
        return None
    return (
        Signature.objects.select_related("petition")
        .filter(
            token_hash=token_hash(token),
            token_expires_at__gt=timezone.now(),
            state=Signature.State.PENDING,
        )
        .first()
    )
