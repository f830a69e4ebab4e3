"""The keyboard-wedge driver against a hand-written stand-in for python-evdev's InputDevice.

The stand-in has a real file descriptor (a pipe) so the driver's ``select`` works as with a
real event device; the build machine has no /dev/uinput to create a virtual keyboard.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass

import evdev.ecodes as e
import pytest

from devices.base import DeviceConfigError, DeviceHardwareError, DeviceNotFoundError
from devices.registry import open_device
from devices.scanner.hid_driver import HidScanner
from tests.support.devices_io import attach, poll_for, poll_until


@dataclass
class Event:
    type: int
    code: int
    value: int


class FakeInputDevice:
    def __init__(self, *, grab_error: int | None = None) -> None:
        self.name = "Wedge Scanner"
        self._r, self._w = os.pipe()
        self.fd = self._r
        self.queue: list[Event] = []
        self.grabbed = False
        self.closed = False
        self.grab_error = grab_error
        self.read_error: OSError | None = None

    def grab(self) -> None:
        if self.grab_error is not None:
            raise OSError(self.grab_error, os.strerror(self.grab_error))
        self.grabbed = True

    def ungrab(self) -> None:
        self.grabbed = False

    def close(self) -> None:
        self.closed = True
        for fd in (self._r, self._w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def type_keys(self, *codes: int, shift: bool = False) -> None:
        for code in codes:
            if shift:
                self.queue.append(Event(1, e.KEY_LEFTSHIFT, 1))
            self.queue += [Event(1, code, 1), Event(0, 0, 0), Event(1, code, 0)]
            if shift:
                self.queue.append(Event(1, e.KEY_LEFTSHIFT, 0))
        os.write(self._w, b"x")

    def read(self) -> Iterator[Event]:
        if self.read_error is not None:
            raise self.read_error
        os.read(self._r, 4096)
        events, self.queue = self.queue, []
        if not events:
            raise BlockingIOError
        return iter(events)


def type_text(fake: FakeInputDevice, text: str) -> None:
    symbols = {":": (e.KEY_SEMICOLON, True), "-": (e.KEY_MINUS, False), "_": (e.KEY_MINUS, True)}
    for char in text:
        if char in symbols:
            code, shift = symbols[char]
            fake.type_keys(code, shift=shift)
        elif char.isdigit():
            fake.type_keys(e.KEY_0 if char == "0" else getattr(e, f"KEY_{char}"))
        else:
            fake.type_keys(getattr(e, f"KEY_{char.upper()}"), shift=char.isupper())
    fake.type_keys(e.KEY_ENTER)


TRACK = "cityapp:track:v1:0190a6c2-7d3e-7abc-8def-0123456789ab"


@pytest.fixture
def wedge() -> Iterator[tuple[FakeInputDevice, HidScanner]]:
    fake = FakeInputDevice()
    scanner = HidScanner("/dev/input/by-id/usb-wedge-event-kbd", device_factory=lambda path: fake)
    scanner.open()
    yield fake, scanner
    scanner.close()


def test_grabs_the_device_and_delivers_a_typed_code(wedge: tuple[FakeInputDevice, HidScanner]) -> None:
    fake, scanner = wedge
    recorder = attach(scanner)
    assert fake.grabbed
    scanner.enable()
    type_text(fake, TRACK)
    assert poll_until(scanner, lambda: recorder.data)
    assert recorder.data[0].text == TRACK  # type: ignore[attr-defined]
    assert not scanner.enabled


def test_keys_typed_while_disabled_are_discarded(wedge: tuple[FakeInputDevice, HidScanner]) -> None:
    fake, scanner = wedge
    recorder = attach(scanner)
    type_text(fake, TRACK)
    scanner.enable()
    poll_for(scanner, 0.1)
    assert recorder.data == []


def test_non_text_keys_are_rejected_with_a_clear_code(wedge: tuple[FakeInputDevice, HidScanner]) -> None:
    fake, scanner = wedge
    recorder = attach(scanner)
    scanner.enable()
    fake.type_keys(e.KEY_A, e.KEY_F1, e.KEY_ENTER)
    assert poll_until(scanner, lambda: recorder.errors)
    assert recorder.errors[0].code == "unrecognised_code"
    assert "serial mode" in recorder.errors[0].message
    assert scanner.enabled


def test_close_ungrabs(wedge: tuple[FakeInputDevice, HidScanner]) -> None:
    fake, scanner = wedge
    scanner.close()
    assert not fake.grabbed and fake.closed


def test_device_vanishing_is_not_found(wedge: tuple[FakeInputDevice, HidScanner]) -> None:
    fake, scanner = wedge
    scanner.enable()
    fake.read_error = OSError(errno.ENODEV, "No such device")
    os.write(fake._w, b"x")
    with pytest.raises(DeviceNotFoundError):
        poll_until(scanner, lambda: False, 2)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (FileNotFoundError(2, "gone"), DeviceNotFoundError),
        (PermissionError(13, "denied"), DeviceConfigError),
    ],
)
def test_open_failures_are_typed(failure: OSError, expected: type[Exception]) -> None:
    def factory(path: str) -> FakeInputDevice:
        raise failure

    with pytest.raises(expected):
        HidScanner("/dev/input/event9", device_factory=factory).open()


def test_device_grabbed_by_another_program() -> None:
    fake = FakeInputDevice(grab_error=errno.EBUSY)
    with pytest.raises(DeviceHardwareError, match="another program"):
        HidScanner("/dev/input/event9", device_factory=lambda path: fake).open()
    assert fake.closed


def test_real_evdev_factory_reports_a_missing_device(tmp_path) -> None:  # type: ignore[no-untyped-def]
    scanner = open_device("scanner", f"hid://{tmp_path}/event-kbd")
    with pytest.raises(DeviceNotFoundError):
        scanner.open()
