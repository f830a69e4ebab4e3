"""Printer profiles: paper width, what the printer can do, and how it wants its text.

What a printer can do is data here (``supports_native_qr``, ``font_charset``) rather than code in
the renderer, which reads the profile and falls back cleanly (raster QR, glyphs as images).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Final, Literal

FontCharset = Literal["gb2312", "gbk", "gb18030"]
TextEncoding = Literal["gb18030", "gbk", "utf-8"]
CutMode = Literal["full", "partial", "none"]

# Font A on practically every ESC/POS printer: 12×24 dots half-width, 24×24 full-width.
HALF_WIDTH_DOTS: Final = 12
LINE_HEIGHT_DOTS: Final = 24


@dataclass(frozen=True, slots=True)
class PrinterProfile:
    """``dots`` is the printable width; ``font_charset`` is what the printer's own font has glyphs
    for (characters outside it are printed as images); ``encoding`` is how text bytes are sent."""

    name: str
    paper_mm: int
    dots: int
    supports_native_qr: bool = True
    encoding: TextEncoding = "gb18030"
    font_charset: FontCharset = "gbk"
    qr_module_dots: int = 6
    cut: CutMode = "full"
    feed_before_cut: int = 6

    @property
    def columns(self) -> int:
        """Half-width characters per line."""
        return self.dots // HALF_WIDTH_DOTS

    def with_options(
        self,
        *,
        native_qr: bool | None = None,
        encoding: str | None = None,
        font_charset: str | None = None,
        cut: str | None = None,
    ) -> PrinterProfile:
        """A copy with the URI's overrides applied; ValueError names a bad option."""
        changes: dict[str, object] = {}
        if native_qr is not None:
            changes["supports_native_qr"] = native_qr
        if encoding is not None:
            changes["encoding"] = _choose("encoding", encoding, ("gb18030", "gbk", "utf-8"))
        if font_charset is not None:
            changes["font_charset"] = _choose("charset", font_charset, ("gb2312", "gbk", "gb18030"))
        if cut is not None:
            changes["cut"] = _choose("cut", cut, ("full", "partial", "none"))
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


PROFILES: Final[dict[str, PrinterProfile]] = {
    "58mm": PrinterProfile("58mm", paper_mm=58, dots=384, qr_module_dots=6),
    "80mm": PrinterProfile("80mm", paper_mm=80, dots=576, qr_module_dots=8),
}


def get_profile(name: str) -> PrinterProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown printer profile {name!r} (known: {', '.join(sorted(PROFILES))})") from None


def _choose(option: str, value: str, allowed: tuple[str, ...]) -> str:
    value = value.lower()
    if value not in allowed:
        raise ValueError(f"printer option {option!r} must be one of {', '.join(allowed)}")
    return value
