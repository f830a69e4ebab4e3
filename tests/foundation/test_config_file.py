"""Reading kiosk.toml for the first frame, before it is validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import KioskConfig
from kiosk.config_file import ConfigError, FirstFrameSettings, first_frame_settings, read_config_file


def test_the_first_frame_uses_the_configured_language_mode_and_keyboard(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[kiosk]\nlanguage = "en"\nelder_mode = true\n[ui]\nvirtual_keyboard = true\n', encoding="utf-8"
    )
    assert first_frame_settings(read_config_file(path)) == FirstFrameSettings("en", True, True)


def test_defaults_are_those_of_the_validated_config() -> None:
    defaults, config = first_frame_settings({}), KioskConfig()
    assert defaults.language == config.kiosk.language
    assert defaults.elder_mode == config.kiosk.elder_mode
    assert defaults.virtual_keyboard == config.ui.virtual_keyboard


@pytest.mark.parametrize(
    "data",
    [
        {"kiosk": {"language": "fr", "elder_mode": "yes"}, "ui": {"virtual_keyboard": 1}},
        {"kiosk": "not a table", "ui": ["nor", "this"]},
        {"kiosk": {"language": None}},
    ],
)
def test_values_of_the_wrong_kind_give_defaults_for_the_first_frame(data: dict[str, object]) -> None:
    # The validation right after the first frame reports them; the frame itself must still be drawn.
    assert first_frame_settings(data) == FirstFrameSettings()


def test_a_missing_or_broken_file_fails_before_anything_is_shown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        read_config_file(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[kiosk\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_config_file(broken)
