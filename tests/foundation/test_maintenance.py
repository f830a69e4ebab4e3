"""Maintenance PINs: hashed, constant-time checked, locked out after repeated failures."""

from __future__ import annotations

import pytest

from kiosk.clock import FakeClock
from kiosk.maintenance import MaintenanceGate, PinFormatError, hash_pin, pin_matches


def test_a_pin_matches_only_its_own_hash() -> None:
    stored = hash_pin("246810", iterations=2_000)
    assert "246810" not in stored
    assert pin_matches("246810", stored)
    assert not pin_matches("246811", stored)
    assert not pin_matches("246810", "md5$1$00$00")
    assert not pin_matches("246810", "garbage")


@pytest.mark.parametrize("pin", ["12345", "abcdef", "1234567890123", ""])
def test_pins_must_be_6_to_12_digits(pin: str) -> None:
    with pytest.raises(PinFormatError):
        hash_pin(pin)


def test_five_wrong_pins_lock_the_gate_for_five_minutes() -> None:
    clock = FakeClock()
    gate = MaintenanceGate([hash_pin("246810", iterations=2_000)], clock)
    for _ in range(5):
        assert not gate.try_pin("000000")
    assert gate.locked_for_s == pytest.approx(300)
    assert not gate.try_pin("246810")  # even the right PIN waits out the lockout
    clock.advance(301)
    assert gate.try_pin("246810")


def test_no_configured_pins_means_no_entry() -> None:
    assert not MaintenanceGate([], FakeClock()).try_pin("246810")
