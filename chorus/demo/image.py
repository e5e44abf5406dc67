"""The demo petition's image, drawn here so that Chorus ships no photo of anyone.

An abstract picture of the campaign: a wall of photo frames, each holding a face
silhouette, with a scanner's line sweeping across them; the frames it has passed carry
a face-detection box. Brand green on neutrals, 1200x630 (the size link previews use).
"""

import io
import random

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 1200, 630
SCALE = 2  # drawn at twice the size, then reduced: smooth edges without anti-aliasing

BACKGROUND = (236, 241, 234)
FRAME = (255, 255, 255)
FRAME_EDGE = (205, 212, 202)
SILHOUETTES = [(150, 162, 152), (122, 136, 126), (176, 186, 176), (98, 112, 102)]
BRAND = (11, 93, 30)
SCAN = (46, 160, 67)
SCANNED_TINT = (214, 233, 214)

COLUMNS, ROWS = 8, 4
GAP = 22
ALT_TEXT = (
    "An illustration of a wall of photo frames, each with the outline of a person's face, "
    "and a green scanning line sweeping across them, marking faces as it passes."
)


def _box(x: float, y: float, w: float, h: float) -> list[int]:
    return [round(v * SCALE) for v in (x, y, x + w, y + h)]


def _face(draw: ImageDraw.ImageDraw, x: float, y: float, w: float, h: float, colour) -> None:
    """Head and shoulders, centred low in the frame."""
    head = w * 0.34
    cx = x + w / 2
    draw.ellipse(_box(cx - head / 2, y + h * 0.2, head, head * 1.12), fill=colour)
    shoulders = w * 0.72
    draw.ellipse(_box(cx - shoulders / 2, y + h * 0.64, shoulders, h * 0.62), fill=colour)


def _detection_box(draw: ImageDraw.ImageDraw, x: float, y: float, w: float, h: float) -> None:
    """Corner brackets around the head, as face-recognition tools draw them."""
    head = w * 0.34
    left, top = x + w / 2 - head * 0.85, y + h * 0.13
    size, arm, width = head * 1.7, head * 0.42, round(3 * SCALE)
    for cx, cy, dx, dy in ((0, 0, 1, 1), (1, 0, -1, 1), (0, 1, 1, -1), (1, 1, -1, -1)):
        px, py = left + cx * size, top + cy * size
        draw.line(_box(px, py, dx * arm, 0), fill=BRAND, width=width)
        draw.line(_box(px, py, 0, dy * arm), fill=BRAND, width=width)


def _frame_tile(w: float, h: float, *, scanned: bool, colour) -> tuple[Image.Image, Image.Image]:
    """One photo frame and its rounded mask; the silhouette is cut off at the frame's edge."""
    size = (round(w * SCALE), round(h * SCALE))
    tile = Image.new("RGB", size, SCANNED_TINT if scanned else FRAME)
    draw = ImageDraw.Draw(tile)
    _face(draw, 0, 0, w, h, colour)
    if scanned:
        _detection_box(draw, 0, 0, w, h)
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, size[0] - 1, size[1] - 1], 10 * SCALE, fill=255)
    outline = ImageDraw.Draw(tile)
    outline.rounded_rectangle(
        [0, 0, size[0] - 1, size[1] - 1], 10 * SCALE, outline=FRAME_EDGE, width=2 * SCALE
    )
    return tile, mask


def petition_image_draw(*, seed: int = 2020) -> Image.Image:
    chooser = random.Random(seed)
    canvas = Image.new("RGB", (WIDTH * SCALE, HEIGHT * SCALE), BACKGROUND)
    frame_w = (WIDTH - GAP * (COLUMNS + 1)) / COLUMNS
    frame_h = (HEIGHT - GAP * (ROWS + 1)) / ROWS
    scan_x = WIDTH * 0.58
    for row in range(ROWS):
        # Every other row slides half a frame, like photos pinned up by hand.
        offset = -frame_w / 2 if row % 2 else 0
        for column in range(COLUMNS + (1 if row % 2 else 0)):
            x = GAP + offset + column * (frame_w + GAP)
            y = GAP + row * (frame_h + GAP)
            tile, mask = _frame_tile(
                frame_w, frame_h, scanned=x + frame_w < scan_x, colour=chooser.choice(SILHOUETTES)
            )
            canvas.paste(tile, (round(x * SCALE), round(y * SCALE)), mask)
    canvas = _with_scan_line(canvas, scan_x)
    return canvas.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)


def _with_scan_line(canvas: Image.Image, scan_x: float) -> Image.Image:
    """A soft green glow trailing the line, then the line itself."""
    glow = Image.new("L", canvas.size, 0)
    glow_draw = ImageDraw.Draw(glow)
    trail = 120
    for step in range(trail):
        alpha = round(70 * (step / trail) ** 2)
        glow_draw.line(_box(scan_x - trail + step, 0, 0, HEIGHT), fill=alpha, width=SCALE)
    glow = glow.filter(ImageFilter.GaussianBlur(4 * SCALE))
    canvas = Image.composite(Image.new("RGB", canvas.size, SCAN), canvas, glow)
    draw = ImageDraw.Draw(canvas)
    draw.rectangle(_box(scan_x - 4, 0, 8, HEIGHT), fill=SCAN)
    draw.rectangle(_box(scan_x - 1, 0, 2, HEIGHT), fill=(235, 250, 236))
    return canvas


def petition_image_webp(*, seed: int = 2020) -> bytes:
    """About 30 KB: WebP keeps flat colour far smaller than JPEG at the same quality."""
    buffer = io.BytesIO()
    petition_image_draw(seed=seed).save(buffer, "WEBP", quality=85, method=6)
    return buffer.getvalue()
