"""Byte transports to ESC/POS printers, built on python-escpos's printer classes.

One abstract primitive pair per transport (``write``, ``read_byte``); the printer driver does the
rest. Two python-escpos hazards are handled here:

* **lazy open**: its printers open the device on first attribute access, so an open error would
  surface in an unrelated call. We open explicitly in ``open()`` and never touch ``.device``
  before that;
* **unbounded calls**: ``Usb(timeout=0)`` and ``Network(timeout=60)`` wait forever or a minute.
  Every transport here gets an explicit timeout, applied to each chunk written and each read.

The file transport is our own: python-escpos's ``File`` opens the device node blocking, and a
``/dev/usb/lp0`` whose printer is out of paper then blocks a write forever.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import time
from abc import ABC, abstractmethod
from typing import Any, Final

import serial
from escpos import exceptions as escpos_errors
from escpos.printer import Network, Serial, Usb

from devices.base import DeviceError, DeviceNotFoundError, DeviceTimeoutError

CHUNK_BYTES: Final = 4096
DEFAULT_TIMEOUT_S: Final = 5.0


class PrinterTransport(ABC):
    """An open/write/read/close byte channel to a printer, every call bounded by ``timeout_s``."""

    description: str = "printer"
    can_read: bool = True
    chunk_bytes: int = CHUNK_BYTES

    def __init__(self, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.timeout_s = timeout_s

    @abstractmethod
    def open(self) -> None:
        """Connect; DeviceNotFoundError when the printer is not there."""

    @abstractmethod
    def _write_chunk(self, chunk: bytes) -> None:
        """Send one chunk within ``timeout_s`` or raise a DeviceError."""

    @abstractmethod
    def read_byte(self, timeout_s: float) -> int | None:
        """One byte from the printer, or None when nothing arrives in ``timeout_s``."""

    @abstractmethod
    def close(self) -> None:
        """Disconnect; never raises."""

    def write(self, data: bytes) -> None:
        """Send ``data`` in chunks, so the timeout bounds each piece rather than the whole job."""
        for start in range(0, len(data), self.chunk_bytes):
            self._write_chunk(data[start : start + self.chunk_bytes])

    def drain(self) -> None:
        """Discard bytes that arrived unasked (late answers to an earlier query)."""
        while self.read_byte(0.0) is not None:
            pass

    def query(self, request: bytes, timeout_s: float) -> int | None:
        """Send a real-time request and return the one-byte answer, or None if silent."""
        if not self.can_read:
            return None
        self.drain()
        self.write(request)
        return self.read_byte(timeout_s)


def _escpos_open(printer: Any, description: str) -> None:
    try:
        printer.open(raise_not_found=True)
    except escpos_errors.DeviceNotFoundError:
        raise DeviceNotFoundError(f"no printer at {description}") from None
    except (OSError, ValueError, escpos_errors.Error) as exc:
        if type(exc).__name__ == "NoBackendError":  # pyusb found no libusb on this system
            raise DeviceNotFoundError(
                f"cannot open the printer at {description}: libusb is not installed (libusb-1.0-0)"
            ) from None
        raise DeviceNotFoundError(f"cannot open the printer at {description}: {type(exc).__name__}") from None


class SerialPrinterTransport(PrinterTransport):
    """``escpos-serial:///dev/ttyS0?baud=9600`` through python-escpos's ``Serial``."""

    def __init__(
        self, port: str, *, baud: int = 9600, dsrdtr: bool = True, timeout_s: float = DEFAULT_TIMEOUT_S
    ):
        super().__init__(timeout_s=timeout_s)
        self.description = f"serial port {port}"
        # A chunk must cross the line well within the write timeout: at 9600 baud, 4096 bytes
        # alone take 4.3 s. A quarter of the timeout leaves room for flow-control pauses.
        self.chunk_bytes = max(64, min(CHUNK_BYTES, int(baud / 10 * timeout_s / 4)))
        self._printer = Serial(devfile=port, baudrate=baud, timeout=timeout_s, dsrdtr=dsrdtr)
        self._port: serial.Serial | None = None

    def open(self) -> None:
        _escpos_open(self._printer, self.description)
        port = self._printer.device
        if port is None:
            raise DeviceNotFoundError(f"no printer at {self.description}")
        port.write_timeout = self.timeout_s
        self._port = port

    def _write_chunk(self, chunk: bytes) -> None:
        port = self._require()
        try:
            port.write(chunk)
        except serial.SerialTimeoutException:
            raise DeviceTimeoutError("the printer did not accept data in time (flow control held)") from None
        except (serial.SerialException, OSError):
            raise DeviceNotFoundError("the printer's serial port went away") from None

    def read_byte(self, timeout_s: float) -> int | None:
        port = self._require()
        try:
            port.timeout = timeout_s
            data = port.read(1)
        except (serial.SerialException, OSError):
            raise DeviceNotFoundError("the printer's serial port went away") from None
        return data[0] if data else None

    def close(self) -> None:
        """Let queued bytes go out (bounded by the timeout), then close without draining.

        python-escpos's own close calls ``tcdrain``, which waits forever when the printer holds
        flow control, and fails on a vanished port; neither may hang or break a kiosk shutdown.
        """
        port, self._port = self._port, None
        if port is not None:
            deadline = time.monotonic() + self.timeout_s
            with contextlib.suppress(Exception):
                while port.out_waiting and time.monotonic() < deadline:
                    time.sleep(0.01)
            with contextlib.suppress(Exception):
                port.reset_output_buffer()
            with contextlib.suppress(Exception):
                port.close()
        self._printer._device = False  # tells python-escpos there is nothing left to close

    def _require(self) -> serial.Serial:
        if self._port is None:
            raise DeviceError("printer transport is not open", code="not_open")
        return self._port


