"""Byte transports to a SAM module. Serial (pyserial) today; the SAM's own USB bulk interface
would be another class with the same three methods.
"""

from __future__ import annotations

import contextlib
import termios
from typing import Final, Protocol

import serial

from devices.base import DeviceNotFoundError

__all__ = ["SerialTransport", "Transport", "TransportFactory"]

# termios.error is not an OSError: pyserial lets it escape from flushes on a vanished device.
_PORT_ERRORS: Final = (serial.SerialException, OSError, termios.error)


class Transport(Protocol):
    """A byte pipe with deadlines. Every method raises ``DeviceNotFoundError`` when the device is
    gone; none of them blocks longer than the timeout it is given."""

    def write(self, data: bytes) -> None: ...

    def read_some(self, timeout_s: float) -> bytes:
        """Whatever arrives within ``timeout_s`` (at least one byte unless it times out: b"")."""
        ...

    def discard_input(self) -> None: ...

    def close(self) -> None: ...


class TransportFactory(Protocol):
    def __call__(self, port: str, baud: int) -> Transport: ...


class SerialTransport:
    """A serial port through pyserial. Modem lines are never touched (they fail on ptys and on
    many USB-serial adapters)."""

    def __init__(self, port: str, baud: int) -> None:
        try:
            self._serial = serial.Serial(port, baud, timeout=0, write_timeout=2.0)
        except (*_PORT_ERRORS, ValueError) as exc:
            raise DeviceNotFoundError(f"cannot open serial port {port}: {_reason(exc)}") from None
        self._port = port

    def write(self, data: bytes) -> None:
        try:
            self._serial.write(data)
        except _PORT_ERRORS as exc:
            raise DeviceNotFoundError(f"serial port {self._port} lost: {_reason(exc)}") from None

    def read_some(self, timeout_s: float) -> bytes:
        try:
            self._serial.timeout = max(0.0, timeout_s)
            waiting = self._serial.in_waiting
            return bytes(self._serial.read(max(1, waiting)))
        except _PORT_ERRORS as exc:
            raise DeviceNotFoundError(f"serial port {self._port} lost: {_reason(exc)}") from None

    def discard_input(self) -> None:
        try:
            self._serial.reset_input_buffer()
        except _PORT_ERRORS as exc:
            raise DeviceNotFoundError(f"serial port {self._port} lost: {_reason(exc)}") from None

    def close(self) -> None:
        # Closing a port whose device vanished may fail; it is closed either way.
        with contextlib.suppress(*_PORT_ERRORS):
            self._serial.close()


def _reason(exc: BaseException) -> str:
    """A short, path-free reason (pyserial messages repeat the path)."""
    errno = getattr(exc, "errno", None)
    return f"errno {errno}" if errno else type(exc).__name__
