"""READY after the first frame, WATCHDOG at half the interval, nothing while the loop is blocked."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QByteArray, QCoreApplication, QUrl
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickWindow
from PySide6.QtTest import QTest

from kiosk.sdnotify import SdNotifier
from tests.support.sdnotify import NotifyListener
from ui.watchdog import start_watchdog

pytestmark = pytest.mark.ui

HIDDEN_WINDOW = b"import QtQuick\nWindow { width: 320; height: 240; visible: false; color: 'white' }\n"


@pytest.fixture
def hidden_window(qapp) -> Iterator[QQuickWindow]:
    engine = QQmlApplicationEngine()
    engine.loadData(QByteArray(HIDDEN_WINDOW), QUrl("hidden.qml"))
    (window,) = engine.rootObjects()
    assert isinstance(window, QQuickWindow)
    yield window
    window.destroy()
    engine.deleteLater()
    QCoreApplication.processEvents()


def test_ready_waits_for_the_first_frame(qapp, qtbot, hidden_window: QQuickWindow) -> None:
    with NotifyListener() as listener:
        notifier = SdNotifier.from_environment({"NOTIFY_SOCKET": listener.env_value})
        watchdog = start_watchdog(qapp, hidden_window, notifier)
        QTest.qWait(100)
        assert listener.receive(timeout=0.2) is None
        hidden_window.show()
        qtbot.waitUntil(lambda: watchdog.ready_sent, timeout=10_000)
        message = listener.receive()
        assert message is not None and message["READY"] == "1" and message["MAINPID"].isdigit()
        watchdog.stop()


def test_pings_at_half_the_interval_and_not_while_blocked(qapp, hidden_window: QQuickWindow) -> None:
    with NotifyListener() as listener:
        env = {"NOTIFY_SOCKET": listener.env_value, "WATCHDOG_USEC": "400000"}
        notifier = SdNotifier.from_environment(env)
        watchdog = start_watchdog(qapp, hidden_window, notifier)
        assert watchdog.interval_ms == 200
        assert listener.receive() == {"WATCHDOG": "1"}  # one at once
        # A blocked event loop: the timer cannot fire, so systemd would see the deadline pass.
        time.sleep(0.8)
        assert listener.receive(timeout=0.1) is None
        QTest.qWait(500)
        assert listener.wait_for("WATCHDOG", timeout=2) is not None
        watchdog.stop()


def test_without_systemd_nothing_is_sent_and_nothing_fails(qapp, qtbot, hidden_window: QQuickWindow) -> None:
    watchdog = start_watchdog(qapp, hidden_window, SdNotifier.from_environment({}))
    hidden_window.show()
    qtbot.waitUntil(lambda: watchdog.ready_sent, timeout=10_000)
    assert watchdog.interval_ms is None
    assert watchdog.pings == 0


def test_ready_comes_even_when_the_window_was_shown_before(qapp, qtbot, hidden_window: QQuickWindow) -> None:
    hidden_window.show()
    assert QTest.qWaitForWindowExposed(hidden_window)
    QTest.qWait(200)  # the first frames are out before the watchdog starts
    with NotifyListener() as listener:
        notifier = SdNotifier.from_environment({"NOTIFY_SOCKET": listener.env_value})
        watchdog = start_watchdog(qapp, hidden_window, notifier)
        qtbot.waitUntil(lambda: watchdog.ready_sent, timeout=10_000)
        assert listener.wait_for("READY") is not None
