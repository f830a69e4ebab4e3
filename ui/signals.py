"""SIGTERM in the Qt application: wake the event loop and run the kiosk's graceful shutdown.

Contract: ``install_shutdown_hook(app, shutdown) -> ShutdownHook``. On SIGTERM or SIGINT (or a
call to ``hook.trigger(reason)``) it begins ``shutdown`` (a ``kiosk.shutdown.GracefulShutdown``),
polls it from a timer while the event loop keeps running (so a step that is finishing can still
post its result back), then quits the loop with ``app.exit(0)``. Keep the returned hook alive for
the life of the application. A second signal while stopping is ignored; systemd's stop timeout is
the backstop.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, QTimer, Signal

from kiosk.shutdown import GracefulShutdown, ShutdownReport, SignalWakeup

log = logging.getLogger(__name__)


class ShutdownHook(QObject):
    """Owns the signal wakeup socket, its notifier and the polling timer."""

    finished = Signal(object)  # the ShutdownReport, just before the loop is asked to exit

    def __init__(
        self,
        app: QCoreApplication,
        shutdown: GracefulShutdown,
        signals: Sequence[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
        poll_interval_ms: int = 50,
    ) -> None:
        super().__init__(app)
        self._app = app
        self._shutdown = shutdown
        self._wakeup = SignalWakeup(signals)
        self._notifier = QSocketNotifier(self._wakeup.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_wakeup)
        self._timer = QTimer(self)
        self._timer.setInterval(poll_interval_ms)
        self._timer.timeout.connect(self._poll)
        self.report: ShutdownReport | None = None
        app.aboutToQuit.connect(self.close)

    def trigger(self, reason: str) -> None:
        """Begin the shutdown as if a signal named ``reason`` had arrived."""
        if self._shutdown.begin(reason):
            self._timer.start()
            self._poll()

    def close(self) -> None:
        """Give the signals back to their previous handlers."""
        self._notifier.setEnabled(False)
        self._wakeup.close()

    def _on_wakeup(self) -> None:
        received = self._wakeup.drain()
        if received:
            self.trigger(received[0].name)

    def _poll(self) -> None:
        report = self._shutdown.poll()
        if report is None:
            return
        self._timer.stop()
        self.report = report
        self.finished.emit(report)
        self._app.exit(0)


def install_shutdown_hook(app: QCoreApplication, shutdown: GracefulShutdown) -> ShutdownHook:
    """Route SIGTERM/SIGINT to ``shutdown`` and end the event loop when it is done."""
    return ShutdownHook(app, shutdown)
