"""The organisation's brand: its colour's palette and stylesheet, its logo, and the update.

The public pages and the workspace take their colours from a tiny stylesheet,
/brand/<version>.css, that only overrides chorus.css's and staff.css's custom
properties (the CSP allows no inline style). Its version is a digest of its text, so
the URL changes with the colour and the file can be cached for a year.

A colour is refused unless both the pages' text on it and the colour itself as text
(links, the count, outlined buttons) on the pages' light backgrounds reach WCAG AA.
"""

import io
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from hashlib import blake2b

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image

from lib.contrast import (
    AA_TEXT,
    INK,
    WHITE,
    contrast_ratio,
    darker_shade,
    darker_until,
    hex_normalise,
    text_colour_on,
)
from lib.images import SAVE_OPTIONS, image_clean
from orgs.models import Organisation

logger = logging.getLogger("chorus.orgs")

# The light backgrounds the brand colour is written on as text: white, the public pages'
# soft panel (the signing form, chorus.css --soft) and the workspace's soft and canvas
# greys (staff.css --soft, --canvas). #eef2ec is the darkest, so it decides.
LIGHT_BACKGROUNDS = ("#ffffff", "#f1f4ef", "#eef2ec", "#f5f7f4")

# The logo is shown 32 to 48 px high; this box keeps it sharp on a 3x screen, and small.
LOGO_MAX_SIZE = (800, 240)

ORGANISATION_CACHE_KEY = "chorus:organisation"
ORGANISATION_CACHE_SECONDS = 60


@dataclass(frozen=True)
class Palette:
    brand: str
    brand_dark: str  # hover and pressed states
    on_brand: str  # text on the brand colour


@lru_cache(maxsize=64)
def brand_palette(colour: str) -> Palette:
    # Any accepted colour takes white text (it reaches 4.5:1 against white), so its
    # darker hover shade reads at least as well.
    return Palette(brand=colour, brand_dark=darker_shade(colour), on_brand=text_colour_on(colour))


def _floor(ratio: float) -> str:
    """A ratio as WCAG reads it: never rounded up, so 4.499 shows as 4.49."""
    return f"{math.floor(ratio * 100) / 100:.2f}"


COLOUR_FORMAT_MESSAGE = (
    "Enter the colour as # and six letters or digits (0-9, a-f), such as #0b5d1e."
)


def brand_colour_problem(colour: str) -> str | None:
    """Why `colour` cannot be the brand colour, with a shade that can; None if it can."""
    if hex_normalise(colour) != colour:
        return COLOUR_FORMAT_MESSAGE
    on_white = contrast_ratio(colour, WHITE)
    on_tints = min(contrast_ratio(colour, background) for background in LIGHT_BACKGROUNDS)
    white_text = contrast_ratio(WHITE, colour)
    dark_text = contrast_ratio(INK, colour)
    if on_tints >= AA_TEXT and max(white_text, dark_text) >= AA_TEXT:
        return None
    suggestion = darker_until(colour, against=list(LIGHT_BACKGROUNDS), ratio=AA_TEXT)
    if max(white_text, dark_text) < AA_TEXT:
        problem = (
            f"Text on {colour} would be hard to read: white text reaches {_floor(white_text)}:1 "
            f"and dark text {_floor(dark_text)}:1."
        )
    elif on_white >= AA_TEXT:
        problem = (
            f"{colour} reaches {_floor(on_white)}:1 on white, but only {_floor(on_tints)}:1 on "
            "the pale panels the pages use (the signing form, the workspace's background): "
            "too little for links and the signature count there."
        )
    else:
        problem = (
            f"{colour} is too light for links, buttons and the signature count: on white "
            f"it reaches only {_floor(on_white)}:1."
        )
    return (
        f"{problem} WCAG AA asks for at least 4.5:1. Try {suggestion}, "
        f"the nearest darker shade that passes."
    )


def brand_stylesheet(colour: str) -> str:
    """The stylesheet /brand/<version>.css serves: the palette, and the logo's size."""
    palette = brand_palette(colour)
    return (
        f":root{{--brand:{palette.brand};--brand-dark:{palette.brand_dark};"
        f"--on-brand:{palette.on_brand}}}\n"
        # The logo sits on a white tile, so any logo reads on any brand colour.
        ".brand-logo{display:block;height:2.25rem;width:auto;max-width:14rem;object-fit:contain;"
        "background:#fff;padding:.2rem .4rem;margin:.3rem 0;border-radius:.3rem}\n"
    )


