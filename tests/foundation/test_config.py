"""Configuration: defaults, the TOML layer, and one-line errors that name the file and the key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import ConfigError, KioskConfig, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file_are_a_runnable_kiosk() -> None:
    config = load_config(None)
    assert config.kiosk.language == "zh_CN"
    assert config.devices.idcard == "sim:"
    assert config.session.idle_warning_s == 60
    assert config.session.countdown_s == 30


def test_file_values_override_defaults_and_leave_the_rest(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [kiosk]
        id = "zmd-hall-07"
        language = "en"
        [devices]
        idcard = "sam:///dev/kiosk-idcard?baud=115200"
        [storage]
        state_dir = "%s"
        """
        % (tmp_path / "state"),
    )
    config = load_config(path)
    assert config.kiosk.id == "zmd-hall-07"
    assert config.kiosk.language == "en"
    assert config.devices.idcard == "sam:///dev/kiosk-idcard?baud=115200"
    assert config.devices.printer == "sim:"
    assert config.state_dir == tmp_path / "state"
    assert config.credential_path == tmp_path / "state" / "credential"
    assert config.device_key_path == tmp_path / "state" / "device.key"


def test_state_dir_is_created_owner_only(tmp_path: Path) -> None:
    config = KioskConfig.model_validate({"storage": {"state_dir": str(tmp_path / "s")}})
    path = config.ensure_state_dir()
    assert path.is_dir()
    assert (path.stat().st_mode & 0o777) == 0o700


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[kiosk]\nidd = 'x'\n", "unknown key [kiosk] idd"),
        ("[kioskk]\nid = 'x'\n", "unknown key 'kioskk'"),
        ("[session]\nidle_warning_s = 'soon'\n", "[session] idle_warning_s"),
        (
            "[session]\nidle_warning_s = 3\n",
            "[session] idle_warning_s: Input should be greater than or equal to 10",
        ),
        ("[kiosk]\nlanguage = 'fr'\n", "[kiosk] language"),
        ("[api]\nbase_url = 'ftp://x'\n", "[api] base_url"),
        ("[devices]\nprinter = 'lp0'\n", "[devices] printer: must be a device URI"),
        ("kiosk = 3\n", "[kiosk]: must be a table"),
        ("[kiosk\n", "not valid TOML"),
    ],
)
def test_bad_values_name_the_file_and_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    assert expected in message
    assert "\n" not in message


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file not found: .*nope\.toml"):
        load_config(tmp_path / "nope.toml")


def test_remote_overrides_are_validated_like_the_file() -> None:
    config = load_config(None)
    newer = config.with_overrides({"session": {"idle_warning_s": 90}})
    assert newer.session.idle_warning_s == 90
    assert newer.kiosk.id == config.kiosk.id
    with pytest.raises(ConfigError, match="remote config: unknown key \\[session\\] idle"):
        config.with_overrides({"session": {"idle": 1}})


def test_systemd_credential_device_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = KioskConfig.model_validate({"outbox": {"device_key": "systemd-creds:kiosk-device-key"}})
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert config.device_key_path == tmp_path / "kiosk-device-key"
    monkeypatch.delenv("CREDENTIALS_DIRECTORY")
    with pytest.raises(ConfigError, match="CREDENTIALS_DIRECTORY"):
        _ = config.device_key_path


def test_config_check_command_gives_one_line_and_nonzero_exit(tmp_path: Path) -> None:
    path = write(tmp_path, "[kiosk]\nidd = 'x'\n")
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.config_check", "--config", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "unknown key [kiosk] idd" in lines[0]
