"""Escape keys sent to an offscreen kiosk window change nothing; ordinary keys still work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QByteArray, QCoreApplication, Qt, QUrl
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickWindow
from PySide6.QtTest import QTest

from ui.lockdown import install_lockdown, is_escape_route

pytestmark = pytest.mark.ui

Key = Qt.Key
Mod = Qt.KeyboardModifier

# A naive window that would leave on every classic route: the shortcuts quit or close it.
NAIVE_WINDOW = b"""
import QtQuick
Window {
    id: win
    width: 480; height: 320; visible: true
    property var keys: []
    property int shortcuts: 0
    Item {
        focus: true
        anchors.fill: parent
        Keys.onPressed: (event) => { win.keys = win.keys.concat([event.key]) }
    }
    Shortcut {
        sequences: [StandardKey.Quit, StandardKey.Close, "Alt+F4", "Escape", "Alt+Tab", "F11",
                    "Ctrl+Alt+Backspace", "Ctrl+Alt+Delete", "Ctrl+Alt+F2", "Meta+D", "Ctrl+F4"]
        context: Qt.ApplicationShortcut
        onActivated: { win.shortcuts += 1; win.close(); Qt.quit() }
    }
}
"""

ESCAPES = [
    (Key.Key_F4, Mod.AltModifier),
    (Key.Key_Tab, Mod.AltModifier),
    (Key.Key_Q, Mod.ControlModifier),
    (Key.Key_W, Mod.ControlModifier),
    (Key.Key_F4, Mod.ControlModifier),
    (Key.Key_Escape, Mod.NoModifier),
    (Key.Key_F11, Mod.NoModifier),
    (Key.Key_Backspace, Mod.ControlModifier | Mod.AltModifier),
    (Key.Key_Delete, Mod.ControlModifier | Mod.AltModifier),
    (Key.Key_F2, Mod.ControlModifier | Mod.AltModifier),
    (Key.Key_D, Mod.MetaModifier),
    (Key.Key_Space, Mod.AltModifier),
]


@pytest.fixture
def kiosk_window(qapp) -> Iterator[QQuickWindow]:
    engine = QQmlApplicationEngine()
    engine.loadData(QByteArray(NAIVE_WINDOW), QUrl("naive.qml"))
    (window,) = engine.rootObjects()
    assert isinstance(window, QQuickWindow)
    assert QTest.qWaitForWindowExposed(window)
    quits: list[bool] = []
    qapp.aboutToQuit.connect(lambda: quits.append(True))
    window.setProperty("quitRequests", quits)
    window._quits = quits  # type: ignore[attr-defined]
    yield window
    window.destroy()
    engine.deleteLater()
    QCoreApplication.processEvents()


MODIFIER_KEYS = {Key.Key_Shift.value, Key.Key_Control.value, Key.Key_Alt.value, Key.Key_Meta.value}


def keys_seen(window: QQuickWindow) -> list[int]:
    """Keys the screen received, without the bare modifier presses QTest sends around a combination."""
    return [k for k in window.property("keys").toVariant() or [] if k not in MODIFIER_KEYS]


def test_without_lockdown_the_naive_window_closes(kiosk_window: QQuickWindow) -> None:
    # The control: proves these keys really are routes out when nothing stops them.
    QTest.keyClick(kiosk_window, Key.Key_F4, Mod.AltModifier)
    QCoreApplication.processEvents()
    assert kiosk_window.property("shortcuts") == 1
    assert not kiosk_window.isVisible()


@pytest.mark.parametrize(("key", "modifiers"), ESCAPES, ids=lambda v: str(v))
def test_escape_keys_change_nothing(qapp, kiosk_window: QQuickWindow, key: Key, modifiers: Mod) -> None:
    lockdown = install_lockdown(qapp, kiosk_window)
    try:
        QTest.keyClick(kiosk_window, key, modifiers)
        QCoreApplication.processEvents()
        assert kiosk_window.isVisible()
        assert kiosk_window.property("shortcuts") == 0
        assert keys_seen(kiosk_window) == []
        assert kiosk_window._quits == []
        assert lockdown.swallowed >= 1
    finally:
        lockdown.release()


def test_ordinary_keys_still_reach_the_screen(qapp, kiosk_window: QQuickWindow) -> None:
    lockdown = install_lockdown(qapp, kiosk_window)
    try:
        for key in (Key.Key_A, Key.Key_1, Key.Key_Tab, Key.Key_Return, Key.Key_Backspace, Key.Key_Left):
            QTest.keyClick(kiosk_window, key)
        QTest.keyClick(kiosk_window, Key.Key_B, Mod.ShiftModifier)
        QCoreApplication.processEvents()
        assert keys_seen(kiosk_window) == [
            Key.Key_A.value,
            Key.Key_1.value,
            Key.Key_Tab.value,
            Key.Key_Return.value,
            Key.Key_Backspace.value,
            Key.Key_Left.value,
            Key.Key_B.value,
        ]
        assert lockdown.swallowed == 0
    finally:
        lockdown.release()


def test_close_requests_are_refused_until_released(qapp, kiosk_window: QQuickWindow) -> None:
    lockdown = install_lockdown(qapp, kiosk_window)
    kiosk_window.close()
    QCoreApplication.processEvents()
    assert kiosk_window.isVisible()
    assert lockdown.refused_closes == 1
    lockdown.release()
    QTest.keyClick(kiosk_window, Key.Key_F4, Mod.AltModifier)
    QCoreApplication.processEvents()
    assert not kiosk_window.isVisible()


def test_a_minimised_window_comes_back_fullscreen(qapp, kiosk_window: QQuickWindow) -> None:
    kiosk_window.showFullScreen()
    QCoreApplication.processEvents()
    lockdown = install_lockdown(qapp, kiosk_window)
    try:
        kiosk_window.showMinimized()
        QTest.qWait(50)
        assert kiosk_window.windowStates() & Qt.WindowState.WindowFullScreen
        assert not kiosk_window.windowStates() & Qt.WindowState.WindowMinimized
    finally:
        lockdown.release()


@pytest.mark.parametrize(
    ("key", "modifiers", "blocked"),
    [
        *[(k, m, True) for k, m in ESCAPES],
        (Key.Key_PowerOff, Mod.NoModifier, True),
        (Key.Key_Super_L, Mod.NoModifier, True),
        (Key.Key_T, Mod.ControlModifier | Mod.AltModifier, True),
        (Key.Key_Tab, Mod.NoModifier, False),
        (Key.Key_Backtab, Mod.ShiftModifier, False),
        (Key.Key_A, Mod.ShiftModifier, False),
        (Key.Key_V, Mod.ControlModifier, False),
        (Key.Key_Control, Mod.ControlModifier | Mod.AltModifier, False),
        (Key.Key_Enter, Mod.KeypadModifier, False),
    ],
)
def test_key_policy(key: Key, modifiers: Mod, blocked: bool) -> None:
    assert is_escape_route(key.value, modifiers) is blocked


def test_unknown_key_codes_are_not_an_error() -> None:
    assert is_escape_route(0x7FFFFFF0, Mod.NoModifier) is False


def test_without_lockdown_a_minimised_window_stays_minimised(qapp, kiosk_window: QQuickWindow) -> None:
    kiosk_window.showFullScreen()
    QCoreApplication.processEvents()
    kiosk_window.showMinimized()
    QTest.qWait(50)
    assert kiosk_window.windowStates() & Qt.WindowState.WindowMinimized