@lru_cache(maxsize=64)
def brand_version(colour: str) -> str:
    return blake2b(brand_stylesheet(colour).encode(), digest_size=6).hexdigest()


def organisation_current() -> Organisation | None:
    """The organisation, from the shared cache for up to a minute (every page shows it)."""
    organisation = cache.get(ORGANISATION_CACHE_KEY)
    if organisation is None:
        organisation = Organisation.objects.current()
        cache.set(ORGANISATION_CACHE_KEY, organisation, ORGANISATION_CACHE_SECONDS)
    return organisation


def organisation_cache_forget() -> None:
    """After a change: the next page in any process sharing the cache reads it afresh.

    With the default in-process cache (no REDIS_URL), other web processes keep their
    copy for up to ORGANISATION_CACHE_SECONDS.
    """
    cache.delete(ORGANISATION_CACHE_KEY)


def _forget_now_and_after_commit() -> None:
    # Now, so this request's own next page shows the change; after the commit too, so a
    # page rendered meanwhile from the old row does not stay cached for a minute.
    organisation_cache_forget()
    transaction.on_commit(organisation_cache_forget)


def logo_prepare(upload) -> ContentFile:
    """An uploaded logo re-encoded from its pixels (lib.images) and scaled into the box.

    Raises lib.images.ImageRefused for what is not a raster image we accept. SVG is
    refused there: a vector file can carry scripts and links, and cleaning it safely
    is a project of its own.
    """
    cleaned = image_clean(upload)
    with Image.open(io.BytesIO(cleaned.read())) as image:
        image.load()
        stored_format = image.format
        if image.width <= LOGO_MAX_SIZE[0] and image.height <= LOGO_MAX_SIZE[1]:
            cleaned.seek(0)
            return cleaned
        image.thumbnail(LOGO_MAX_SIZE, Image.Resampling.LANCZOS)
        content = io.BytesIO()
        image.save(content, stored_format, **SAVE_OPTIONS[stored_format])
    return ContentFile(content.getvalue(), name=cleaned.name)


class BrandRefused(ValidationError):
    """A brand change that cannot be saved; `message_dict` says which field and why."""


BRAND_FIELDS = (
    "name",
    "logo_alt",
    "primary_colour",
    "sender_name",
    "postal_address",
    "privacy_email",
    "website",
)


def organisation_brand_update(*, organisation: Organisation, data: dict, by) -> Organisation:
    """Save the brand's text and colour; the pages and emails that follow use them.

    `data` holds some of BRAND_FIELDS, already cleaned by the form (lib.text's rules).
    The colour rule and the model's own checks run here again, so no caller can store
    a colour whose text fails AA. Raises BrandRefused and changes nothing.
    """
    unknown = set(data) - set(BRAND_FIELDS)
    if unknown:
        raise ValueError(f"not brand fields: {sorted(unknown)}")
    if "primary_colour" in data:
        data = {**data, "primary_colour": hex_normalise(str(data["primary_colour"])) or ""}
        problem = brand_colour_problem(data["primary_colour"])
        if problem:
            raise BrandRefused({"primary_colour": [problem]})
    for name, value in data.items():
        setattr(organisation, name, value)
    try:
        organisation.full_clean(exclude=["logo"])
    except ValidationError as refused:
        organisation.refresh_from_db()
        raise BrandRefused(refused.message_dict) from None
    with transaction.atomic():
        organisation.save(update_fields=[*data])
        _forget_now_and_after_commit()
    logger.info("brand updated by user %s: %s", by.pk, ", ".join(sorted(data)))
    return organisation


def organisation_logo_set(*, organisation: Organisation, logo: ContentFile | None, by) -> None:
    """Store a prepared logo (logo_prepare), or with None remove it; the old file goes."""
    old_name = organisation.logo.name
    storage = organisation.logo.storage
    with transaction.atomic():
        if logo is None:
            organisation.logo = None
            organisation.logo_width = organisation.logo_height = None
        else:
            organisation.logo.save(logo.name, logo, save=False)
        organisation.save(update_fields=["logo", "logo_width", "logo_height"])
        _forget_now_and_after_commit()
        if old_name:
            transaction.on_commit(lambda: storage.delete(old_name))
    logger.info("logo %s by user %s", "removed" if logo is None else "replaced", by.pk)
