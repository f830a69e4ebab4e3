"""From a :class:`ReceiptDocument` to ESC/POS bytes for one printer profile.

Contract: :func:`render_receipt` is pure (same document and profile → same bytes) and raises only
``FontNotFoundError`` (a line needs drawing and no CJK font is installed) or ``ValueError`` for a
QR payload too long for the paper.

The output starts with ``ESC @`` (reset) and ``FS &`` (Chinese mode), then sends text as raw bytes
in the profile's encoding: never through code pages, which turn full-width punctuation, ``￥`` and
accented Latin into ``?``. A line containing a character the printer font lacks is drawn as an
image, laid out on the same grid as printed text, so rows still line up. The QR code is the
printer's own ``GS ( k`` symbol when the profile supports it, a raster image otherwise. The
receipt ends with a feed and a cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import qrcode
import qrcode.constants
from PIL import Image

from devices.printer import commands
from devices.printer.charset import display_columns, printer_has_glyph, text_columns
from devices.printer.commands import Align
from devices.printer.document import ReceiptDocument
from devices.printer.fonts import FontSource, find_cjk_font
from devices.printer.profiles import PrinterProfile
from devices.printer.raster import draw_text_line, image_to_raster

QR_QUIET_MODULES: Final = 4
MIN_QR_MODULE_DOTS: Final = 3
_NO_BREAK_BEFORE: Final = frozenset("，。、；：！？）》」』】…～")


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    align: Align = "left"
    width_scale: int = 1
    height_scale: int = 1

    @property
    def scaled(self) -> bool:
        return self.width_scale > 1 or self.height_scale > 1


class ReceiptRenderer:
    """Renders documents for one profile; the CJK font is looked up only when a line needs it."""

    def __init__(self, profile: PrinterProfile, *, font: FontSource | None = None) -> None:
        self.profile = profile
        self._font = font
        self.missing_glyphs = 0
        """Characters of the last rendered document that no installed font could draw."""

    def render(self, doc: ReceiptDocument) -> bytes:
        p = self.profile
        self.missing_glyphs = 0
        out = bytearray(commands.INITIALIZE)
        if p.encoding != "utf-8":
            out += commands.CHINESE_MODE_ON
        # Double width and height when the title fits on one line; double height only otherwise
        # (a wrapped double-width title strands its last character on a line of its own).
        title_width = 2 if text_columns(doc.title) * 2 <= p.columns else 1
        out += commands.bold(True)
        for text in _wrap(doc.title, p.columns // title_width):
            out += self._line(_Line(text, "center", title_width, 2))
        out += commands.bold(False)
        out += commands.LF
        for text in doc.lines:
            out += self._lines(_wrap(text, p.columns), "left")
        if doc.rows:
            if doc.lines:
                out += self._separator()
            for label, value in doc.rows:
                out += self._row(label, value)
        if doc.qr is not None:
            out += commands.LF + self._qr(doc.qr) + commands.LF
        if doc.footer:
            out += self._separator()
            for text in doc.footer:
                out += self._lines(_wrap(text, p.columns), "center")
        out += self._cut()
        return bytes(out)

    # -- pieces ----------------------------------------------------------------------------------

    def _lines(self, texts: list[str], align: Align) -> bytes:
        return b"".join(self._line(_Line(t, align)) for t in texts)

    def _line(self, line: _Line) -> bytes:
        p = self.profile
        if all(printer_has_glyph(c, p.font_charset, p.encoding) for c in line.text):
            size = commands.character_size(line.width_scale, line.height_scale)
            reset = commands.character_size(1, 1)
            return (
                commands.align(line.align)
                + (size if line.scaled else b"")
                + line.text.encode(p.encoding)
                + commands.LF
                + (reset if line.scaled else b"")
                + (commands.align("left") if line.align != "left" else b"")
            )
        font = self._cjk_font()
        self.missing_glyphs += sum(
            1
            for c in line.text
            if not printer_has_glyph(c, p.font_charset, p.encoding) and font.face_for(c, 22) is None
        )
        image = draw_text_line(
            line.text,
            width_dots=p.dots,
            font=font,
            width_scale=line.width_scale,
            height_scale=line.height_scale,
            align=line.align,
        )
        return commands.align("left") + image_to_raster(image)

    def _row(self, label: str, value: str) -> bytes:
        columns = self.profile.columns
        gap = columns - text_columns(label) - text_columns(value)
        if gap >= 1:
            return self._line(_Line(label + " " * gap + value if value else label))
        out = self._lines(_wrap(label, columns), "left")
        return out + self._lines(_wrap(value, columns, indent="  "), "left")

    def _separator(self) -> bytes:
        return self._line(_Line("-" * self.profile.columns))

    def _qr(self, payload: str) -> bytes:
        p = self.profile
        data = payload.encode("utf-8")
        matrix = _qr_matrix(data)
        modules = len(matrix) + 2 * QR_QUIET_MODULES
        module_dots = min(p.qr_module_dots, p.dots // modules)
        # Below 3 dots (0.375 mm) a module is too small for phone cameras and handheld scanners.
        if module_dots < MIN_QR_MODULE_DOTS:
            raise ValueError("the QR payload is too long for this paper width")
        if p.supports_native_qr:
            return (
                commands.align("center")
                + commands.native_qr(data, module_dots=module_dots)
                + commands.align("left")
            )
        image = _qr_image(matrix, module_dots, p.dots)
        return commands.align("left") + image_to_raster(image)

    def _cut(self) -> bytes:
        p = self.profile
        out = commands.feed_lines(p.feed_before_cut)
        if p.cut != "none":
            out += commands.cut(p.cut)
        return out

    def _cjk_font(self) -> FontSource:
        if self._font is None:
            self._font = find_cjk_font()
        return self._font


def render_receipt(doc: ReceiptDocument, profile: PrinterProfile, *, font: FontSource | None = None) -> bytes:
    """ESC/POS bytes for ``doc`` on a printer with ``profile`` (see the module docstring)."""
    return ReceiptRenderer(profile, font=font).render(doc)


def _wrap(text: str, columns: int, *, indent: str = "") -> list[str]:
    """Split ``text`` into lines of at most ``columns`` half-width columns (``indent`` included).

    Latin words are kept whole where they fit; closing punctuation never starts a line (the
    character before it moves down with it, as Chinese typesetting does).
    """
    columns = max(columns - text_columns(indent), 2)
    lines: list[str] = []
    current = ""
    width = 0
    for char in text:
        cw = display_columns(char)
        if width + cw > columns and current:
            if char in _NO_BREAK_BEFORE and len(current) > 1:
                # Closing punctuation never starts a line: the character before it moves down too.
                head, tail = current[:-1], current[-1]
            elif _is_latin_word_char(char):
                head, tail = _split_latin_word(current)
            else:
                head, tail = current, ""
            lines.append(head.rstrip())
            current = tail.lstrip()
            width = text_columns(current)
            if char == " " and not current:
                continue
        current += char
        width += cw
    if current or not lines:
        lines.append(current)
    return [lines[0], *[indent + line for line in lines[1:]]]


def _split_latin_word(line: str) -> tuple[str, str]:
    """Move a trailing partial ASCII word to the next line when the line has an earlier break."""
    if not line or not _is_latin_word_char(line[-1]):
        return line, ""
    cut = len(line)
    while cut > 0 and _is_latin_word_char(line[cut - 1]):
        cut -= 1
    if cut == 0:
        return line, ""
    return line[:cut], line[cut:]


def _is_latin_word_char(char: str) -> bool:
    return char.isascii() and not char.isspace()


def _qr_matrix(data: bytes) -> list[list[bool]]:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(data)
    qr.make(fit=True)
    return [list(map(bool, row)) for row in qr.get_matrix()]


def _qr_image(matrix: list[list[bool]], module_dots: int, width_dots: int) -> Image.Image:
    size = (len(matrix) + 2 * QR_QUIET_MODULES) * module_dots
    image = Image.new("L", (width_dots, size), 255)
    left = (width_dots - size) // 2 + QR_QUIET_MODULES * module_dots
    top = QR_QUIET_MODULES * module_dots
    pixels = image.load()
    assert pixels is not None
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(module_dots):
                    for dx in range(module_dots):
                        pixels[left + x * module_dots + dx, top + y * module_dots + dy] = 0
    return image
