"""Uploaded images, cleaned before they are stored and served to the public.

A photo straight from a phone carries its GPS position, the camera's make and serial
number, the time it was taken, and editing software's XMP notes. Every image is
decoded and encoded afresh from its pixels alone, so none of that survives; its type
comes from its content, never from its name or the browser's word.
"""

import io
import secrets

from django.core.files.base import ContentFile
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000

# Only these decoders ever see an upload: Pillow's others (EPS hands files to
# Ghostscript, PSD, TIFF...) are attack surface a petition image does not need.
# GIF keeps its first frame and is stored as PNG.
STORED_AS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
SAVE_OPTIONS = {
    "JPEG": {"quality": 85, "optimize": True, "progressive": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 85, "method": 4},
}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class ImageRefused(ValueError):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


MESSAGES = {
    "too_large": "The image is larger than 8 MB. Please upload a smaller one.",
    "too_many_pixels": (
        "The image has more than 40 million pixels. Please scale it down and upload it again."
    ),
    "not_an_image": (
        "This file is not a JPEG, PNG, WebP or GIF image. Please upload a photo in one of "
        "those formats (SVG and other vector images are not accepted)."
    ),
    "broken": "This image is damaged or incomplete. Please export it again and upload it.",
}


def _refuse(code: str):
    raise ImageRefused(MESSAGES[code], code)


def image_clean(upload, *, fit: int | None = None) -> ContentFile:
    """The upload re-encoded from its pixels alone, under a new random name, or ImageRefused.

    With `fit`, an image wider or taller than `fit` pixels is scaled down (never up) to fit
    a square of that side, keeping its proportions.
    """
    if upload.size is not None and upload.size > MAX_BYTES:
        _refuse("too_large")
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        _refuse("too_large")
    image = _opened(data)
    with image:
        stored_format = STORED_AS[image.format]
        pixels = _pixels_without_metadata(image)
    if fit is not None:
        pixels.thumbnail((fit, fit), Image.Resampling.LANCZOS)
    content = io.BytesIO()
    pixels.save(content, stored_format, **SAVE_OPTIONS[stored_format])
    name = f"{secrets.token_urlsafe(12)}.{EXTENSIONS[stored_format]}"
    return ContentFile(content.getvalue(), name=name)


def _opened(data: bytes) -> Image.Image:
    """The decoded image, checked whole, with its size bounded before any pixel is decoded.

    Pillow refuses more than twice its own limit as it opens the file; below that, the
    header's size is checked here against the stricter MAX_PIXELS before anything decodes.
    """
    # Pillow's switch for accepting cut-off files is process-wide, and a library may turn
    # it on (WeasyPrint does when the delivery pack imports it): an upload is checked
    # whole regardless.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        probe = Image.open(io.BytesIO(data), formats=list(STORED_AS))
        too_many_pixels = probe.width * probe.height > MAX_PIXELS
        if not too_many_pixels:
            probe.verify()
            image = Image.open(io.BytesIO(data), formats=list(STORED_AS))
            image.load()
    except Image.DecompressionBombError:
        too_many_pixels = True
    except UnidentifiedImageError:
        _refuse("not_an_image")
    except (OSError, SyntaxError, ValueError, EOFError):
        _refuse("broken")
    if too_many_pixels:
        _refuse("too_many_pixels")
    return image


def _pixels_without_metadata(image: Image.Image) -> Image.Image:
    """Upright, in sRGB, in a fresh image that carries nothing but pixels."""
    upright = ImageOps.exif_transpose(image)
    icc_profile = image.info.get("icc_profile")
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    mode = "RGBA" if has_alpha and image.format != "JPEG" else "RGB"
    converted = upright.convert(mode)
    if icc_profile:
        try:
            embedded = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(converted, embedded, _SRGB, outputMode=mode)
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: the pixels are shown as they are, like a browser would
    # Image.new + paste copies pixels only: no info, no EXIF, no XMP, no ICC profile.
    clean = Image.new(mode, converted.size)
    clean.paste(converted)
    return clean
