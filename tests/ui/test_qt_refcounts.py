"""The Qt binding keeps Python's reference counts: a kiosk emits signals all day long.

PySide6 6.12.0 lost a reference to ``True`` on every ``Signal.emit()`` (and one to ``None`` on every
``QCoreApplication.processEvents()``); after some ten thousand emits the interpreter aborts with
"deallocating True". A release that does this must not be installed (``pyproject.toml`` excludes
6.12): these tests fail on it.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QCoreApplication, QObject, Signal

pytestmark = pytest.mark.ui

CALLS = 2000
# Other threads (the test's own fixtures, Qt's) may take or drop a few references meanwhile; the fault
# this looks for loses one per call.
SLACK = 200


class _Emitter(QObject):
    changed = Signal()


def test_emitting_a_signal_keeps_the_reference_count_of_true(qapp) -> None:
    emitter = _Emitter()
    before = sys.getrefcount(True)
    for _ in range(CALLS):
        emitter.changed.emit()
    assert sys.getrefcount(True) > before - SLACK


def test_processing_events_keeps_the_reference_count_of_none(qapp) -> None:
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        QCoreApplication.processEvents()
    assert sys.getrefcount(None) > before - SLACK
