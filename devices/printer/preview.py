"""A picture of what an ESC/POS byte stream would print: text, raster images, QR codes, cuts.

Contract: :func:`render_preview` interprets the subset of ESC/POS our renderer and common
receipts use and returns a grayscale ``PIL.Image`` of the paper (``paper_dots`` wide plus a
margin). Commands it does not know are skipped; a stream that would draw an absurdly large picture
raises :class:`PreviewError`. It never executes anything and never raises other errors for bad
input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw

from devices.printer.charset import display_columns
from devices.printer.fonts import FontSource, find_cjk_font
from devices.printer.profiles import HALF_WIDTH_DOTS, LINE_HEIGHT_DOTS
from devices.printer.raster import draw_glyph

MARGIN: Final = 16
MAX_HEIGHT: Final = 30000
MAX_IMAGE_WIDTH_BYTES: Final = 512
_QR_LEVELS: Final = {48: "L", 49: "M", 50: "Q", 51: "H"}
_QR_EC: Final = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}
# ESC commands with one parameter byte that only change state the preview does not draw.
_ESC_ONE_PARAM: Final = frozenset(b"-3 %=?GMRTVrt{U")
_ESC_TWO_PARAMS: Final = frozenset(b"$\\c")
_GS_ONE_PARAM: Final = frozenset(b"BHfhwbI")
_GS_TWO_PARAMS: Final = frozenset(b"LWP")


class PreviewError(ValueError):
    """The stream cannot be pictured (it would draw something absurdly large)."""


@dataclass
class _State:
    align: int = 0
    width_scale: int = 1
    height_scale: int = 1
    chinese: bool = False
    qr_data: bytes = b""
    qr_module: int = 3
    qr_level: str = "M"
    text: bytearray = field(default_factory=bytearray)
    scales: list[tuple[int, int]] = field(default_factory=list)


class _Paper:
    def __init__(self, width: int) -> None:
        self.width = width
        self.rows: list[Image.Image] = []
        self.height = 0

    def add(self, image: Image.Image) -> None:
        self.height += image.height
        if self.height > MAX_HEIGHT:
            raise PreviewError("the stream prints more than a preview can show")
        self.rows.append(image)

    def blank(self, dots: int) -> None:
        if dots > 0:
            self.add(Image.new("L", (self.width, dots), 255))

    def place(self, image: Image.Image, align: int) -> None:
        row = Image.new("L", (self.width, image.height), 255)
        free = max(self.width - image.width, 0)
        row.paste(image, ({0: 0, 1: free // 2, 2: free}.get(align, 0), 0))
        self.add(row)

    def cut(self) -> None:
        row = Image.new("L", (self.width, 12), 255)
        draw = ImageDraw.Draw(row)
        for x in range(0, self.width, 12):
            draw.line([(x, 6), (x + 6, 6)], fill=96, width=2)
        self.add(row)


def render_preview(
    escpos_bytes: bytes, *, paper_dots: int = 576, encoding: str = "gb18030", font: FontSource | None = None
) -> Image.Image:
    """The printed receipt as an image (see the module docstring)."""
    return _Interpreter(bytes(escpos_bytes), paper_dots, encoding, font or find_cjk_font()).run()


class _Interpreter:
    def __init__(self, data: bytes, paper_dots: int, encoding: str, font: FontSource) -> None:
        self.data = data
        self.pos = 0
        self.paper = _Paper(paper_dots)
        self.encoding = encoding
        self.font = font
        self.state = _State()

    def run(self) -> Image.Image:
        while self.pos < len(self.data):
            byte = self.data[self.pos]
            self.pos += 1
            if byte == 0x0A:
                self._print_line()
            elif byte == 0x1B:
                self._esc()
            elif byte == 0x1D:
                self._gs()
            elif byte == 0x1C:
                self._fs()
            elif byte == 0x10:
                self.pos += 2  # DLE EOT n / DLE ENQ n: real-time requests print nothing
            elif byte >= 0x20 or byte == 0x09:
                self.state.text.append(byte)
        if self.state.text:
            self._print_line()
        return self._compose()

    # -- text ------------------------------------------------------------------------------------

    def _decode(self, raw: bytes) -> str:
        if self.state.chinese or self.encoding == "utf-8":
            return raw.decode(self.encoding, errors="replace")
        return raw.decode("cp437", errors="replace")

    def _print_line(self) -> None:
        s = self.state
        text = self._decode(bytes(s.text)).replace("\t", " ")
        s.text.clear()
        scale_w, scale_h = s.width_scale, s.height_scale
        height = LINE_HEIGHT_DOTS * scale_h
        if not text:
            self.paper.blank(height)
            return
        cell = HALF_WIDTH_DOTS * scale_w
        width = min(sum(display_columns(c) for c in text) * cell, self.paper.width)
        image = Image.new("L", (max(width, 1), height), 255)
        x = 0
        for char in text:
            w = display_columns(char) * cell
            if x + w > width:
                break
            # Drawn at the base size and stretched, which is what GS ! does on a printer.
            image.paste(draw_glyph(char, self.font).resize((w, height)), (x, 0))
            x += w
        self.paper.place(image, s.align)

    # -- commands --------------------------------------------------------------------------------

    def _take(self, count: int) -> bytes | None:
        if self.pos + count > len(self.data):
            self.pos = len(self.data)
            return None
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def _esc(self) -> None:
        head = self._take(1)
        if head is None:
            return
        s = self.state
        command = head[0]
        if command == 0x40:  # ESC @
            self.state = _State()
        elif command in (0x61, 0x45, 0x64, 0x4A, 0x21) or command in _ESC_ONE_PARAM:
            param = self._take(1)
            if param is None:
                return
            n = param[0]
            if command == 0x61:
                if s.text:
                    self._print_line()
                s.align = n % 48 if n >= 48 else n
            elif command == 0x64:  # ESC d n: print and feed n lines
                self._print_line() if s.text else None
                self.paper.blank(n * LINE_HEIGHT_DOTS)
            elif command == 0x4A:  # ESC J n: print and feed n dots
                self._print_line() if s.text else None
                self.paper.blank(n)
            elif command == 0x21:  # ESC ! n: print mode
                s.width_scale = 2 if n & 0x20 else 1
                s.height_scale = 2 if n & 0x10 else 1
        elif command in _ESC_TWO_PARAMS:
            self._take(2)
        # Other ESC commands have no parameter the preview needs (ESC 2 and the like).

    def _gs(self) -> None:
        head = self._take(1)
        if head is None:
            return
        command = head[0]
        s = self.state
        if command == 0x21:  # GS ! n
            param = self._take(1)
            if param is not None:
                s.width_scale = min((param[0] >> 4) + 1, 8)
                s.height_scale = min((param[0] & 0x0F) + 1, 8)
        elif command == 0x56:  # GS V m [n]
            param = self._take(1)
            if param is not None and param[0] in (65, 66, 97, 98, 103, 104):
                self._take(1)
            if s.text:
                self._print_line()
            self.paper.cut()
        elif command == 0x76:  # GS v 0 m xL xH yL yH data
            self._raster()
        elif command == 0x28:  # GS ( fn pL pH ...
            self._gs_paren()
        elif command in _GS_ONE_PARAM:
            self._take(1)
        elif command in _GS_TWO_PARAMS:
            self._take(2)

    def _fs(self) -> None:
        head = self._take(1)
        if head is None:
            return
        if head[0] == 0x26:
            self.state.chinese = True
        elif head[0] == 0x2E:
            self.state.chinese = False
        elif head[0] in (0x21, 0x2D, 0x57):
            self._take(1)

    def _raster(self) -> None:
        header = self._take(6)
        if header is None:
            return
        width_bytes = int.from_bytes(header[2:4], "little")
        height = int.from_bytes(header[4:6], "little")
        if width_bytes > MAX_IMAGE_WIDTH_BYTES or height > MAX_HEIGHT:
            raise PreviewError("a raster image in the stream is implausibly large")
        body = self._take(width_bytes * height)
        if body is None or width_bytes == 0 or height == 0:
            return
        if self.state.text:
            self._print_line()
        bits = Image.frombytes("1", (width_bytes * 8, height), bytes(b ^ 0xFF for b in body))
        self.paper.place(bits.convert("L"), self.state.align)

    def _gs_paren(self) -> None:
        header = self._take(3)
        if header is None:
            return
        function, length = header[0], int.from_bytes(header[1:3], "little")
        body = self._take(length)
        if body is None or function != 0x6B or len(body) < 2 or body[0] != 0x31:
            return
        s = self.state
        fn = body[1]
        if fn == 0x43 and len(body) >= 3:
            s.qr_module = max(1, min(body[2], 16))
        elif fn == 0x45 and len(body) >= 3:
            s.qr_level = _QR_LEVELS.get(body[2], "M")
        elif fn == 0x50:
            s.qr_data = body[3:]
        elif fn == 0x51 and s.qr_data:
            self._draw_qr()

    def _draw_qr(self) -> None:
        s = self.state
        qr = qrcode.QRCode(error_correction=_QR_EC[s.qr_level], border=4, box_size=s.qr_module)
        try:
            qr.add_data(s.qr_data)
            qr.make(fit=True)
        except (ValueError, qrcode.exceptions.DataOverflowError):
            return
        image = qr.make_image().get_image().convert("L")
        if image.width > self.paper.width:
            return  # the printer prints nothing for a symbol wider than the paper
        if s.text:
            self._print_line()
        self.paper.place(image, s.align)

    def _compose(self) -> Image.Image:
        paper = self.paper
        total = max(paper.height, 1) + 2 * MARGIN
        image = Image.new("L", (paper.width + 2 * MARGIN, total), 255)
        y = MARGIN
        for row in paper.rows:
            image.paste(row, (MARGIN, y))
            y += row.height
        ImageDraw.Draw(image).rectangle([(0, 0), (image.width - 1, image.height - 1)], outline=200)
        return image
