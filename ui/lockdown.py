"""No keyboard route out of the citizen window.

Contract: ``install_lockdown(app, window) -> Lockdown``. From then on, for ``window`` (a QWindow such
as the QQuickWindow, or a top-level QWidget) and everything inside it:
- key combinations that close, switch or leave a window (Alt+F4, Alt+Tab, Ctrl+Q, Ctrl+W, Escape,
  F11, Ctrl+Alt+Backspace/Delete/F1..F12, anything with the Super/Meta key, power and session keys)
  reach neither the window's items nor its shortcuts (``QShortcut``/QML ``Shortcut`` included);
- a close request (from the compositor or ``window.close()``) is refused, and a minimised window is
  put back the way it was (fullscreen if it was fullscreen).
Ordinary typing, Tab/Shift+Tab focus moves (keyboard accessibility), Enter, Backspace and the arrow
keys pass through. ``lockdown.release()`` lifts all of it (technician exit, orderly shutdown).
Keep the returned object alive as long as the window.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QWindow
from PySide6.QtQuick import QQuickItem, QQuickWindow
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

Key = Qt.Key
Mod = Qt.KeyboardModifier

_FUNCTION_KEYS = frozenset(Key(Key.Key_F1.value + i) for i in range(35))
# Keys that leave, close or power off whatever modifiers come with them.
_ALWAYS_BLOCKED = frozenset(
    {
        Key.Key_Escape,
        Key.Key_F11,
        Key.Key_Meta,
        Key.Key_Super_L,
        Key.Key_Super_R,
        Key.Key_Hyper_L,
        Key.Key_Hyper_R,
        Key.Key_Menu,
        Key.Key_Close,
        Key.Key_Exit,
        Key.Key_PowerOff,
        Key.Key_PowerDown,
        Key.Key_Sleep,
        Key.Key_Suspend,
        Key.Key_Standby,
        Key.Key_Hibernate,
        Key.Key_LogOff,
        Key.Key_ScreenSaver,
        Key.Key_Explorer,
        Key.Key_HomePage,
        Key.Key_Terminal,
    }
)
# With Alt: window switching, window menus, closing, the run dialog, fullscreen toggles.
_ALT_BLOCKED = _FUNCTION_KEYS | {Key.Key_Tab, Key.Key_Backtab, Key.Key_Space, Key.Key_Return, Key.Key_Enter}
# With Ctrl: quit, close the window or tab.
_CTRL_BLOCKED = frozenset({Key.Key_Q, Key.Key_W, Key.Key_F4})
_KEY_EVENTS = frozenset({QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride})


def is_escape_route(key: int, modifiers: Qt.KeyboardModifier) -> bool:
    """Whether ``key`` with ``modifiers`` is a way out of (or around) the kiosk window."""
    try:
        qt_key = Key(key)
    except ValueError:
        return False
    if qt_key in _ALWAYS_BLOCKED:
        return True
    if modifiers & Mod.MetaModifier:
        return True
    ctrl = bool(modifiers & Mod.ControlModifier)
    alt = bool(modifiers & Mod.AltModifier)
    if ctrl and alt:
        # Ctrl+Alt+Backspace (zap), Ctrl+Alt+Delete, Ctrl+Alt+F1..F12 (switch VT), Ctrl+Alt+T, ...
        return qt_key not in (Key.Key_Control, Key.Key_Alt, Key.Key_Shift)
    if alt and qt_key in _ALT_BLOCKED:
        return True
    return ctrl and qt_key in _CTRL_BLOCKED


class Lockdown(QObject):
    """The application-wide event filter guarding one citizen window."""

    def __init__(self, app: QCoreApplication | None, window: QWindow | QWidget) -> None:
        app = app or QCoreApplication.instance()
        if app is None:
            raise RuntimeError("the lockdown needs a running Qt application")
        super().__init__(app)
        self._app = app
        self._window = window
        self._active = True
        self.swallowed = 0
        self.refused_closes = 0
        self._last_states = self._states()
        app.installEventFilter(self)

    @property
    def active(self) -> bool:
        return self._active

    def release(self) -> None:
        """Lift the lockdown (for an orderly shutdown or a technician's exit)."""
        if self._active:
            self._active = False
            self._app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._active:
            return False
        kind = event.type()
        if kind in _KEY_EVENTS:
            return self._filter_key(watched, event)
        if watched is self._window:
            if kind == QEvent.Type.Close:
                event.ignore()
                self.refused_closes += 1
                log.info("refused a request to close the kiosk window")
                return True
            if kind == QEvent.Type.WindowStateChange:
                self._undo_minimise()
        return False

    def _filter_key(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(event, QKeyEvent) or not self._inside_window(watched):
            return False
        if not is_escape_route(event.key(), event.modifiers()):
            return False
        if event.type() == QEvent.Type.ShortcutOverride:
            # Accepting the override stops Qt from firing a matching shortcut; the key press that
            # follows is then swallowed below.
            event.accept()
        elif event.type() == QEvent.Type.KeyPress:
            self.swallowed += 1
            log.debug("swallowed an escape key", extra={"key": int(event.key())})
        return True

    def _inside_window(self, watched: QObject) -> bool:
        window = self._window
        if watched is window:
            return True
        if isinstance(window, QWidget):
            return isinstance(watched, QWidget) and window.isAncestorOf(watched)
        if isinstance(watched, QQuickItem) and isinstance(window, QQuickWindow):
            # Walk up to the window's content item. (QQuickItem.window() is avoided: in PySide6 the
            # wrapper it returns can take the window down with it when collected.)
            root = window.contentItem()
            item: QQuickItem | None = watched
            while item is not None:
                if item is root:
                    return True
                item = item.parentItem()
        return False

    def _states(self) -> Qt.WindowState:
        window = self._window
        return window.windowStates() if isinstance(window, QWindow) else window.windowState()

    def _undo_minimise(self) -> None:
        states = self._states()
        if not states & Qt.WindowState.WindowMinimized:
            self._last_states = states
            return
        # After the state change has been processed, or the platform undoes our undo.
        QTimer.singleShot(0, self._restore)

    def _restore(self) -> None:
        window = self._window
        states = self._last_states & ~Qt.WindowState.WindowMinimized
        if states & Qt.WindowState.WindowFullScreen:
            window.showFullScreen()
        elif isinstance(window, QWindow):
            window.setWindowStates(states)
            window.show()
        else:
            window.setWindowState(states)
            window.show()
        log.info("restored the minimised kiosk window")


def install_lockdown(app: QCoreApplication | None, window: QWindow | QWidget) -> Lockdown:
    """Lock ``window`` down (see the module docstring); returns the object that can ``release()`` it."""
    return Lockdown(app, window)
