"""Staff moving a signature between states (fraudulent, invalidated, confirmed)."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from petitions.models import Signature, SignatureEvent

State = Signature.State


class SignatureStateRefused(ValueError):
    """A change of state that makes no sense; the message says why, for the person asking."""


def signature_set_state(*, signature: Signature, state: str, by=None, note: str = "") -> None:
    """Move a signature to a new state (staff actions); the counts follow.

    Refused (SignatureStateRefused): a state that does not exist, back to "awaiting
    confirmation" (only the signer's link moves a signature out of it, and nothing moves one
    back), and reinstating one while another live signature holds the same address.
    """
    if state not in State.values:
        raise SignatureStateRefused(f"There is no state called {state!r}.")
    if state == State.PENDING:
        raise SignatureStateRefused(
            "A signature cannot be sent back to awaiting confirmation; only the signer's "
            "confirmation link moves it on."
        )
    try:
        with transaction.atomic():
            current = Signature.objects.select_for_update().get(pk=signature.pk)
            if current.state == state:
                return
            Signature.objects.filter(pk=current.pk).update(
                state=state,
                count_dirty=True,
                confirmed_at=current.confirmed_at
                or (timezone.now() if state == State.CONFIRMED else None),
            )
            SignatureEvent.objects.create(
                signature=current, from_state=current.state, to_state=state, by=by, note=note[:300]
            )
    except IntegrityError:
        # The live-key constraint: the signer has signed again since this one was removed.
        raise SignatureStateRefused(
            "This signer has signed this petition again since, so this signature cannot "
            "count as well. Their newer signature stands."
        ) from None


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
