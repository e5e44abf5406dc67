"""A petition's updates: news staff post on its page (written, edited, deleted)."""

from django.db import transaction

from petitions.models import Petition, Update


def update_create(*, petition: Petition, title: str, body: str, published_at, by) -> Update:
    with transaction.atomic():
        return Update.objects.create(
            petition=petition, title=title, body=body, published_at=published_at
        )


def update_edit(*, update: Update, title: str, body: str, published_at, by) -> Update:
    with transaction.atomic():
        Update.objects.filter(pk=update.pk).update(
            title=title, body=body, published_at=published_at
        )
        update.refresh_from_db()
    return update


def update_delete(*, update: Update, by) -> None:
    with transaction.atomic():
        Update.objects.filter(pk=update.pk).delete()
