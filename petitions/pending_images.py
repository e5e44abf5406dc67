"""Images uploaded with a petition form that was refused, kept for the next submit.

A browser cannot put a file back into a file field, so a refused form would otherwise
lose the image its author chose. An upload that passed lib.images' checks is stored,
already re-encoded, under MEDIA_ROOT/pending/ with a random name; the form carries a
signed token naming it, and the next submit takes the file from there. Tokens expire
after a day, and `pending_images_prune` (a periodic loop in petitions.jobs) removes
files older than that.
"""

import os
import re
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

PENDING_DIR = "pending"
KEEP_FOR = timedelta(days=1)
SALT = "chorus.petitions.pending_image"
# What lib.images.image_clean names its files: a random token and the stored type.
STORED_NAME = re.compile(r"[A-Za-z0-9_-]{8,40}\.(jpg|png|webp)")


@dataclass(frozen=True)
class PendingImage:
    token: str
    stored_name: str
    # The name the file had on its author's computer, shown so they recognise it.
    original_name: str

    @property
    def path(self) -> str:
        return f"{PENDING_DIR}/{self.stored_name}"

    @property
    def url(self) -> str:
        return default_storage.url(self.path)

    def content(self) -> ContentFile:
        with default_storage.open(self.path, "rb") as stored:
            return ContentFile(stored.read(), name=self.stored_name)

    def discard(self) -> None:
        default_storage.delete(self.path)


def _display_name(name: str) -> str:
    name = os.path.basename(name.replace("\\", "/"))
    printable = "".join(c for c in name if c.isprintable())
    return printable[:100] or "image"


def pending_image_keep(*, image: ContentFile, original_name: str) -> PendingImage:
    image.seek(0)
    stored = default_storage.save(f"{PENDING_DIR}/{image.name}", image)
    stored_name = stored.rsplit("/", 1)[-1]
    display = _display_name(original_name)
    token = signing.dumps({"f": stored_name, "n": display}, salt=SALT)
    return PendingImage(token=token, stored_name=stored_name, original_name=display)


def pending_image_find(token: str) -> PendingImage | None:
    """The kept image a form's token names, if the token is ours, fresh, and the file is there."""
    if not token:
        return None
    try:
        value = signing.loads(token, salt=SALT, max_age=KEEP_FOR)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or not STORED_NAME.fullmatch(str(value.get("f", ""))):
        return None
    pending = PendingImage(token=token, stored_name=value["f"], original_name=str(value["n"]))
    return pending if default_storage.exists(pending.path) else None


def pending_images_prune() -> int:
    """Remove kept images older than KEEP_FOR; how many went."""
    try:
        _, names = default_storage.listdir(PENDING_DIR)
    except FileNotFoundError:
        return 0
    cutoff = timezone.now() - KEEP_FOR
    removed = 0
    for name in names:
        path = f"{PENDING_DIR}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            removed += 1
    return removed
