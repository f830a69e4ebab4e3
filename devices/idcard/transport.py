"""Byte transports to a SAM module. Serial (pyserial) today; the SAM's own USB bulk interface
would be another class with the same three methods.
"""

from __future__ import annotations

import contextlib
import select
import termios
from typing import Final, Protocol

import serial

from devices.base import DeviceError, DeviceNotFoundError, Health

__all__ = ["PortBusyError", "SerialTransport", "Transport", "TransportFactory"]

# termios.error is not an OSError: pyserial lets it escape from flushes on a vanished device.
_PORT_ERRORS: Final = (serial.SerialException, OSError, termios.error)
_BITS_PER_BYTE: Final = 10  # UART 8N1: start bit, 8 data bits, stop bit


class Transport(Protocol):
    """A byte pipe with deadlines. Every method raises ``DeviceNotFoundError`` when the device is
    gone; none of them blocks longer than the timeout it is given."""

    def wire_time(self, nbytes: int) -> float:
        """Seconds ``nbytes`` take to cross the line (0 where the link has no meaningful rate)."""
        ...

    def write(self, data: bytes) -> None: ...

    def read_some(self, timeout_s: float) -> bytes:
        """Whatever arrives within ``timeout_s`` (at least one byte unless it times out: b"")."""
        ...

    def discard_input(self) -> None: ...

    def close(self) -> None: ...


class TransportFactory(Protocol):
    def __call__(self, port: str, baud: int) -> Transport: ...


class PortBusyError(DeviceError):
    """Another process holds the port (the kiosk itself, while a technician runs a tool)."""

    default_code = "port_busy"
    health = Health.BUSY


class SerialTransport:
    """A serial port through pyserial, locked for exclusive use (two readers of one line would
    steal each other's bytes). Modem lines are never touched: they fail on ptys and on many
    USB-serial adapters. Reads wait in ``select`` so the port's settings are set once, at open.
    """

    def __init__(self, port: str, baud: int) -> None:
        try:
            self._serial = serial.Serial(port, baud, timeout=0, write_timeout=2.0, exclusive=True)
        except serial.SerialException as exc:
            if "lock" in str(exc):
                raise PortBusyError(f"serial port {port} is in use by another program") from None
            raise DeviceNotFoundError(f"cannot open serial port {port}: {_reason(exc)}") from None
        except (*_PORT_ERRORS, ValueError) as exc:
            raise DeviceNotFoundError(f"cannot open serial port {port}: {_reason(exc)}") from None
        self._port = port
        self._baud = baud

    def wire_time(self, nbytes: int) -> float:
        return nbytes * _BITS_PER_BYTE / self._baud

    def write(self, data: bytes) -> None:
        try:
            self._serial.write(data)
        except _PORT_ERRORS as exc:
            raise DeviceNotFoundError(f"serial port {self._port} lost: {_reason(exc)}") from None

    def read_some(self, timeout_s: float) -> bytes:
        try:
            ready, _, _ = select.select([self._serial.fileno()], [], [], max(0.0, timeout_s))
            if not ready:
                return b""
            # Non-blocking read of what is there; a vanished device reads as "ready, no data",
            # which pyserial turns into SerialException.
            data = bytes(self._serial.read(max(1, self._serial.in_waiting)))
            if not data:
                raise DeviceNotFoundError(f"serial port {self._port} lost: ready but no data")
            return data
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
