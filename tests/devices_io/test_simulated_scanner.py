"""The ``sim:`` scanner: real payload checks, delivery only while enabled, configured failures."""

from __future__ import annotations

import pytest

from devices.base import DeviceNotFoundError
from devices.registry import open_device
from devices.scanner.simulated import SimScanner
from tests.support.devices_io import attach, poll_for, poll_until

TRACK = "cityapp:track:v1:0190a6c2-7d3e-7abc-8def-0123456789ab"


def test_code_after_enable_is_delivered_once_per_enable() -> None:
    scanner = open_device("scanner", f"sim:?code={TRACK}&after=0.05")
    recorder = attach(scanner)
    scanner.open()
    poll_for(scanner, 0.2)
    assert recorder.data == []  # not enabled: nothing scanned
    scanner.enable()
    assert poll_until(scanner, lambda: recorder.data)
    poll_for(scanner, 0.2)
    assert len(recorder.data) == 1
    assert recorder.data[0].value == TRACK[17:]  # type: ignore[attr-defined]


def test_presented_payload_goes_through_the_real_checks() -> None:
    scanner = SimScanner()
    recorder = attach(scanner)
    scanner.open()
    scanner.enable()
    scanner.present(b"\xff\xfe not text")
    poll_for(scanner, 0.05)
    assert [e.code for e in recorder.errors] == ["unrecognised_code"]
    assert scanner.enabled
    scanner.present(TRACK)
    assert poll_until(scanner, lambda: recorder.data)
    assert not scanner.enabled


def test_code_presented_while_disabled_is_dropped_on_enable() -> None:
    scanner = SimScanner()
    recorder = attach(scanner)
    scanner.open()
    scanner.present(TRACK)
    scanner.enable()
    poll_for(scanner, 0.05)
    assert recorder.data == []


def test_configured_failure() -> None:
    with pytest.raises(DeviceNotFoundError):
        open_device("scanner", "sim:?fail=no_device").open()
