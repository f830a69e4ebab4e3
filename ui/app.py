"""The Qt Quick application: window, renderer choice, font check, adapters, and the session clock.

``build_ui`` builds the object graph for the screens from the core pieces it is handed (the composition
root or a test supplies them) and loads ``qml/Main.qml``. Thread rule: everything here runs on the GUI
thread, which is also the core thread.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Property, QObject, QTimer, QUrl, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickWindow, QSGRendererInterface

from kiosk.catalog import Catalog
from kiosk.clock import Clock
from kiosk.flows.journey import Journey
from kiosk.flows.ports import Applications, ReceiptPrinter, Runner, Services
from kiosk.i18n import Strings
from kiosk.receipts import ReceiptContext
from kiosk.search import SearchIndex
from kiosk.session import IdlePhase, Session, SessionSettings
from ui.adapters.session import SessionAdapter
from ui.adapters.speech import SpeechAdapter
from ui.adapters.theme import ThemeAdapter
from ui.qr_images import QrImageProvider

log = logging.getLogger(__name__)

QML_DIR = Path(__file__).parent / "qml"
PREFERRED_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Noto Sans SC")
CATALOG_REFRESH_S = 60.0
FIRST_LOAD_FALLBACK_MS = 1000
SOFTWARE_PLATFORMS = frozenset({"offscreen", "minimal", "vnc", "linuxfb"})


class CjkFontMissing(RuntimeError):
    """No installed font can show Simplified Chinese: the screens would show empty boxes."""


def choose_renderer(platform: str | None = None, dri: Path = Path("/dev/dri")) -> str:
    """Use Qt Quick's software renderer when there is no GPU; must run before the first window."""
    platform = platform if platform is not None else os.environ.get("QT_QPA_PLATFORM", "")
    forced = os.environ.get("KIOSK_RENDERER", "")
    no_gpu = not any(dri.glob("renderD*")) if dri.exists() else True
    if forced == "software" or (forced != "gpu" and (platform in SOFTWARE_PLATFORMS or no_gpu)):
        QQuickWindow.setGraphicsApi(QSGRendererInterface.GraphicsApi.Software)
        return "software"
    return "gpu"


def check_cjk_font() -> str:
    """The font family to use for Chinese; ``CjkFontMissing`` with the fix when there is none."""
    families = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    for preferred in PREFERRED_FONTS:
        if preferred in families:
            return preferred
    if families:
        return families[0]
    raise CjkFontMissing(
        "no font with Simplified Chinese characters is installed; install one, e.g. "
        "'apt-get install fonts-noto-cjk', then start the kiosk again"
    )


class UiFlags(QObject):
    """Small switches the QML reads (``k.headless`` stops looping animations for screenshots)."""

    changed = Signal()

    def __init__(self, headless: bool, virtual_keyboard: bool = False) -> None:
        super().__init__()
        self._headless = headless
        self._virtual_keyboard = virtual_keyboard

    def _get_headless(self) -> bool:
        return self._headless

    def _get_virtual_keyboard(self) -> bool:
        return self._virtual_keyboard

    headless = Property(bool, _get_headless, notify=changed)
    # The optional Qt Virtual Keyboard (GPLv3 or commercial): free text with Pinyin input.
    virtualKeyboard = Property(bool, _get_virtual_keyboard, notify=changed)


@dataclass
class KioskUi:
    engine: QQmlApplicationEngine
    window: QQuickWindow
    session: Session
    journey: Journey
    adapter: SessionAdapter
    theme: ThemeAdapter
    speech: SpeechAdapter
    timer: QTimer
    warnings: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        """Tear the screens down before the adapters they bind to go away (no dangling bindings)."""
        import shiboken6

        self.timer.stop()
        timer = self.extras.get("catalog_timer")
        if timer is not None:
            timer.stop()
        self.window.close()
        for guard in ("watchdog", "lockdown"):
            stop = getattr(self.extras.get(guard), "stop", None) or getattr(
                self.extras.get(guard), "release", None
            )
            if stop is not None:
                stop()
        if shiboken6.isValid(self.engine):
            # Synchronously: the engine deletes its windows and bindings while the adapters still live.
            shiboken6.delete(self.engine)


