"""Staff moving a signature between states (fraudulent, invalidated, confirmed)."""

from django.db import transaction
from django.utils import timezone

from petitions.models import Signature, SignatureEvent


def signature_set_state(*, signature: Signature, state: str, by=None, note: str = "") -> None:
    """Move a signature to a new state (staff actions); the counts follow."""
    with transaction.atomic():
        current = Signature.objects.select_for_update().get(pk=signature.pk)
        if current.state == state:
            return
        Signature.objects.filter(pk=current.pk).update(
            state=state,
            count_dirty=True,
            confirmed_at=current.confirmed_at
            or (timezone.now() if state == Signature.State.CONFIRMED else None),
        )
        SignatureEvent.objects.create(
            signature=current, from_state=current.state, to_state=state, by=by, note=note[:300]
        )


def signature_comment_hide(*, signature: Signature, hidden: bool, by) -> None:
    """Take a signer's reason off the public page, or put it back.

    The public page is kept whole for PETITION_PAGE_CACHE_SECONDS (and browsers for
    PETITION_PAGE_MAX_AGE), so a hidden reason is gone from it within that time.
    """
    Signature.objects.filter(pk=signature.pk).update(
        comment_hidden=hidden,
        hidden_by=by if hidden else None,
        hidden_at=timezone.now() if hidden else None,
    )
    SignatureEvent.objects.create(
        signature=signature,
        from_state=signature.state,
        to_state=signature.state,
        by=by,
        note="Reason hidden from the public page" if hidden else "Reason shown again",
    )
