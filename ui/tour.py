"""``kiosk --headless-tour DIR``: drive the real screens through every flow offscreen, one PNG per screen.

For each language (zh_CN, en) and theme (standard, elder) the tour taps through: browse and search,
an instant-approval application with the ID card, a cross-province application with the identity code,
a provident-fund query, an appointment, tracking a receipt, the idle countdown, and the offline and
no-paper variants where the backends allow. Files are named ``NNN-<lang>-<theme>-<screen>.png``.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.config import KioskConfig
from kiosk.session import EndReason

log = logging.getLogger(__name__)


class TourClock:
    """The system clock, which the tour can move forward to show the idle countdown."""

    def __init__(self) -> None:
        self._skipped = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._skipped)

    def monotonic(self) -> float:
        return time.monotonic() + self._skipped

    def skip(self, seconds: float) -> None:
        self._skipped += seconds


COMBINATIONS = (("zh_CN", False), ("zh_CN", True), ("en", False), ("en", True))


class Tour:
    """Taps through the UI like a citizen would, saving a screenshot of every screen reached."""

    def __init__(self, ui: Any, out: Path, app: object) -> None:
        self.ui = ui
        self.out = out
        self.app = app
        self.count = 0
        self.prefix = ""
        self.shots: list[Path] = []
        self.extras: dict[str, object] = {}
        self.failures: list[str] = []

    def pump(self, seconds: float = 0.05) -> None:
        from PySide6.QtCore import QEventLoop

        # QEventLoop.processEvents: QCoreApplication.processEvents leaks a reference to None per call
        # in PySide6 6.12.0 (excluded by pyproject.toml, but cheap to avoid), which aborts long runs.
        loop = QEventLoop()
        end = time.monotonic() + seconds
        while True:
            loop.processEvents()
            if time.monotonic() >= end:
                return
            time.sleep(0.005)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0.02)
            if predicate():
                return True
        return False

    def screen(self) -> str:
        return str(self.ui.adapter.view.get("screen", ""))

    def shot(self, label: str = "") -> Path:
        self.pump(0.1)
        image = self.ui.window.grabWindow()
        self.count += 1
        name = f"{self.count:03d}-{self.prefix}-{label or self.screen()}.png"
        path = self.out / name
        image.save(str(path))
        self.shots.append(path)
        return path

    def act(self, action: str, value: str = "", expect: str | None = None) -> None:
        self.ui.adapter.act(action, value)
        if expect is not None and not self.wait_for(lambda: self.screen() == expect):
            raise RuntimeError(f"tour: expected screen {expect!r} after {action!r}, got {self.screen()!r}")

    def run(self, combinations: tuple[tuple[str, bool], ...], scripts: list[Callable[[Tour], None]]) -> None:
        session = self.ui.session
        # The catalogue and its search index arrive off the UI thread shortly after start.
        self.wait_for(lambda: bool(self.ui.extras.get("catalog_ready")), timeout=30)
        for language, elder in combinations:
            self.prefix = f"{'zh' if language == 'zh_CN' else 'en'}-{'elder' if elder else 'standard'}"
            for script in scripts:
                session.end(EndReason.CANCELLED)
                session.set_language(language)
                session.set_elder_mode(elder)
                self.pump()
                try:
                    script(self)
                    outcome = self.ui.journey.state.outcome
                    if outcome is not None:
                        self.extras["last_application_id"] = outcome.application_id
                except Exception as exc:  # one broken flow must not stop the tour of the others
                    log.error("tour step failed: %s", exc)
                    print(f"tour: {script.__name__}: {type(exc).__name__}: {exc}", file=sys.stderr)
                    self.failures.append(f"{self.prefix} {script.__name__}")
                    self.shot("failed")


def browse(t: Tour) -> None:
    t.shot()
    t.act("start", expect="home")
    t.shot()
    t.act("search", expect="search")
    for query in ("g", "gj", "gjj"):
        t.act("type", query)
    t.shot()
    t.act("home", expect="home")
    catalog = t.ui.journey.catalog
    if catalog.departments:
        t.act("group", catalog.departments[0].code, expect="group")
        t.shot()


def run_tour_command(
    config: KioskConfig,
    out: Path,
    *,
    quick: bool = False,
    emulated_devices: bool = False,
    receipts: Path | None = None,
) -> int:
    """Entry point of ``kiosk --headless-tour DIR``.

    With ``emulated_devices`` the ID card reader and the receipt printer are the real drivers talking to
    emulators on pseudo-terminals started here (the card is placed and taken back as a citizen would),
    and a preview PNG of every printed receipt is written to ``receipts`` (default ``DIR/receipts``).
    """
    from contextlib import ExitStack

    with ExitStack() as emulators:
        extras: dict[str, Any] = {}
        printer_emulator = None
        if emulated_devices:
            from devices.emulators.idcard import SamReaderEmulator
            from devices.printer.emulator import SerialPrinterEmulator

            reader = emulators.enter_context(SamReaderEmulator())
            printer_emulator = emulators.enter_context(SerialPrinterEmulator())
            config = config.with_overrides(
                {"devices": {"idcard": f"sam://{reader.path}", "printer": printer_emulator.uri}}
            )
            extras = {"place_card": reader.place_card, "remove_card": reader.remove_card}
        code = _run_tour(config, out, quick=quick, extras=extras)
        if printer_emulator is not None:
            count = write_receipt_previews(printer_emulator.core.printed, receipts or out / "receipts")
            print(f"tour: {count} receipt previews in {receipts or out / 'receipts'}")
        return code


def write_receipt_previews(printed: bytes, directory: Path) -> int:
    """One PNG per receipt (each starts with ESC @) rendered from the bytes the printer received."""
    from devices.printer.preview import render_preview

    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("receipt-*.png"):
        old.unlink()
    jobs = [b"\x1b@" + chunk for chunk in printed.split(b"\x1b@") if chunk.strip(b"\x00\n")]
    for number, job in enumerate(jobs, 1):
        render_preview(job).save(directory / f"receipt-{number:02d}.png")
    return len(jobs)


def _run_tour(config: KioskConfig, out: Path, *, quick: bool, extras: dict[str, Any]) -> int:
    from PySide6.QtGui import QGuiApplication

    from kiosk.app import build_kiosk
    from ui.adapters.post import QtPost
    from ui.app import CjkFontMissing, build_ui, choose_renderer
    from ui.run import session_settings
    from ui.tour_scripts import scripts_for

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    choose_renderer("offscreen")
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    post = QtPost()
    clock = TourClock()
    kiosk = build_kiosk(config, post=post, clock=clock)
    work = kiosk.work
    try:
        ui = build_ui(
            catalog=kiosk.catalog,
            applications=kiosk.applications,
            services=kiosk.services,
            printer=kiosk.printer,
            runner=work,
            clock=clock,
            settings=session_settings(config),
            kiosk_id=config.kiosk.id,
            catalog_source=kiosk.catalog_source,
            devices=kiosk.devices,
            fullscreen=False,
            headless=True,
        )
    except CjkFontMissing as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        kiosk.close()
        return 3
    ui.window.resize(1920, 1080)
    tour = Tour(ui, out, app)
    tour.extras["skip_clock"] = clock.skip
    tour.extras["devices"] = kiosk.device_objects
    tour.extras.update(extras)
    combos = COMBINATIONS[:1] if quick else COMBINATIONS
    tour.run(combos, scripts_for(kiosk))
    ui.close()
    kiosk.close()
    print(f"tour: {len(tour.shots)} screenshots in {out}")
    if ui.warnings:
        print("tour: QML warnings:\n  " + "\n  ".join(ui.warnings), file=sys.stderr)
        return 1
    return 1 if tour.failures else 0
