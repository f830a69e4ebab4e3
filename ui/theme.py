"""Theme tokens for the standard and the elder mode, derived from the panel's physical size.

Sizes are millimetres turned into pixels for the panel in use, so every panel gets the same physical
sizes (accessibility criteria A1–A7 are stated for a 21.5" 1920×1080 panel: 0.248 mm per pixel). The
QML reads the tokens; nothing in QML hard-codes a size or a colour.
"""

from __future__ import annotations

from typing import NamedTuple

REFERENCE_MM_PER_PX = 0.248  # 21.5" 1920×1080


class Palette(NamedTuple):
    background: str
    surface: str
    text: str
    muted: str
    primary: str
    on_primary: str
    border: str
    error: str
    success: str
    warning: str
    offline_bg: str
    on_offline: str
    focus: str


STANDARD = Palette(
    background="#EEF2F7",
    surface="#FFFFFF",
    text="#1B1F24",
    muted="#4A5562",
    primary="#0B4FA8",
    on_primary="#FFFFFF",
    border="#6B7785",
    error="#A8201A",
    success="#1E6B34",
    warning="#8A4B00",
    offline_bg="#8A4B00",
    on_offline="#FFFFFF",
    focus="#0B4FA8",
)

ELDER = Palette(
    background="#FFFFFF",
    surface="#FFFFFF",
    text="#000000",
    muted="#2B2B2B",
    primary="#003580",
    on_primary="#FFFFFF",
    border="#333333",
    error="#8C0F0A",
    success="#0F4D22",
    warning="#6B3A00",
    offline_bg="#6B3A00",
    on_offline="#FFFFFF",
    focus="#003580",
)

# Millimetre sizes per mode (see the accessibility criteria: body ≥ 28 px standard, ≥ 34 px elder;
# targets ≥ 72 px standard, ≥ 100 px elder, gaps ≥ 12 px).
_SIZES_MM = {
    False: {
        "body": 7.4,
        "small": 6.0,
        "title": 11.4,
        "huge": 24.0,
        "target": 19.8,
        "gap": 4.0,
        "margin": 9.9,
        "radius": 2.5,
        "bar": 24.8,
        "keypad": 27.0,
    },
    True: {
        "body": 9.4,
        "small": 8.4,
        "title": 13.9,
        "huge": 29.8,
        "target": 27.8,
        "gap": 5.0,
        "margin": 9.9,
        "radius": 3.0,
        "bar": 29.8,
        "keypad": 34.7,
    },
}


def tokens(elder: bool, mm_per_px: float = REFERENCE_MM_PER_PX) -> dict[str, object]:
    """The token table for one mode as a flat dict (sizes in px, colours as #RRGGBB)."""
    palette = ELDER if elder else STANDARD
    sizes = {name: round(mm / mm_per_px) for name, mm in _SIZES_MM[elder].items()}
    table: dict[str, object] = {
        "elder": elder,
        "bodySize": sizes["body"],
        "smallSize": sizes["small"],
        "titleSize": sizes["title"],
        "hugeSize": sizes["huge"],
        "lineHeight": 1.4,
        "target": sizes["target"],
        "gap": sizes["gap"],
        "margin": sizes["margin"],
        "radius": sizes["radius"],
        "barHeight": sizes["bar"],
        "keypadKey": sizes["keypad"],
        "borderWidth": 3 if elder else 2,
        "fontFamily": "Noto Sans CJK SC",
    }
    for name, value in palette._asdict().items():
        parts = name.split("_")
        table[parts[0] + "".join(p.title() for p in parts[1:])] = value
    return table


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #RRGGBB colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    hi, lo = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
