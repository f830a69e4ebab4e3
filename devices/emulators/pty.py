"""A serial line on a pseudo-terminal, for emulators of serial devices.

The code under test opens ``harness.path`` with the real ``serial.Serial``; the emulator receives
what the client writes through ``on_bytes`` (called on the harness's reader thread) and answers
with ``harness.write``. The harness gives a serial emulator three things a bare ``openpty`` does not:

* **a stable path**: ``path`` is a symlink the harness owns, so ``unplug()`` (the client sees a
  lost device: its next read or write fails, and opening the path fails) and ``replug()`` (a new
  pseudo-terminal appears at the same path) behave like a USB-serial adapter pulled and put back;
* **wire timing**: with ``baud`` set, ``write`` releases each byte only once it would have crossed
  an 8N1 line (10 bits per byte), and ``wire_time(n)`` tells an emulator how long ``n`` incoming
  bytes took, because a pty itself delivers everything instantly whatever the baud rate;
* **safe shutdown**: the slave fd stays open for the harness's life (otherwise the master side gets
  EIO whenever the client closes), the master is non-blocking (a client that stopped reading cannot
  hang the emulator), and ``unplug`` may be called from the reader thread itself.

Known limits: modem lines (CTS/DSR) are not emulated (ioctl on a pty raises ENOTTY), and pyserial's
``open()`` flushes input, so bytes written before the client opened the port are lost.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import shutil
import tempfile
import termios
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Final, Self

__all__ = ["BITS_PER_BYTE", "ByteHandler", "PtyHarness", "SerialEmulator"]

_log = logging.getLogger(__name__)

BITS_PER_BYTE: Final = 10  # 8N1: start bit, 8 data bits, stop bit
ByteHandler = Callable[[bytes], None]

_READ_CHUNK: Final = 4096
_STOP_POLL_S: Final = 0.5  # the reader wakes at least this often to notice a stop request
_BLOCKED_WRITE_GIVE_UP_S: Final = 2.0  # a client that stopped reading loses bytes, like a real line


_SPEEDS: Final = {
    getattr(termios, f"B{rate}"): rate
    for rate in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)
    if hasattr(termios, f"B{rate}")
}


def _ignore(data: bytes) -> None:
    """Default handler: a device that listens and never answers."""


class _Plug:
    """One plugged-in pseudo-terminal: fds, wake-up pipe and the reader thread."""

    def __init__(self, on_bytes: ByteHandler, name: str) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.slave_path = os.ttyname(self.slave)
        self._wake_r, self._wake_w = os.pipe()
        self._on_bytes = on_bytes
        self.lock = threading.Lock()  # guards the master fd against close during a write
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._read_loop, name=f"pty-{name}", daemon=True)
        self._closed = False

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Ask the reader to finish; wait for it unless we are the reader."""
        self.stopped.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        if threading.current_thread() is not self.thread:
            self.thread.join(timeout=5)
            self._close_fds()

    def _read_loop(self) -> None:
        try:
            while not self.stopped.is_set():
                try:
                    ready, _, _ = select.select([self.master, self._wake_r], [], [], _STOP_POLL_S)
                except (OSError, ValueError):
                    return
                if self.stopped.is_set():
                    return
                if self.master not in ready:
                    continue
                try:
                    data = os.read(self.master, _READ_CHUNK)
                except BlockingIOError:
                    continue
                except OSError:
                    # EIO while no client has the port open: nothing to read, wait a little.
                    time.sleep(0.01)
                    continue
                if data:
                    try:
                        self._on_bytes(data)
                    except Exception:
                        # An emulator bug must not silently turn the line dead.
                        _log.exception("emulator handler failed")
        finally:
            if self.stopped.is_set() and threading.current_thread() is self.thread:
                self._close_fds()

    def _close_fds(self) -> None:
        with self.lock:
            if self._closed:
                return
            self._closed = True
            for fd in (self.master, self.slave, self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def write_now(self, data: bytes) -> bool:
        """Write all of ``data`` to the master; False if the plug went away or the client stalled."""
        view = memoryview(data)
        deadline = time.monotonic() + _BLOCKED_WRITE_GIVE_UP_S
        while view:
            with self.lock:
                if self._closed or self.stopped.is_set():
                    return False
                try:
                    written = os.write(self.master, view)
                except BlockingIOError:
                    written = 0
                except OSError as exc:
                    if exc.errno in (errno.EIO, errno.EBADF):
                        return False
                    raise
            view = view[written:]
            if view:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.001)
        return True


