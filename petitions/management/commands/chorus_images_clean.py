"""Re-encode petition images stored before uploads were cleaned (see docs/privacy.md)."""

from django.core.management.base import BaseCommand

from lib.images import ImageRefused, image_clean
from petitions.models import Petition


class Command(BaseCommand):
    help = (
        "Re-encode every stored petition image from its pixels alone, dropping EXIF, GPS, "
        "XMP and the like, under a new name; the old file is deleted. Run once after upgrading."
    )

    def handle(self, *args, **options):
        cleaned = refused = 0
        for petition in Petition.objects.exclude(image="").only("id", "image"):
            old = petition.image
            try:
                with old.open("rb") as stored:
                    clean = image_clean(stored)
            except (ImageRefused, FileNotFoundError) as exc:
                refused += 1
                self.stderr.write(f"Petition {petition.pk}: {old.name} left as it is: {exc}")
                continue
            old_name = old.name
            petition.image.save(clean.name, clean, save=False)
            Petition.objects.filter(pk=petition.pk).update(image=petition.image.name)
            old.storage.delete(old_name)
            cleaned += 1
        self.stdout.write(f"{cleaned} image(s) cleaned, {refused} left as they were.")