def build_ui(
    *,
    catalog: Catalog,
    applications: Applications,
    services: Services,
    printer: ReceiptPrinter,
    runner: Runner,
    clock: Clock,
    settings: SessionSettings,
    kiosk_id: str,
    fullscreen: bool = True,
    headless: bool = False,
    voice: bool = False,
    virtual_keyboard: bool = False,
    tick_ms: int = 500,
    catalog_source: Callable[[], Catalog | None] | None = None,
    devices: Any = None,
) -> KioskUi:
    """Build the screens over the given core pieces and show the window."""
    font = check_cjk_font()

    def receipt_context() -> ReceiptContext:
        return ReceiptContext(session.language, kiosk_id, clock.now().astimezone())

    journey = Journey(
        catalog,
        applications=applications,
        services=services,
        printer=printer,
        runner=runner,
        receipt_context=receipt_context,
    )
    session = Session(journey, clock, settings)
    adapter = SessionAdapter(session, SearchIndex(()))
    theme = ThemeAdapter()
    theme.set_elder(session.elder_mode)
    speech = SpeechAdapter(voice)
    speech.set_language(session.language)
    flags = UiFlags(headless, virtual_keyboard)

    def on_settings() -> None:
        theme.set_elder(session.elder_mode)
        speech.set_language(session.language)
        speech.set_volume(session.volume)

    session.on_change(on_settings)
    session.on_wipe(lambda reason: speech.wipe())
    if voice:
        adapter.viewChanged.connect(lambda: speech.say(str(adapter.current_view().get("speech", ""))))
    warned = [False]

    def on_idle() -> None:
        # The countdown is spoken as well as shown (A10), once when it starts.
        warning = session.phase() is IdlePhase.WARNING
        if warning and not warned[0]:
            speech.say(Strings(session.language).text("idle.speech"))
        warned[0] = warning

    adapter.idleChanged.connect(on_idle)

    engine = QQmlApplicationEngine()
    warnings: list[str] = []
    engine.warnings.connect(lambda errors: warnings.extend(e.toString() for e in errors))
    qr_provider = QrImageProvider()
    engine.addImageProvider("qr", qr_provider)
    context = engine.rootContext()
    context.setContextProperty("k", adapter)
    context.setContextProperty("theme", theme)
    context.setContextProperty("speech", speech)
    context.setContextProperty("uiFlags", flags)
    adapter.setProperty("headless", headless)
    engine.load(QUrl.fromLocalFile(str(QML_DIR / "Main.qml")))
    roots = engine.rootObjects()
    if not roots:
        raise RuntimeError("the kiosk screens failed to load: " + "; ".join(warnings))
    window = roots[0]
    assert isinstance(window, QQuickWindow)
    log.info("screens loaded", extra={"font": font})

    extras: dict[str, Any] = {"catalog_ready": False}

    # Pinyin dictionaries load in about a third of a second, and the catalogue comes over the network:
    # both happen off the UI thread after the window is up.
    def load_catalog(first: bool) -> tuple[Catalog, SearchIndex] | None:
        fresh: Catalog | None = catalog if first else None
        if catalog_source is not None:
            try:
                fresh = catalog_source() or fresh
            except Exception as exc:  # offline: the catalogue in use serves meanwhile
                log.warning("catalogue not fetched", extra={"error": type(exc).__name__})
        return (fresh, SearchIndex(fresh.items)) if fresh is not None else None

    def catalog_loaded(result: tuple[Catalog, SearchIndex] | None) -> None:
        if result is not None:
            journey.set_catalog(result[0])
            adapter.set_search(result[1])
        extras["catalog_ready"] = True

    def refresh_catalog(first: bool = False) -> None:
        runner.run(
            lambda: load_catalog(first),
            catalog_loaded,
            lambda exc: log.error("catalogue not loaded", extra={"error": type(exc).__name__}),
        )

    first_load_started = False

    def start_first_load() -> None:
        # Only after the first frame: importing pypinyin's dictionaries on a worker holds the GIL for
        # tens of milliseconds at a time, which would otherwise delay that frame.
        nonlocal first_load_started
        if not first_load_started:
            first_load_started = True
            window.frameSwapped.disconnect(start_first_load)  # not a per-frame call from now on
            refresh_catalog(first=True)

    window.frameSwapped.connect(start_first_load)
    QTimer.singleShot(FIRST_LOAD_FALLBACK_MS, start_first_load)  # a window never drawn still gets one
    # Asking for the catalogue now and then (a 304 when unchanged) also shows the service is reachable.
    catalog_timer = QTimer()
    catalog_timer.setInterval(int(CATALOG_REFRESH_S * 1000))
    catalog_timer.timeout.connect(lambda: refresh_catalog())
    if catalog_source is not None:
        catalog_timer.start()

    if devices is not None:
        from kiosk.flows.devices import DevicePrinter, DeviceRouter

        device_printer = printer if isinstance(printer, DevicePrinter) else None
        extras["router"] = DeviceRouter(devices, session, device_printer)

    def tick() -> None:
        adapter.set_online(journey.is_online)
        adapter.tick()

    timer = QTimer()
    timer.setInterval(tick_ms)
    timer.timeout.connect(tick)
    timer.start()
    extras["tick"] = tick

    # Context properties do not keep Python objects alive: the KioskUi holds them.
    extras.update({"flags": flags, "qr": qr_provider, "catalog_timer": catalog_timer})
    if fullscreen:
        _install_kiosk_guards(window, extras)
    if fullscreen:
        window.showFullScreen()
    else:
        window.show()
    return KioskUi(engine, window, session, journey, adapter, theme, speech, timer, warnings, extras)


def _install_kiosk_guards(window: QQuickWindow, extras: dict[str, Any]) -> None:
    """Lockdown (no escape shortcuts) and the systemd watchdog (READY after the first frame)."""
    from kiosk.sdnotify import SdNotifier
    from ui.lockdown import Lockdown
    from ui.watchdog import start_watchdog

    app = QGuiApplication.instance()
    extras["lockdown"] = Lockdown(app, window)
    extras["watchdog"] = start_watchdog(app, window, SdNotifier.from_environment())