class TcpPrinterTransport(PrinterTransport):
    """``escpos-tcp://host:9100`` through python-escpos's ``Network``."""

    def __init__(self, host: str, port: int = 9100, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        super().__init__(timeout_s=timeout_s)
        self.description = f"{host}:{port}"
        self._printer = Network(host=host, port=port, timeout=timeout_s)
        self._socket: socket.socket | None = None

    def open(self) -> None:
        _escpos_open(self._printer, self.description)
        sock = self._printer.device
        if sock is None:
            raise DeviceNotFoundError(f"no printer at {self.description}")
        self._socket = sock

    def _write_chunk(self, chunk: bytes) -> None:
        sock = self._require()
        try:
            sock.settimeout(self.timeout_s)
            sock.sendall(chunk)
        except TimeoutError:
            raise DeviceTimeoutError("the printer did not accept data in time") from None
        except OSError:
            raise DeviceNotFoundError("the connection to the printer was lost") from None

    def read_byte(self, timeout_s: float) -> int | None:
        sock = self._require()
        try:
            if timeout_s <= 0:
                ready, _, _ = select.select([sock], [], [], 0)
                if not ready:
                    return None
            sock.settimeout(max(timeout_s, 0.001))
            data = sock.recv(1)
        except TimeoutError:
            return None
        except OSError:
            raise DeviceNotFoundError("the connection to the printer was lost") from None
        if not data:
            raise DeviceNotFoundError("the printer closed the connection")
        return data[0]

    def close(self) -> None:
        self._socket = None
        with contextlib.suppress(Exception):
            self._printer.close()

    def _require(self) -> socket.socket:
        if self._socket is None:
            raise DeviceError("printer transport is not open", code="not_open")
        return self._socket


class UsbPrinterTransport(PrinterTransport):
    """``escpos-usb://0x0416:0x5011`` through python-escpos's ``Usb`` (pyusb).

    Known hazard: the kernel's usblp driver may hold the interface ("Resource busy"); python-escpos
    detaches it where it can. Untested here: there is no USB printer on the build machine.
    """

    def __init__(
        self,
        vendor: int,
        product: int,
        *,
        in_ep: int = 0x82,
        out_ep: int = 0x01,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        super().__init__(timeout_s=timeout_s)
        self.description = f"USB {vendor:04x}:{product:04x}"
        self._timeout_ms = max(1, int(timeout_s * 1000))
        self._in_ep = in_ep
        self._out_ep = out_ep
        self._printer = Usb(vendor, product, timeout=self._timeout_ms, in_ep=in_ep, out_ep=out_ep)
        self._device: Any = None

    def open(self) -> None:
        _escpos_open(self._printer, self.description)
        self._device = self._printer.device
        if self._device is None:
            raise DeviceNotFoundError(f"no printer at {self.description}")

    def _write_chunk(self, chunk: bytes) -> None:
        import usb.core  # pyusb comes with python-escpos[usb]

        try:
            self._device.write(self._out_ep, chunk, self._timeout_ms)
        except usb.core.USBTimeoutError:
            raise DeviceTimeoutError("the printer did not accept data in time") from None
        except usb.core.USBError:
            raise DeviceNotFoundError("the USB printer went away") from None

    def read_byte(self, timeout_s: float) -> int | None:
        import usb.core

        try:
            data = self._device.read(self._in_ep, 16, max(1, int(timeout_s * 1000)))
        except usb.core.USBTimeoutError:
            return None
        except usb.core.USBError:
            raise DeviceNotFoundError("the USB printer went away") from None
        return int(data[-1]) if len(data) else None

    def close(self) -> None:
        self._device = None
        with contextlib.suppress(Exception):
            self._printer.close()


class FilePrinterTransport(PrinterTransport):
    """``escpos-file:///dev/usb/lp0`` (or a plain file): writes only, status is always unknown.

    Opened non-blocking and written with ``select`` under the timeout, so a printer device node that
    stops accepting data (paper out) cannot block the kiosk.
    """

    can_read = False

    def __init__(self, path: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        super().__init__(timeout_s=timeout_s)
        self.description = f"file {path}"
        self._path = path
        self._fd: int | None = None

    def open(self) -> None:
        try:
            self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK, 0o600)
        except OSError as exc:
            raise DeviceNotFoundError(f"cannot open the printer {self.description}: {exc.strerror}") from None

    def _write_chunk(self, chunk: bytes) -> None:
        if self._fd is None:
            raise DeviceError("printer transport is not open", code="not_open")
        view = memoryview(chunk)
        deadline = time.monotonic() + self.timeout_s
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeviceTimeoutError("the printer did not accept data in time")
            try:
                _, ready, _ = select.select([], [self._fd], [], remaining)
                if not ready:
                    continue
                view = view[os.write(self._fd, view) :]
            except BlockingIOError:
                continue
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise DeviceNotFoundError(f"the printer {self.description} went away") from None

    def read_byte(self, timeout_s: float) -> int | None:
        return None

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
