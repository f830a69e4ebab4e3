"""The attract screen is drawn before the core is attached, and a tap that comes in meanwhile counts."""

from __future__ import annotations

import pytest

from kiosk.catalog import builtin_catalog
from kiosk.clock import FakeClock
from kiosk.dispatch import BackgroundWork
from kiosk.i18n import Strings
from kiosk.session import SessionSettings
from tests.support.fakes import FakeApplications, FakePrinter, FakeServices
from tests.ui.helpers import all_texts, find, tap, wait_for
from ui.adapters.post import QtPost
from ui.app import attach_core, show_first_frame

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_taps_on_the_first_frame_are_kept_until_the_core_is_attached(qapp, qt_warnings, language) -> None:
    first = show_first_frame(language=language, fullscreen=False, headless=True)
    first.window.resize(1920, 1080)
    frames: list[int] = []
    first.window.frameSwapped.connect(lambda: frames.append(1))
    work = BackgroundWork(QtPost())
    ui = None
    try:
        assert wait_for(lambda: bool(frames))
        s = Strings(language)
        texts = all_texts(first.window)
        assert s.text("screen.attract.title") in texts and s.text("chrome.call_staff") in " ".join(texts)
        assert first.adapter.property("ready") is False
        # Only the attract screen and its top bar so far: no bottom bar, no overlays.
        assert find(first.window, "homeButton") is None and find(first.window, "idleOverlay") is None

        tap(first.window, "attractElderButton")
        tap(first.window, "startButton")
        assert first.adapter.current_view()["screen"] == "attract"  # nothing to act on yet

        ui = attach_core(
            first,
            catalog=builtin_catalog(),
            applications=FakeApplications(),
            services=FakeServices(),
            printer=FakePrinter(),
            runner=work,
            clock=FakeClock(),
            settings=SessionSettings(default_language=language),
            kiosk_id="demo-kiosk-01",
        )
        assert ui.session.elder_mode is True
        assert ui.journey.state.step == "home"
        assert first.adapter.property("ready") is True
        assert wait_for(lambda: find(ui.window, "idleOverlay") is not None)
        assert find(ui.window, "homeButton") is not None
        assert wait_for(lambda: ui.extras["catalog_ready"])
        assert ui.warnings == []
    finally:
        if ui is not None:
            ui.close()
        else:
            first.close()
        work.shutdown()
