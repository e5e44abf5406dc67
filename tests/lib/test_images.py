"""lib.images.image_clean: pixels in, pixels out, nothing else, whatever the source's mode."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, ImageFile

from lib.images import ImageRefused, image_clean


def _encoded(image, fmt, **options) -> bytes:
    content = io.BytesIO()
    image.save(content, fmt, **options)
    return content.getvalue()


def _clean(data: bytes) -> Image.Image:
    cleaned = image_clean(SimpleUploadedFile("upload", data))
    return Image.open(io.BytesIO(cleaned.read()))


_SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

SOURCES = {
    "CMYK JPEG": (lambda: _encoded(Image.new("CMYK", (10, 10)), "JPEG"), "JPEG", "RGB"),
    "grey JPEG": (lambda: _encoded(Image.new("L", (10, 10)), "JPEG"), "JPEG", "RGB"),
    "JPEG with an ICC profile": (
        lambda: _encoded(Image.new("RGB", (10, 10)), "JPEG", icc_profile=_SRGB_PROFILE),
        "JPEG",
        "RGB",
    ),
    "JPEG with a broken ICC profile": (
        lambda: _encoded(Image.new("RGB", (10, 10)), "JPEG", icc_profile=b"not a profile"),
        "JPEG",
        "RGB",
    ),
    "PNG with alpha": (
        lambda: _encoded(Image.new("RGBA", (10, 10), (1, 2, 3, 100)), "PNG"),
        "PNG",
        "RGBA",
    ),
    "grey PNG with alpha": (lambda: _encoded(Image.new("LA", (10, 10)), "PNG"), "PNG", "RGBA"),
    "16-bit PNG": (lambda: _encoded(Image.new("I;16", (10, 10)), "PNG"), "PNG", "RGB"),
    "1-bit PNG": (lambda: _encoded(Image.new("1", (10, 10)), "PNG"), "PNG", "RGB"),
    "palette PNG with transparency": (
        lambda: _encoded(Image.new("P", (10, 10)), "PNG", transparency=0),
        "PNG",
        "RGBA",
    ),
    "animated GIF": (
        lambda: _encoded(
            Image.new("P", (10, 10)),
            "GIF",
            save_all=True,
            append_images=[Image.new("P", (10, 10), 1)],
        ),
        "PNG",
        "RGB",
    ),
    "WebP with alpha": (
        lambda: _encoded(Image.new("RGBA", (10, 10), (1, 2, 3, 100)), "WEBP"),
        "WEBP",
        "RGBA",
    ),
}


@pytest.mark.parametrize(("make", "fmt", "mode"), SOURCES.values(), ids=SOURCES.keys())
def test_each_source_comes_out_as_plain_pixels_in_a_web_format(make, fmt, mode):
    image = _clean(make())

    assert (image.format, image.mode, image.size) == (fmt, mode, (10, 10))
    assert not dict(image.getexif())
    assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp", "comment"} & set(image.info)
    assert getattr(image, "n_frames", 1) == 1


def test_a_png_text_chunk_does_not_survive():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Grace Hopper, 12 Example Street")
    data = _encoded(Image.new("RGB", (10, 10)), "PNG", pnginfo=info)

    cleaned = image_clean(SimpleUploadedFile("upload.png", data)).read()

    assert b"Grace Hopper" not in cleaned


def test_every_cleaned_image_gets_a_new_random_name():
    data = _encoded(Image.new("RGB", (10, 10)), "JPEG")

    names = {image_clean(SimpleUploadedFile("me at home.jpg", data)).name for _ in range(5)}

    assert len(names) == 5
    assert all(name.endswith(".jpg") and "home" not in name for name in names)


def test_an_image_just_over_the_pixel_bound_is_refused_before_it_is_decoded():
    data = _encoded(Image.new("1", (8_000, 5_001)), "PNG")

    with pytest.raises(ImageRefused) as refused:
        image_clean(SimpleUploadedFile("wide.png", data))

    assert refused.value.code == "too_many_pixels"


def test_an_image_larger_than_the_fit_is_scaled_down_keeping_its_proportions():
    data = _encoded(Image.new("RGB", (3000, 1500), (200, 30, 30)), "JPEG")

    cleaned = image_clean(SimpleUploadedFile("upload", data), fit=1400)

    assert Image.open(io.BytesIO(cleaned.read())).size == (1400, 700)


def test_an_image_within_the_fit_keeps_its_size():
    data = _encoded(Image.new("RGB", (800, 600)), "PNG")

    cleaned = image_clean(SimpleUploadedFile("upload", data), fit=1400)

    assert Image.open(io.BytesIO(cleaned.read())).size == (800, 600)


def test_a_cut_off_file_is_refused_even_after_weasyprint_let_pillow_accept_them():
    import weasyprint  # noqa: F401  (its import turns Pillow's LOAD_TRUNCATED_IMAGES on)

    ImageFile.LOAD_TRUNCATED_IMAGES = True
    cut = _encoded(Image.new("RGB", (400, 300), (200, 10, 10)), "JPEG")[:-600]

    with pytest.raises(ImageRefused):
        image_clean(SimpleUploadedFile("cut.jpg", cut))
