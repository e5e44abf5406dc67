"""A petition's translations: its ask, target, summary and story in other languages.

Each change touches the petition's `updated_at`, its version: whatever keeps a copy of
the petition's pages by version sees a new one (the page cache keeps each language's
page apart, by its URL, for PETITION_PAGE_CACHE_SECONDS).
"""

from django.db import transaction
from django.utils import timezone

from petitions.models import TRANSLATED_FIELDS, Petition, PetitionTranslation


def petition_translation_save(
    *, petition: Petition, language: str, data: dict, by
) -> PetitionTranslation:
    """Write (or rewrite) the petition's text in `language` from a form's cleaned data."""
    values = {name: data[name] for name in TRANSLATED_FIELDS}
    with transaction.atomic():
        translation, _ = PetitionTranslation.objects.update_or_create(
            petition=petition, language=language, defaults=values
        )
        _version_bump(petition)
    return translation


def petition_translation_delete(*, petition: Petition, language: str, by) -> bool:
    """Remove the petition's text in `language`; False when there was none."""
    with transaction.atomic():
        deleted, _ = PetitionTranslation.objects.filter(
            petition=petition, language=language
        ).delete()
        if deleted:
            _version_bump(petition)
    return bool(deleted)


def _version_bump(petition: Petition) -> None:
    Petition.objects.filter(pk=petition.pk).update(updated_at=timezone.now())
