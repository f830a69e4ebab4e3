"""Reading ``kiosk.toml`` before it is validated: the table itself, and the few settings the first frame
needs.

Validation (``kiosk.config``) imports pydantic, which takes longer than drawing the whole first frame;
the kiosk reads the file here, shows its attract screen in the configured language and mode, and
validates right after. A file that cannot be read or is not TOML fails here already; a value of the
wrong kind is left at its default for the first frame and reported by the validation that follows.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal, NamedTuple

INSTALLED_CONFIG_FILE = Path("/etc/civic-kiosk/kiosk.toml")
CONFIG_ENV = "KIOSK_CONFIG"


class ConfigError(Exception):
    """A configuration problem, stated in one line that names the file and the key."""


def default_config_path() -> Path | None:
    """``$KIOSK_CONFIG``, else the installed file if it exists, else none (compiled-in defaults)."""
    if env := os.environ.get(CONFIG_ENV):
        return Path(env)
    return INSTALLED_CONFIG_FILE if INSTALLED_CONFIG_FILE.exists() else None


def read_config_file(path: Path) -> dict[str, Any]:
    """The TOML table of ``path``; ``ConfigError`` when it is missing, unreadable or not TOML."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


class FirstFrameSettings(NamedTuple):
    """What the attract screen is first drawn with (the defaults are those of ``kiosk.config``)."""

    language: Literal["zh_CN", "en"] = "zh_CN"
    elder_mode: bool = False
    virtual_keyboard: bool = False


def first_frame_settings(data: dict[str, Any]) -> FirstFrameSettings:
    """The first frame's settings from an unvalidated table: values of the wrong kind give defaults."""
    kiosk = _table(data, "kiosk")
    ui = _table(data, "ui")
    defaults = FirstFrameSettings()
    language = kiosk.get("language")
    elder = kiosk.get("elder_mode")
    keyboard = ui.get("virtual_keyboard")
    return FirstFrameSettings(
        language="en" if language == "en" else defaults.language,
        elder_mode=elder if isinstance(elder, bool) else defaults.elder_mode,
        virtual_keyboard=keyboard if isinstance(keyboard, bool) else defaults.virtual_keyboard,
    )


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    table = data.get(name)
    return table if isinstance(table, dict) else {}
