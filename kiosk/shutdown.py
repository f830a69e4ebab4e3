"""An orderly stop on SIGTERM: stop taking input, let the current step finish, then close things.

Contract:
- ``GracefulShutdown`` runs three phases once: ``stop_input()`` (no new touches, cards or codes);
  settling, until ``is_idle()`` says the current step has finished (a save or a submission that is
  already running completes) or ``settle_timeout_s`` passes, when ``abandon()`` is called to leave
  the step safely (nothing confirmed is lost: saved applications are already durable in the
  outbox); then each close step in order (e.g. the outbox, the devices). A failing step is logged
  by name and type only and does not stop the later ones.
- It is driven by ``poll()`` from the caller's event loop, so work that finishes by posting back to
  that loop can still complete while it settles; ``run()`` is the blocking form for tools without
  an event loop.
- ``SignalWakeup`` turns SIGTERM/SIGINT into bytes on a socket, the one safe way to wake an event
  loop that runs in C++ (Qt) or in ``select``. It must be created on the main thread.
"""

from __future__ import annotations

import enum
import logging
import signal
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType

from kiosk.sdnotify import SdNotifier

log = logging.getLogger(__name__)

CloseStep = tuple[str, Callable[[], None]]


def _nothing() -> None:
    """The default for steps a caller has nothing to do in."""


def _always_idle() -> bool:
    return True


class Phase(enum.Enum):
    RUNNING = "running"
    SETTLING = "settling"
    DONE = "done"


@dataclass(frozen=True)
class ShutdownReport:
    """How the stop went: why it began, whether the current step had to be abandoned, what failed."""

    reason: str
    abandoned: bool
    failed_steps: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not self.abandoned and not self.failed_steps


class GracefulShutdown:
    """The shutdown sequence; call ``begin`` once a stop is requested, then ``poll`` until it reports."""

    def __init__(
        self,
        *,
        stop_input: Callable[[], None] = _nothing,
        is_idle: Callable[[], bool] = _always_idle,
        abandon: Callable[[], None] = _nothing,
        close_steps: Sequence[CloseStep] = (),
        settle_timeout_s: float = 10.0,
        notifier: SdNotifier | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stop_input = stop_input
        self._is_idle = is_idle
        self._abandon = abandon
        self._close_steps = tuple(close_steps)
        self._settle_timeout_s = settle_timeout_s
        self._notifier = notifier or SdNotifier()
        self._clock = clock
        self._phase = Phase.RUNNING
        self._reason = ""
        self._deadline = 0.0
        self._abandoned = False
        self._failed: list[str] = []

    @property
    def phase(self) -> Phase:
        return self._phase

    def begin(self, reason: str) -> bool:
        """Start stopping (``reason`` e.g. "SIGTERM"); ``False`` if a stop is already under way."""
        if self._phase is not Phase.RUNNING:
            return False
        self._phase = Phase.SETTLING
        self._reason = reason
        self._deadline = self._clock() + self._settle_timeout_s
        log.info("shutdown requested", extra={"reason": reason})
        self._notifier.stopping(status=f"stopping ({reason})")
        self._step("stop input", self._stop_input)
        return True

    def poll(self) -> ShutdownReport | None:
        """Advance; returns the report once everything is closed, ``None`` while still settling."""
        if self._phase is not Phase.SETTLING:
            return None
        if not self._idle():
            if self._clock() < self._deadline:
                return None
            log.warning("current step did not finish in time; abandoning it")
            self._abandoned = True
            self._step("abandon current step", self._abandon)
        for name, action in self._close_steps:
            self._step(name, action)
        self._phase = Phase.DONE
        report = ShutdownReport(self._reason, self._abandoned, tuple(self._failed))
        log.info(
            "shutdown finished",
            extra={"abandoned": report.abandoned, "failed_steps": list(report.failed_steps)},
        )
        return report

    def run(
        self, reason: str, *, interval_s: float = 0.05, sleep: Callable[[float], None] = time.sleep
    ) -> ShutdownReport | None:
        """Begin and poll to the end, sleeping between polls (for callers without an event loop)."""
        if not self.begin(reason):
            return None
        while (report := self.poll()) is None:
            sleep(interval_s)
        return report

    def _idle(self) -> bool:
        try:
            return self._is_idle()
        except Exception as exc:
            # Cannot tell: treat as idle rather than hang until the deadline.
            log.error("idle check failed during shutdown", extra={"error": type(exc).__name__})
            return True

    def _step(self, name: str, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as exc:
            # Type only: an exception message may carry an applicant's data.
            log.error("shutdown step failed", extra={"step": name, "error": type(exc).__name__})
            self._failed.append(name)


class SignalWakeup:
    """Catches ``signals`` and reports them as bytes readable from ``fileno()``.

    The handlers do nothing themselves (so the default "terminate at once" is replaced); the C-level
    wakeup byte is what tells the event loop. ``close()`` restores the previous handlers.
    """

    def __init__(self, signals: Sequence[signal.Signals] = (signal.SIGTERM, signal.SIGINT)) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous = {sig: signal.signal(sig, self._on_signal) for sig in signals}
        self._closed = False

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        """Deliberately empty: the wakeup byte carries the signal to the event loop."""

    def fileno(self) -> int:
        return self._reader.fileno()

    def drain(self) -> list[signal.Signals]:
        """The signals received since the last drain (oldest first); never blocks."""
        received: list[signal.Signals] = []
        while True:
            try:
                data = self._reader.recv(512)
            except (BlockingIOError, InterruptedError):
                break
            if not data:
                break
            for number in data:
                try:
                    received.append(signal.Signals(number))
                except ValueError:
                    continue
        return received

    def close(self) -> None:
        """Restore the previous handlers and wakeup fd. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()
