"""Images to ESC/POS raster commands, and text lines drawn as images.

Large images are sent as several ``GS v 0`` bands because printers with small receive buffers
garble one big image (a known complaint with USB printers).
"""

from __future__ import annotations

from typing import Final

from PIL import Image, ImageDraw

from devices.printer import commands
from devices.printer.charset import display_columns
from devices.printer.commands import Align
from devices.printer.fonts import FontSource
from devices.printer.profiles import HALF_WIDTH_DOTS, LINE_HEIGHT_DOTS

BAND_ROWS: Final = 128
_BLACK_BELOW: Final = 128


def image_to_raster(image: Image.Image, *, band_rows: int = BAND_ROWS) -> bytes:
    """``GS v 0`` bands for ``image`` (dark pixels print); width padded to whole bytes."""
    gray = image.convert("L")
    width, height = gray.size
    width_bytes = (width + 7) // 8
    # Mode "1" packs 8 pixels per byte MSB first with 1 = white; the printer wants 1 = black.
    padded = Image.new("L", (width_bytes * 8, height), 255)
    padded.paste(gray, (0, 0))
    bits = padded.point(lambda v: 255 if v >= _BLACK_BELOW else 0, mode="1").tobytes()
    inverted = bytes(b ^ 0xFF for b in bits)
    out = bytearray()
    for top in range(0, height, band_rows):
        rows = min(band_rows, height - top)
        out += commands.raster_image(
            width_bytes, rows, inverted[top * width_bytes : (top + rows) * width_bytes]
        )
    return bytes(out)


def draw_text_line(
    text: str,
    *,
    width_dots: int,
    font: FontSource,
    width_scale: int = 1,
    height_scale: int = 1,
    align: Align = "left",
) -> Image.Image:
    """``text`` drawn the way the printer would lay it out: half-width cells of 12×24 dots for
    ASCII, full-width 24×24 for everything else, times the scales; aligned within ``width_dots``."""
    cell_w = HALF_WIDTH_DOTS * width_scale
    height = LINE_HEIGHT_DOTS * height_scale
    columns = sum(display_columns(c) for c in text)
    used = min(columns * cell_w, width_dots)
    x = {"left": 0, "center": (width_dots - used) // 2, "right": width_dots - used}[align]
    image = Image.new("L", (width_dots, height), 255)
    for char in text:
        cell = display_columns(char) * cell_w
        if x + cell > width_dots:
            break
        # Drawn at the base size and stretched, which is what GS ! does to the printer's own font.
        image.paste(draw_glyph(char, font).resize((cell, height)), (x, 0))
        x += cell
    return image


def draw_glyph(char: str, font: FontSource) -> Image.Image:
    """``char`` in its printer cell (12×24 half-width, 24×24 full-width), squeezed if wider."""
    cell_w = display_columns(char) * HALF_WIDTH_DOTS
    # A character no font has is drawn with the main font's empty box (see fonts.py).
    face = font.face_for(char, LINE_HEIGHT_DOTS - 2) or font.load(LINE_HEIGHT_DOTS - 2)
    natural = max(cell_w, int(face.getlength(char) + 0.99))
    glyph = Image.new("L", (natural, LINE_HEIGHT_DOTS), 255)
    ImageDraw.Draw(glyph).text((natural / 2, LINE_HEIGHT_DOTS / 2), char, fill=0, font=face, anchor="mm")
    return glyph if natural == cell_w else glyph.resize((cell_w, LINE_HEIGHT_DOTS))
