"""Emulated ESC/POS printers for tests, demos and the maintenance bench: a serial printer on a
pseudo-terminal and a network printer on 127.0.0.1.

Both record the bytes they receive and answer DLE EOT 1–4 from a scripted state that the test
sets at any time (``ok``, ``near_end``, ``paper_out``, ``cover_open``, ``error``, ``silent``).
The parser skips the data of raster images and QR commands, so image bytes that happen to look
like ``DLE EOT`` are not taken for status requests (some real printers get this wrong; ours is
strict on purpose, so a test failure points at our bytes, not the emulator).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Final, Literal, Self

from devices.emulators.pty import PtyHarness, SerialEmulator

PrinterState = Literal["ok", "near_end", "paper_out", "cover_open", "error", "silent"]
STATES: Final = ("ok", "near_end", "paper_out", "cover_open", "error", "silent")
_BASE: Final = 0x12


def status_answer(state: PrinterState, request: int) -> int | None:
    """The byte a printer in ``state`` answers to DLE EOT ``request`` (None: no answer)."""
    if state == "silent":
        return None
    offline = state in ("paper_out", "cover_open", "error")
    if request == 1:
        return _BASE | (0x08 if offline else 0)
    if request == 2:
        return (
            _BASE
            | (0x04 if state == "cover_open" else 0)
            | (0x20 if state == "paper_out" else 0)
            | (0x40 if state == "error" else 0)
        )
    if request == 3:
        return _BASE | (0x08 if state == "error" else 0)
    if request == 4:
        return _BASE | (0x0C if state == "near_end" else 0) | (0x60 if state == "paper_out" else 0)
    return None


class PrinterCore:
    """The transport-independent printer: records print bytes, answers real-time requests."""

    def __init__(self, state: PrinterState = "ok") -> None:
        self.state: PrinterState = state
        self._lock = threading.Lock()
        self._stream = bytearray()
        self._pending = bytearray()
        self._printed = bytearray()
        self.status_requests: list[int] = []

    def set_state(self, state: PrinterState) -> None:
        if state not in STATES:
            raise ValueError(f"unknown printer state {state!r}")
        self.state = state

    @property
    def printed(self) -> bytes:
        """Everything received except real-time status requests."""
        with self._lock:
            return bytes(self._printed)

    @property
    def received(self) -> bytes:
        """Everything received, status requests included."""
        with self._lock:
            return bytes(self._stream)

    def clear(self) -> None:
        with self._lock:
            self._stream.clear()
            self._printed.clear()
            self.status_requests.clear()

    def feed(self, data: bytes) -> bytes:
        """Process received bytes; returns the answer bytes to send back."""
        answers = bytearray()
        with self._lock:
            self._stream += data
            self._pending += data
            while self._pending:
                used = self._step(answers)
                if used == 0:
                    break  # an incomplete command: wait for more bytes
                del self._pending[:used]
        return bytes(answers)

    def _step(self, answers: bytearray) -> int:
        """Consume one command or byte from the front of the pending bytes; 0 = need more."""
        p = self._pending
        if p[0] == 0x10:
            if len(p) < 3:
                return 0
            if p[1] == 0x04:
                self.status_requests.append(p[2])
                answer = status_answer(self.state, p[2])
                if answer is not None:
                    answers.append(answer)
                return 3
        elif p[0] == 0x1D and len(p) >= 2 and p[1] in (0x76, 0x28):
            size = _block_size(bytes(p[:8]))
            if size is None or len(p) < size:
                return 0
            self._printed += p[:size]
            return size
        elif p[0] == 0x1D and len(p) < 2:
            return 0
        self._printed.append(p[0])
        return 1


def _block_size(head: bytes) -> int | None:
    """Total length of a GS v 0 or GS ( k command from its first bytes (None: header incomplete)."""
    if head[1] == 0x76:  # GS v 0 m xL xH yL yH
        if len(head) < 8:
            return None
        return 8 + int.from_bytes(head[4:6], "little") * int.from_bytes(head[6:8], "little")
    if len(head) < 5:  # GS ( fn pL pH
        return None
    return 5 + int.from_bytes(head[3:5], "little")


class SerialPrinterEmulator(SerialEmulator):
    """A serial ESC/POS printer on a pty; clients open ``path`` with ``escpos-serial://``."""

    def __init__(self, state: PrinterState = "ok", *, baud: int | None = None) -> None:
        self.core = PrinterCore(state)
        self.harness = PtyHarness(self._on_bytes, baud=baud, name="ttyPRN0")

    @property
    def uri(self) -> str:
        return f"escpos-serial://{self.path}?baud=9600"

    def _on_bytes(self, data: bytes) -> None:
        answer = self.core.feed(data)
        if answer:
            self.harness.write(answer)


class NetworkPrinterEmulator:
    """A network ESC/POS printer listening on 127.0.0.1 (a free port unless one is given)."""

    def __init__(self, state: PrinterState = "ok", *, port: int = 0) -> None:
        self.core = PrinterCore(state)
        self._server = socket.create_server(("127.0.0.1", port))
        self._server.settimeout(0.2)
        self.port: int = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._clients: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="printer-emulator", daemon=True)
        self.on_connect: Callable[[], None] | None = None

    @property
    def uri(self) -> str:
        return f"escpos-tcp://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            self._server.close()
        for client in list(self._clients):
            with contextlib.suppress(OSError):
                client.close()

    def drop_connections(self) -> None:
        """Simulate the printer being switched off: connected clients see the link drop."""
        for client in list(self._clients):
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _addr = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.on_connect is not None:
                self.on_connect()
            self._clients.append(client)
            threading.Thread(target=self._handle, args=(client,), name="printer-client", daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(0.2)
        try:
            while not self._stop.is_set():
                try:
                    data = client.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                answer = self.core.feed(data)
                if answer:
                    with contextlib.suppress(OSError):
                        client.sendall(answer)
        finally:
            with contextlib.suppress(ValueError):
                self._clients.remove(client)
            with contextlib.suppress(OSError):
                client.close()
