"""systemd's watchdog, fed from the Qt event loop, and READY=1 once a frame is on screen after it starts.

The kiosk starts it when its core is attached to the start screen, so READY means "can serve a citizen".

Contract: ``start_watchdog(app, window, notifier) -> Watchdog`` with ``notifier`` a
``kiosk.sdnotify.SdNotifier``.
- READY=1 (with ``MAINPID`` = this process, so that systemd signals the kiosk rather than the
  compositor around it) is sent once, after the window's first frame has been presented
  (``frameSwapped`` of a QQuickWindow; the first expose otherwise).
- WATCHDOG=1 is sent from a QTimer at half of ``notifier.watchdog_interval``. The timer runs on the
  GUI thread, so a blocked event loop sends nothing and systemd restarts the kiosk. For a
  QQuickWindow that is on screen, each tick also asks for a frame and the next ping waits for that
  frame, so a stuck scene-graph renderer is caught as well.
- Without a watchdog interval (not under systemd, or ``WatchdogSec`` unset) only READY is sent;
  without a notification socket nothing is sent and nothing fails.
When the watchdog is on, ``faulthandler`` is enabled so that systemd's SIGABRT on a missed ping
leaves every thread's stack in the journal. Keep the returned object alive as long as the window.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import sys

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtGui import QWindow
from PySide6.QtQuick import QQuickWindow
from PySide6.QtWidgets import QWidget

from kiosk.sdnotify import SdNotifier

log = logging.getLogger(__name__)


class Watchdog(QObject):
    """Sends READY after the first frame and WATCHDOG pings while the loop (and renderer) runs."""

    def __init__(self, app: QCoreApplication | None, window: QWindow | QWidget, notifier: SdNotifier) -> None:
        app = app or QCoreApplication.instance()
        if app is None:
            raise RuntimeError("the watchdog needs a running Qt application")
        super().__init__(app)
        self._window = window
        self._notifier = notifier
        self.ready_sent = False
        self.pings = 0
        self.missed_frames = 0
        self._frame_seen = True
        self._timer = QTimer(self)
        if isinstance(window, QQuickWindow):
            window.frameSwapped.connect(self._on_frame)
            if window.isExposed():
                # The first frame may already be out: ask for another one to know it is drawing.
                window.update()
        else:
            window.installEventFilter(self)
        interval = notifier.watchdog_interval
        if interval is not None:
            if not faulthandler.is_enabled():
                faulthandler.enable(file=sys.stderr, all_threads=True)
            self._timer.setInterval(max(int(interval * 1000 / 2), 1))
            self._timer.timeout.connect(self._tick)
            self._timer.start()
            # One ping at once: startup may already have used part of the first interval.
            self._ping()

    @property
    def interval_ms(self) -> int | None:
        return self._timer.interval() if self._timer.isActive() else None

    def stop(self) -> None:
        """No more pings (for an orderly shutdown: systemd has stopped watching by then)."""
        self._timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() in (QEvent.Type.Expose, QEvent.Type.Paint):
            self._on_frame()
        return False

    def _on_frame(self) -> None:
        self._frame_seen = True
        if not self.ready_sent:
            self.ready_sent = True
            self._notifier.ready(status="serving", main_pid=os.getpid())
            log.info("first frame shown; ready")

    def _tick(self) -> None:
        window = self._window
        watch_frames = isinstance(window, QQuickWindow) and window.isExposed() and self.ready_sent
        if watch_frames and not self._frame_seen:
            # The frame asked for one tick ago never came: the renderer is stuck. Let systemd's
            # deadline pass so it restarts the kiosk.
            self.missed_frames += 1
            log.warning("no frame rendered since the last watchdog tick")
            self._request_frame()
            return
        self._ping()
        if watch_frames:
            self._frame_seen = False
            self._request_frame()

    def _request_frame(self) -> None:
        window = self._window
        if isinstance(window, QQuickWindow):
            window.update()

    def _ping(self) -> None:
        if self._notifier.watchdog():
            self.pings += 1


def start_watchdog(app: QCoreApplication | None, window: QWindow | QWidget, notifier: SdNotifier) -> Watchdog:
    """Start READY/WATCHDOG notifications for ``window``; see the module docstring."""
    return Watchdog(app, window, notifier)
