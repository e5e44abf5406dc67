"""A petition's outcome: the target's response, and whether a won petition keeps signing.

The response is one block on the public page ("<target> responded on <date>: ..."),
with an optional link to it. Victory itself is petitions.services.petitions'
transition; `petition_declare_victory(keep_signing=True)` leaves signing open, and
`petition_signing_after_victory` changes that choice later. Each change is logged in
the petition's history and changes `updated_at`, so the page's next copy shows it.
"""

import datetime
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from lib.text import TextRefused, multi_line_clean
from petitions.models import Petition, PetitionEvent
from petitions.signals import petition_page_changed

RESPONSE_MAX = 5_000
URL_MAX = 500


def petition_page_refresh(petition: Petition) -> None:
    """Once committed: this process forgets its copies of the petition, and says so.

    Other web processes keep theirs for at most PETITION_PAGE_CACHE_SECONDS.
    """

    def forget():
        from petitions.pages import petition_cache

        petition_cache.discard(petition.slug)
        petition_page_changed.send(sender=Petition, petition=petition)

    transaction.on_commit(forget)


class OutcomeRefused(ValueError):
    """A response or choice that cannot be saved; the message says what to fix."""


def _response_checked(text: str, on, url: str) -> tuple[str, datetime.date | None, str]:
    try:
        text = multi_line_clean(text or "")
    except TextRefused as refused:
        raise OutcomeRefused(f"The response: {refused.message}") from None
    if len(text) > RESPONSE_MAX:
        raise OutcomeRefused(f"Keep the response to {RESPONSE_MAX:,} characters.")
    url = (url or "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > URL_MAX:
            raise OutcomeRefused("The link must be a web address starting with https://.")
    if not text:
        if url or on:
            raise OutcomeRefused("Write the response (or clear every field to remove it).")
        return "", None, ""
    if on is None:
        raise OutcomeRefused("Give the date of the response.")
    if on > timezone.localdate() + datetime.timedelta(days=1):
        raise OutcomeRefused("The date of the response cannot be in the future.")
    return text, on, url


def petition_response_set(*, petition: Petition, text: str, on, url: str, by) -> bool:
    """Record (or, all empty, remove) the target's response; whether anything changed."""
    text, on, url = _response_checked(text, on, url)
    with transaction.atomic():
        petition = Petition.objects.select_for_update().get(pk=petition.pk)
        before = (petition.response_text, petition.response_on, petition.response_url)
        if before == (text, on, url):
            return False
        Petition.objects.filter(pk=petition.pk).update(
            response_text=text, response_on=on, response_url=url, updated_at=timezone.now()
        )
        PetitionEvent.objects.create(
            petition=petition,
            action=PetitionEvent.Action.EDITED,
            from_status=petition.status,
            to_status=petition.status,
            by=by,
            note="the target's response" if text else "the target's response removed",
        )
        petition_page_refresh(petition)
    return True


def petition_signing_after_victory(*, petition: Petition, keep_signing: bool, by) -> bool:
    """Whether a won petition keeps collecting signatures; whether anything changed."""
    with transaction.atomic():
        changed = (
            Petition.objects.filter(pk=petition.pk, status=Petition.Status.WON)
            .exclude(keeps_signing=keep_signing)
            .update(keeps_signing=keep_signing, updated_at=timezone.now())
        )
        petition.refresh_from_db()
        if petition.status != Petition.Status.WON:
            raise OutcomeRefused("Only a won petition can keep collecting signatures.")
        if changed:
            PetitionEvent.objects.create(
                petition=petition,
                action=PetitionEvent.Action.EDITED,
                from_status=petition.status,
                to_status=petition.status,
                by=by,
                note="keeps collecting signatures" if keep_signing else "signing stopped",
            )
            petition_page_refresh(petition)
    return bool(changed)
