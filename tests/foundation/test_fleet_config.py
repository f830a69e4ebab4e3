"""The [fleet] section: pinned administrator keys, groups, heartbeat and config-poll intervals."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiosk.config import ConfigError, load_config


def public_key() -> str:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_pin_no_key_and_poll_at_the_documented_intervals() -> None:
    fleet = load_config(None).fleet
    assert fleet.pinned_keys == [] and fleet.groups == []
    assert fleet.heartbeat_s == 60
    assert fleet.config_poll_s == 1800


def test_file_values_are_read(tmp_path: Path) -> None:
    first, second = public_key(), public_key()
    path = write(
        tmp_path,
        f"""
        [fleet]
        pinned_keys = ["{first}", "{second}"]
        groups = ["hall-a", "north.wing"]
        heartbeat_s = 30
        config_poll_s = 600
        """,
    )
    fleet = load_config(path).fleet
    assert fleet.pinned_keys == [first, second]
    assert fleet.groups == ["hall-a", "north.wing"]
    assert (fleet.heartbeat_s, fleet.config_poll_s) == (30, 600)


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("heartbeat_s = 9", "[fleet] heartbeat_s"),
        ("heartbeat_s = 3601", "[fleet] heartbeat_s"),
        ("config_poll_s = 59", "[fleet] config_poll_s"),
        ("config_poll_s = 86401", "[fleet] config_poll_s"),
        ('pinned_keys = ["bm90IGEga2V5"]', "not a base64 Ed25519 public key"),
        ('pinned_keys = ["%%%"]', "not a base64 Ed25519 public key"),
        ('pinned_keys = "one key"', "[fleet] pinned_keys"),
        ('groups = ["has space"]', "not a group name"),
        ("pinned = []", "unknown key [fleet] pinned"),
    ],
)
def test_bad_values_are_one_line_errors_naming_the_key(tmp_path: Path, line: str, named: str) -> None:
    path = write(tmp_path, f"[fleet]\n{line}\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert named in message and str(path) in message
    assert "\n" not in message
