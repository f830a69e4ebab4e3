"""The optional Pinyin keyboard: off by default; when on, free-text answers are typed through it.

Runs in a fresh process: the input method is chosen when the Qt application starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ui
ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from PySide6.QtCore import QEventLoop, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from ui.app import build_ui, choose_renderer
choose_renderer("offscreen")
warnings = []
# Our screens must be warning-free; Qt Virtual Keyboard's own QML and the audio back end it probes
# for key clicks warn on their own (third-party), so only warnings from our QML files count here.
def handler(kind, ctx, msg):
    if kind not in (QtMsgType.QtDebugMsg, QtMsgType.QtInfoMsg) and "/ui/qml/" in (ctx.file or "") + msg:
        warnings.append(msg)
qInstallMessageHandler(handler)
app = QGuiApplication([])
from kiosk.catalog import builtin_catalog
from kiosk.clock import FakeClock
from kiosk.session import SessionSettings
from tests.support.fakes import ZHANG, FakeApplications, FakePrinter, FakeServices, SyncRunner
ui = build_ui(catalog=builtin_catalog(), applications=FakeApplications(), services=FakeServices(),
              printer=FakePrinter(), runner=SyncRunner(), clock=FakeClock(), settings=SessionSettings(),
              kiosk_id="k", fullscreen=False, headless=True, virtual_keyboard=True)
loop = QEventLoop()
def pump(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        loop.processEvents(); time.sleep(0.01)
def find(name):
    stack = [ui.window.contentItem()]
    while stack:
        item = stack.pop()
        if item.objectName() == name:
            return item
        stack.extend(item.childItems())
a = ui.adapter
a.act("start", ""); a.act("item", "CN-HOIST-DEREG"); a.act("begin", ""); ui.journey.card_read(ZHANG)
pump(0.5)
field = find("freeTextInput")
assert field is not None and field.isVisible(), "free text input"
assert not find("letterPad").isVisible(), "letter keys hidden"
assert find("keyboardLoader").property("item") is not None, "keyboard panel loaded"
field.setProperty("text", "豫Q-T2019-0031")
a.act("set", field.property("text"))
assert ui.journey.state.draft == "豫Q-T2019-0031"
pump(0.2)
ui.close()
assert not warnings, warnings
print("ok")
"""


def test_pinyin_keyboard_when_enabled() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_IM_MODULE": "qtvirtualkeyboard"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT)], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]


def test_keyboard_is_off_by_default() -> None:
    from kiosk.config import KioskConfig

    assert KioskConfig().ui.virtual_keyboard is False
