"""Qt Quick tests run offscreen with the software renderer; any Qt warning fails the test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtQuick import QQuickWindow, QSGRendererInterface

QQuickWindow.setGraphicsApi(QSGRendererInterface.GraphicsApi.Software)

# Harmless platform chatter of the offscreen plugin, not a problem of the screens.
_IGNORED = ("This plugin does not support", "propagateSizeHints")


@pytest.fixture
def qt_warnings(qapp) -> Iterator[list[str]]:
    caught: list[str] = []

    def handler(kind: QtMsgType, context: Any, message: str) -> None:
        if kind in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg) and not any(
            s in message for s in _IGNORED
        ):
            caught.append(message)

    previous = qInstallMessageHandler(handler)
    yield caught
    qInstallMessageHandler(previous)
    assert caught == [], "Qt warnings:\n" + "\n".join(caught)


@pytest.fixture
def kiosk(qapp, qt_warnings) -> Iterator[Any]:
    """The real screens over the fakes, with a fake clock; ``kiosk.ui``, ``.backends``, ``.clock``."""
    from kiosk.clock import FakeClock
    from kiosk.dispatch import BackgroundWork
    from tests.support.kiosk_ui import build_fake_ui
    from ui.adapters.post import QtPost

    class Rig:
        pass

    rig = Rig()
    rig.clock = FakeClock()
    rig.post = QtPost()
    rig.work = BackgroundWork(rig.post)
    rig.ui, rig.backends = build_fake_ui(rig.work, rig.clock)
    yield rig
    assert rig.ui.warnings == []
    rig.ui.close()
    rig.work.shutdown()
