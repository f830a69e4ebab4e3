"""Helpers for the scanner and printer tests: drive a device's poll loop until an event arrives."""

from __future__ import annotations

import time
from collections.abc import Callable

from devices.base import DataEvent, Device, DeviceEvent, ErrorEvent


class Recorder:
    """An event sink that keeps everything, with filters for the kinds tests look at."""

    def __init__(self) -> None:
        self.events: list[DeviceEvent] = []

    def __call__(self, event: DeviceEvent) -> None:
        self.events.append(event)

    @property
    def data(self) -> list[object]:
        return [e.data for e in self.events if isinstance(e, DataEvent)]

    @property
    def errors(self) -> list[ErrorEvent]:
        return [e for e in self.events if isinstance(e, ErrorEvent)]


def attach(device: Device, name: str = "dev") -> Recorder:
    recorder = Recorder()
    device.attach(name, recorder)
    return recorder


def poll_until(device: Device, done: Callable[[], object], timeout: float = 5.0) -> bool:
    """Call ``device.poll()`` (as the owner thread would) until ``done()`` or the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return True
        device.poll()
        time.sleep(0.005)
    return bool(done())


def poll_for(device: Device, seconds: float) -> None:
    """Keep polling for ``seconds`` (to show that nothing arrives)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        device.poll()
        time.sleep(0.005)