class PtyHarness:
    """A pseudo-terminal serial line at a stable path, with optional wire-speed pacing.

    Use as a context manager (or ``start()``/``close()``). ``on_bytes`` runs on the reader thread,
    one call per chunk the client wrote (chunks may split or join the client's writes).
    """

    def __init__(
        self,
        on_bytes: ByteHandler | None = None,
        *,
        baud: int | None = None,
        link_dir: Path | None = None,
        name: str = "ttyEMU0",
    ) -> None:
        self._on_bytes: ByteHandler = on_bytes or _ignore
        self._baud = baud
        self._owns_dir = link_dir is None
        self._dir = Path(tempfile.mkdtemp(prefix="kiosk-emu-")) if link_dir is None else link_dir
        self._name = name
        self._path = self._dir / name
        self._plug: _Plug | None = None
        self._lock = threading.Lock()  # serialises plug/unplug

    # -- properties ------------------------------------------------------------------------------

    @property
    def path(self) -> str:
        """The stable path clients open (a symlink to the current pseudo-terminal)."""
        return str(self._path)

    @property
    def plugged(self) -> bool:
        return self._plug is not None

    @property
    def baud(self) -> int | None:
        return self._baud

    @property
    def byte_time(self) -> float:
        """Seconds one byte takes on the line (0 when unpaced)."""
        return BITS_PER_BYTE / self._baud if self._baud else 0.0

    def wire_time(self, nbytes: int) -> float:
        """Seconds ``nbytes`` take on the line at the configured baud rate (0 when unpaced)."""
        return nbytes * self.byte_time

    def client_baud(self) -> int | None:
        """The baud rate the client configured on its end (None if unplugged or unusual).

        A pty ignores the rate, but an emulator can compare it with its own to behave like a
        UART at the wrong speed (garbage instead of frames).
        """
        plug = self._plug
        if plug is None:
            return None
        try:
            attributes = termios.tcgetattr(plug.slave)
        except (termios.error, OSError):
            return None
        return _SPEEDS.get(attributes[5])

    def set_handler(self, on_bytes: ByteHandler) -> None:
        """Replace the handler (takes effect for the next bytes the client writes)."""
        self._on_bytes = on_bytes

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        """Plug the device in."""
        self.replug()
        return self

    def close(self) -> None:
        """Unplug and remove the stable path (and its directory if the harness made it)."""
        self.unplug()
        if self._owns_dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def unplug(self) -> None:
        """The device disappears: the client's port fails and the path vanishes. Idempotent."""
        with self._lock:
            plug, self._plug = self._plug, None
            with contextlib.suppress(FileNotFoundError):
                self._path.unlink()
        if plug is not None:
            plug.stop()

    def replug(self) -> None:
        """A (new) device appears at the same path. Unplugs the current one first if needed."""
        self.unplug()
        with self._lock:
            plug = _Plug(self._dispatch, self._name)
            staging = self._dir / f".{self._name}.new"
            with contextlib.suppress(FileNotFoundError):
                staging.unlink()
            staging.symlink_to(plug.slave_path)
            staging.replace(self._path)  # atomic: a client never sees a half-made path
            self._plug = plug
            plug.start()

    # -- I/O -------------------------------------------------------------------------------------

    def write(self, data: bytes) -> bool:
        """Send ``data`` to the client, paced at the baud rate if one is set.

        Returns False if the bytes could not all be delivered (unplugged, or the client stopped
        reading): a real line loses them too. Blocks for the wire time of ``data``.
        """
        plug = self._plug
        if plug is None:
            return False
        if not self._baud:
            return plug.write_now(data)
        byte_time = self.byte_time
        start = time.perf_counter()
        sent = 0
        while sent < len(data):
            # Byte i is released once it has fully crossed the line: at start + (i + 1) * byte_time.
            wake_at = start + (sent + 1) * byte_time
            delay = wake_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            due = min(len(data), int((time.perf_counter() - start) / byte_time))
            due = max(due, sent + 1)
            if not plug.write_now(data[sent:due]):
                return False
            sent = due
        return True

    def _dispatch(self, data: bytes) -> None:
        self._on_bytes(data)


class SerialEmulator:
    """Base of the serial device emulators: a ``PtyHarness`` in ``self.harness`` (set by the subclass
    before use), its ``path``, and the start/close/context-manager lifecycle around it."""

    harness: PtyHarness

    @property
    def path(self) -> str:
        return self.harness.path

    def start(self) -> Self:
        self.harness.start()
        return self

    def close(self) -> None:
        self.harness.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
