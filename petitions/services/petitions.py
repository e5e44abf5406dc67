"""A petition's life: published, closed, won."""

from django.utils import timezone

from petitions.models import Petition


def petition_publish(*, petition: Petition, by=None) -> None:
    Petition.objects.filter(pk=petition.pk).update(
        status=Petition.Status.OPEN,
        published_at=petition.published_at or timezone.now(),
        closed_at=None,
    )
    petition.refresh_from_db()


def petition_close(*, petition: Petition, won: bool = False, by=None) -> None:
    Petition.objects.filter(pk=petition.pk).update(
        status=Petition.Status.WON if won else Petition.Status.CLOSED,
        closed_at=timezone.now(),
    )
    petition.refresh_from_db()
