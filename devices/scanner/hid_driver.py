"""USB keyboard-wedge QR scanners on Linux, through python-evdev (the optional ``evdev`` extra).

Contract: opening grabs the input device (EVIOCGRAB) so the scanner's keystrokes never reach the
kiosk window; while enabled, key events are decoded (``keys.KeyDecoder``) and a code ends on Enter.
Keys typed while disabled are discarded when the scanner is enabled again.

Access: the kiosk user needs read access to ``/dev/input/by-id/*-event-kbd`` (the ``input`` group or
a udev rule). A wedge cannot carry Chinese or other non-ASCII payloads; such codes are rejected as
``undecodable_keys`` and the scanner should be set to serial (CDC) mode instead.
"""

from __future__ import annotations

import contextlib
import errno
import select
from collections.abc import Callable
from typing import Any, Final

from devices.base import (
    DeviceConfigError,
    DeviceHardwareError,
    DeviceInfo,
    DeviceNotFoundError,
    NotSupportedError,
    RecommendedAction,
)
from devices.scanner.common import ScannerDevice
from devices.scanner.keys import KeyDecoder, TypedCode

READ_WINDOW_S: Final = 0.05

InputDeviceFactory = Callable[[str], Any]


def _evdev_input_device(path: str) -> Any:
    try:
        import evdev
    except ImportError:
        raise NotSupportedError(
            "keyboard-wedge scanners need the 'evdev' extra (pip install civic-kiosk[evdev])",
            action=RecommendedAction.NEEDS_MAINTENANCE,
        ) from None
    return evdev.InputDevice(path)


class HidScanner(ScannerDevice):
    """A keyboard-wedge scanner at ``path`` (an evdev event device)."""

    poll_interval_s = 0.02

    def __init__(
        self,
        path: str,
        *,
        grab: bool = True,
        device_factory: InputDeviceFactory = _evdev_input_device,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.path = path
        self._grab = grab
        self._factory = device_factory
        self._device: Any = None
        self._decoder = KeyDecoder()
        self._model = "unknown"

    def _open(self) -> None:
        try:
            device = self._factory(self.path)
        except FileNotFoundError:
            raise DeviceNotFoundError(f"no input device at {self.path}") from None
        except PermissionError:
            raise DeviceConfigError(
                f"no permission to read {self.path}: add the kiosk user to the 'input' group "
                "or install the udev rule"
            ) from None
        except OSError as exc:
            raise DeviceNotFoundError(f"cannot open {self.path}: {exc.strerror}") from None
        if self._grab:
            try:
                device.grab()
            except OSError as exc:
                with contextlib.suppress(Exception):
                    device.close()
                if exc.errno == errno.EBUSY:
                    raise DeviceHardwareError(f"another program has grabbed {self.path}") from None
                raise DeviceNotFoundError(f"cannot grab {self.path}: {exc.strerror}") from None
        self._device = device
        self._model = str(getattr(device, "name", "unknown"))
        self._decoder.reset()
        self._set_status(scanner="off")

    def _close(self) -> None:
        device, self._device = self._device, None
        if device is None:
            return
        if self._grab:
            with contextlib.suppress(Exception):
                device.ungrab()
        with contextlib.suppress(Exception):
            device.close()

    def info(self) -> DeviceInfo:
        return DeviceInfo(model=f"keyboard-wedge scanner ({self._model})", extra={"path": self.path})

    def _on_enable(self) -> None:
        self._drain()
        self._decoder.reset()
        super()._on_enable()

    def _on_disable(self) -> None:
        self._decoder.reset()
        super()._on_disable()

    def _poll(self) -> None:
        self._assert_io_thread()
        for event in self._read_events(READ_WINDOW_S):
            typed = self._decoder.feed(event.type, event.code, event.value)
            if typed is not None:
                self._handle(typed)
                if not self.enabled:
                    return

    def _handle(self, typed: TypedCode) -> None:
        if typed.truncated:
            self._reject("too_large")
        elif typed.undecodable:
            self._reject("undecodable_keys")
        else:
            self._deliver_payload(typed.text)

    def _read_events(self, timeout_s: float) -> list[Any]:
        device = self._device
        try:
            ready, _, _ = select.select([device.fd], [], [], timeout_s)
            if not ready:
                return []
            return list(device.read())
        except BlockingIOError:
            return []
        except OSError:
            error = DeviceNotFoundError(f"the scanner at {self.path} went away")
            self._fail(error)
            raise error from None

    def _drain(self) -> None:
        while self._read_events(0.0):
            pass
