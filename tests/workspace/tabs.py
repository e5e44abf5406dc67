"""Shared makings of the petition-tab tests: signatures in known states, counted."""

from django.utils import timezone

from petitions.counting import counts_fold_all
from tests.factories import SignatureFactory


def confirmed(petition, n: int = 1, **fields) -> list:
    rows = SignatureFactory.create_batch(
        n,
        petition=petition,
        state="confirmed",
        confirmed_at=timezone.now(),
        count_dirty=True,
        **fields,
    )
    counts_fold_all()
    return rows


def tab_url(petition, rest: str = "") -> str:
    return f"/staff/petitions/{petition.pk}/{rest}"
