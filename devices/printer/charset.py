"""Which characters a printer prints from its own font, and how wide each one is.

A character goes out as text only if the printer font has it (the profile's ``font_charset``) and
the text encoding can express it; everything else (rare name characters of CJK Extension A/B and
beyond, emoji) is drawn as an image. In Chinese mode a printer prints one-byte ASCII half-width and
every double-byte character full-width, so the width follows from the encoded form.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from devices.printer.profiles import FontCharset, TextEncoding


@lru_cache(maxsize=4096)
def printer_has_glyph(char: str, font_charset: FontCharset, encoding: TextEncoding) -> bool:
    """True if ``char`` can be printed as text by a printer with this font and encoding."""
    if len(char) != 1 or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return False
    if char.isascii():
        return char.isprintable()
    try:
        if encoding != "utf-8":
            char.encode(encoding)
        font_bytes = char.encode(font_charset)
    except UnicodeEncodeError:
        return False
    if font_charset == "gb18030":
        # Four-byte GB18030 covers all of Unicode; printer fonts stop at the BMP (GB18030-2000 set).
        return ord(char) < 0x10000
    # One-byte non-ASCII codes (GBK's 0x80 euro sign) are not printable in Chinese mode.
    return len(font_bytes) == 2


def display_columns(char: str) -> int:
    """Half-width columns ``char`` occupies on the printer (ASCII 1, everything else 2)."""
    return 1 if char.isascii() else 2


def text_columns(text: str) -> int:
    return sum(display_columns(c) for c in text)
