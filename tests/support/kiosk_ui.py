"""Builds the real Qt Quick kiosk screens over the flow fakes, for UI tests, tours and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.catalog import builtin_catalog
from kiosk.session import SessionSettings
from tests.support.fakes import FakeApplications, FakePrinter, FakeServices


@dataclass
class FakeBackends:
    applications: FakeApplications
    services: FakeServices
    printer: FakePrinter


def build_fake_ui(
    runner: Any, clock: Any, *, settings: SessionSettings | None = None
) -> tuple[Any, FakeBackends]:
    """``(KioskUi, backends)``; the window is 1920×1080, shown (offscreen in tests)."""
    from ui.app import build_ui

    backends = FakeBackends(FakeApplications(), FakeServices(), FakePrinter())
    ui = build_ui(
        catalog=builtin_catalog(),
        applications=backends.applications,
        services=backends.services,
        printer=backends.printer,
        runner=runner,
        clock=clock,
        settings=settings or SessionSettings(),
        kiosk_id="demo-kiosk-01",
        fullscreen=False,
        headless=True,
    )
    ui.window.resize(1920, 1080)
    return ui, backends
