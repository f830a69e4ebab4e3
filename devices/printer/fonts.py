"""Finding the CJK font used to draw characters the printer font lacks (and for previews).

The kiosk image installs Noto Sans CJK (Debian ``fonts-noto-cjk``, SIL Open Font License 1.1);
no font is bundled with the code. Lookup order: an explicit path, the Noto Sans CJK collection at
its Debian paths, then whatever fontconfig (``fc-match``) offers for Chinese.

Known limit: Noto Sans CJK SC covers the General Standard Chinese Characters (names included) and
much of Extension A–E, not all of Extension B and beyond. Where HanaMin (Debian ``fonts-hanazono``)
is installed it is used as a fallback for such characters; a character no font has is drawn as
the font's empty box and counted, so the driver can tell a technician.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from PIL import ImageFont

_FALLBACK_CANDIDATES: Final = (
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
)
# A code point no CJK font draws (plane 16 private use): what "no glyph" looks like in a face.
_SURELY_MISSING: Final = "\U0010fffd"
_CANDIDATES: Final = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)


class FontNotFoundError(LookupError):
    """No CJK font is installed: rare characters and previews cannot be drawn."""


@dataclass(frozen=True, slots=True)
class FontSource:
    """A font file and the face index inside a collection (.ttc)."""

    path: str
    index: int = 0
    fallbacks: tuple[FontSource, ...] = ()

    def load(self, size: int) -> ImageFont.FreeTypeFont:
        return _load(self.path, self.index, size)

    def has_glyph(self, char: str) -> bool:
        """Whether this face itself (not its fallbacks) draws ``char``."""
        return char.isspace() or _has_glyph(self.path, self.index, char)

    def face_for(self, char: str, size: int) -> ImageFont.FreeTypeFont | None:
        """The first of this font and its fallbacks that draws ``char``; None when none does."""
        for source in (self, *self.fallbacks):
            if source.has_glyph(char):
                return source.load(size)
        return None


@lru_cache(maxsize=32)
def _load(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size, index=index)


@lru_cache(maxsize=4096)
def _has_glyph(path: str, index: int, char: str) -> bool:
    face = _load(path, index, 24)
    return _mask_signature(face, char) != _mask_signature(face, _SURELY_MISSING)


def _mask_signature(face: ImageFont.FreeTypeFont, char: str) -> tuple[tuple[int, int], bytes]:
    mask = face.getmask(char)
    return mask.size, bytes(mask)


@lru_cache(maxsize=8)
def find_cjk_font(explicit: str | None = None) -> FontSource:
    """The font to draw Chinese with, and its fallbacks; FontNotFoundError names what to install."""
    primary = _find_primary(explicit)
    fallbacks = tuple(FontSource(path) for path in _FALLBACK_CANDIDATES if Path(path).is_file())
    return FontSource(primary.path, primary.index, fallbacks)


@lru_cache(maxsize=8)
def _find_primary(explicit: str | None) -> FontSource:
    if explicit:
        if not Path(explicit).is_file():
            raise FontNotFoundError("the configured receipt font file does not exist")
        return FontSource(explicit, _simplified_chinese_face(explicit))
    for candidate in _CANDIDATES:
        if Path(candidate).is_file():
            return FontSource(candidate, _simplified_chinese_face(candidate))
    found = _fc_match()
    if found is not None:
        return found
    raise FontNotFoundError("no CJK font found: install the fonts-noto-cjk package")


def _simplified_chinese_face(path: str) -> int:
    """The index of the Simplified Chinese face in a collection (0 for single fonts).

    The monospaced face is preferred: its Latin letters are exactly half as wide as its
    ideographs, like a printer's 12×24 and 24×24 fonts, so drawn lines keep the printer's grid.
    """
    if not path.lower().endswith(".ttc"):
        return 0
    found: int | None = None
    for index in range(16):
        try:
            family, _style = ImageFont.truetype(path, size=12, index=index).getname()
        except OSError:
            break
        if family and family.endswith(" SC"):
            if "Mono" in family:
                return index
            found = index if found is None else found
    return found or 0


def _fc_match() -> FontSource | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        out = subprocess.run(
            [fc_match, "-f", "%{file}\n%{index}", "sans-serif:lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    if len(out) < 2 or not Path(out[0]).is_file():
        return None
    try:
        return FontSource(out[0], int(out[1] or 0))
    except ValueError:
        return None
