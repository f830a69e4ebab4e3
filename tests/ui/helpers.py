"""Walking the live Qt Quick scene: items, texts, accessible names."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from PySide6.QtCore import QEventLoop, QPointF, Qt
from PySide6.QtQuick import QQuickItem
from PySide6.QtTest import QTest


def pump(seconds: float = 0.05) -> None:
    # QEventLoop.processEvents: QCoreApplication.processEvents leaks a reference to None per call
    # in PySide6 6.12.0 (excluded by pyproject.toml, but cheap to avoid), which aborts long runs.
    loop = QEventLoop()
    end = time.monotonic() + seconds
    while True:
        loop.processEvents()
        if time.monotonic() >= end:
            return
        time.sleep(0.005)


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        pump(0.02)
        if predicate():
            return True
    return False


def items(root: QQuickItem) -> Iterator[QQuickItem]:
    yield root
    for child in root.childItems():
        yield from items(child)


def visible_items(root: QQuickItem) -> Iterator[QQuickItem]:
    if not root.isVisible():
        return
    yield root
    for child in root.childItems():
        yield from visible_items(child)


def find(window, object_name: str) -> QQuickItem | None:
    for item in items(window.contentItem()):
        if item.objectName() == object_name:
            return item
    return None


def all_texts(window) -> list[str]:
    texts = []
    for item in items(window.contentItem()):
        value = item.property("text")
        if isinstance(value, str) and value:
            texts.append(value)
    return texts


def tap(window, object_name: str) -> None:
    """A touch in the middle of the visible item named ``object_name``."""
    item = find(window, object_name)
    assert item is not None and item.isVisible(), object_name
    centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
    QTest.mouseClick(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    pump()
