"""Theme tokens meet the accessibility criteria (sizes A1/A2/A6/A7, contrast A4/A5)."""

from __future__ import annotations

import pytest

from ui.theme import ELDER, STANDARD, contrast_ratio, tokens

TEXT_PAIRS = [
    ("text", "background"),
    ("text", "surface"),
    ("muted", "background"),
    ("muted", "surface"),
    ("primary", "surface"),
    ("primary", "background"),
    ("on_primary", "primary"),
    ("error", "surface"),
    ("success", "surface"),
    ("warning", "surface"),
    ("on_offline", "offline_bg"),
]


@pytest.mark.parametrize(("palette", "minimum"), [(STANDARD, 4.5), (ELDER, 7.0)])
def test_text_contrast(palette, minimum) -> None:
    for fg, bg in TEXT_PAIRS:
        assert contrast_ratio(getattr(palette, fg), getattr(palette, bg)) >= minimum, (fg, bg)


@pytest.mark.parametrize("palette", [STANDARD, ELDER])
def test_borders_and_focus_contrast(palette) -> None:
    assert contrast_ratio(palette.border, palette.background) >= 3.0
    assert contrast_ratio(palette.focus, palette.surface) >= 3.0


def test_sizes_on_the_reference_panel() -> None:
    standard, elder = tokens(False), tokens(True)
    assert standard["bodySize"] >= 28 and elder["bodySize"] >= 34
    assert standard["target"] >= 72 and elder["target"] >= 100
    assert standard["gap"] >= 12 and elder["gap"] >= 12
    assert standard["lineHeight"] >= 1.3


def test_sizes_keep_their_millimetres_on_a_denser_panel() -> None:
    dense = tokens(True, mm_per_px=0.124)  # same diagonal, twice the pixels
    assert dense["target"] == pytest.approx(tokens(True)["target"] * 2, abs=1)


def test_software_renderer_without_a_gpu(tmp_path) -> None:
    from ui.app import choose_renderer

    assert choose_renderer("offscreen") == "software"
    assert choose_renderer("xcb", dri=tmp_path) == "software"  # no render node: no GPU


def test_missing_cjk_font_is_a_clear_error(qapp, monkeypatch) -> None:
    from PySide6.QtGui import QFontDatabase

    from ui.app import CjkFontMissing, check_cjk_font

    assert check_cjk_font()  # this machine has one (fonts-noto-cjk)
    monkeypatch.setattr(QFontDatabase, "families", staticmethod(lambda *args: []))
    with pytest.raises(CjkFontMissing, match="fonts-noto-cjk"):
        check_cjk_font()
