"""The Qt Quick application: window, renderer choice, font check, adapters, and the session clock.

Start-up comes in two steps so that the attract screen is on screen as early as possible:
``show_first_frame`` loads the screens over adapters that need only the string table and the theme, and
shows the window; ``attach_core`` then builds the session and the flows over the core pieces it is
handed (the composition root or a test supplies them). ``build_ui`` does both at once. Thread rule:
everything here runs on the GUI thread, which is also the core thread.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Property, QObject, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickWindow, QSGRendererInterface

from kiosk.i18n import Language
from ui.adapters.session import SessionAdapter
from ui.adapters.speech import SpeechAdapter
from ui.adapters.theme import ThemeAdapter

if TYPE_CHECKING:
    from kiosk.catalog import Catalog
    from kiosk.clock import Clock
    from kiosk.flows.journey import Journey
    from kiosk.flows.ports import Applications, ReceiptPrinter, Runner, Services
    from kiosk.session import Session, SessionSettings

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


class FirstFrame:
    """The window as it is first shown: the attract screen, drawn before the core is attached.

    (Plain classes here rather than dataclasses: importing ``dataclasses`` would delay that frame.)
    """

    def __init__(
        self,
        engine: QQmlApplicationEngine,
        window: QQuickWindow,
        adapter: SessionAdapter,
        theme: ThemeAdapter,
        speech: SpeechAdapter,
        warnings: list[str],
        extras: dict[str, Any],
        fullscreen: bool,
    ) -> None:
        self.engine, self.window, self.adapter = engine, window, adapter
        self.theme, self.speech = theme, speech
        self.warnings, self.extras, self.fullscreen = warnings, extras, fullscreen

    def close(self) -> None:
        """Tear the screens down before the adapters they bind to go away (no dangling bindings)."""
        import shiboken6

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


class KioskUi:
    """The screens with the core attached: what ``build_ui`` and ``attach_core`` return."""

    def __init__(self, first: FirstFrame, session: Session, journey: Journey, timer: QTimer) -> None:
        self._first = first
        self.engine, self.window, self.adapter = first.engine, first.window, first.adapter
        self.theme, self.speech = first.theme, first.speech
        self.warnings, self.extras = first.warnings, first.extras
        self.session, self.journey, self.timer = session, journey, timer

    def close(self) -> None:
        """Stop the timers, then tear the screens down (``FirstFrame.close``)."""
        self.timer.stop()
        timer = self.extras.get("catalog_timer")
        if timer is not None:
            timer.stop()
        self._first.close()


def show_first_frame(
    *,
    language: Language = "zh_CN",
    elder: bool = False,
    fullscreen: bool = True,
    headless: bool = False,
    virtual_keyboard: bool = False,
) -> FirstFrame:
    """Load the screens and show the window on the attract screen; ``attach_core`` brings the rest.

    Only the string table, the theme and the adapters are imported for this: the window is on screen
    while the flows, the catalogue and the composition root load behind it.
    """
    font = check_cjk_font()
    adapter = SessionAdapter(language, elder)
    theme = ThemeAdapter()
    theme.set_elder(elder)
    speech = SpeechAdapter()
    speech.set_language(language)
    flags = UiFlags(headless, virtual_keyboard)

    engine = QQmlApplicationEngine()
    warnings: list[str] = []
    engine.warnings.connect(lambda errors: warnings.extend(e.toString() for e in errors))
    context = engine.rootContext()
    context.setContextProperty("k", adapter)
    context.setContextProperty("theme", theme)
    context.setContextProperty("speech", speech)
    context.setContextProperty("uiFlags", flags)
    engine.load(str(QML_DIR / "Main.qml"))  # a path rather than a QUrl: no QUrl type set up at start
    roots = engine.rootObjects()
    if not roots:
        raise RuntimeError("the kiosk screens failed to load: " + "; ".join(warnings))
    window = roots[0]
    assert isinstance(window, QQuickWindow)
    log.info("screens loaded", extra={"font": font})
    # Context properties do not keep Python objects alive: the returned object holds them.
    extras: dict[str, Any] = {"flags": flags}
    if fullscreen:
        from ui.lockdown import Lockdown

        extras["lockdown"] = Lockdown(QGuiApplication.instance(), window)  # no way out from the start
        window.showFullScreen()
    else:
        window.show()
    return FirstFrame(engine, window, adapter, theme, speech, warnings, extras, fullscreen)


def after_first_frame(window: QQuickWindow, then: Callable[[], None]) -> None:
    """Call ``then`` once, from the event loop, after the window's first frame (or after a second if
    the window is never drawn)."""
    done = False

    def once() -> None:
        nonlocal done
        if not done:
            done = True
            window.frameSwapped.disconnect(frame_swapped)
            then()

    def frame_swapped() -> None:
        # Queued rather than called here: the renderer has just handed the frame over.
        QTimer.singleShot(0, once)

    window.frameSwapped.connect(frame_swapped)
    QTimer.singleShot(FIRST_LOAD_FALLBACK_MS, once)


def attach_core(
    first: FirstFrame,
    *,
    catalog: Catalog,
    applications: Applications,
    services: Services,
    printer: ReceiptPrinter,
    runner: Runner,
    clock: Clock,
    settings: SessionSettings,
    kiosk_id: str,
    voice: bool = False,
    tick_ms: int = 500,
    catalog_source: Callable[[], Catalog | None] | None = None,
    devices: Any = None,
) -> KioskUi:
    """Bring the session and the flows to the window ``show_first_frame`` put up."""
    from kiosk.flows.journey import Journey
    from kiosk.i18n import Strings
    from kiosk.receipts import ReceiptContext
    from kiosk.search import SearchIndex
    from kiosk.session import IdlePhase, Session
    from ui.qr_images import QrImageProvider

    adapter, theme, speech, window = first.adapter, first.theme, first.speech, first.window
    qr_provider = QrImageProvider()  # receipt codes shown on screen; none on the attract screen
    first.engine.addImageProvider("qr", qr_provider)

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
    adapter.attach(session, SearchIndex(()))
    speech.start(voice)

    def on_settings() -> None:
        theme.set_elder(session.elder_mode)
        speech.set_language(session.language)
        speech.set_volume(session.volume)

    on_settings()  # the session's settings may differ from what the first frame was drawn with
    session.on_change(on_settings)
    session.on_wipe(lambda reason: speech.wipe())
    if speech.enabled:
        adapter.viewChanged.connect(lambda: speech.say(str(adapter.current_view().get("speech", ""))))
    warned = [False]

    def on_idle() -> None:
        # The countdown is spoken as well as shown (A10), once when it starts.
        warning = session.phase() is IdlePhase.WARNING
        if warning and not warned[0]:
            speech.say(Strings(session.language).text("idle.speech"))
        warned[0] = warning

    adapter.idleChanged.connect(on_idle)
    extras = first.extras
    extras["catalog_ready"] = False

    # Pinyin dictionaries load in about a third of a second, and the catalogue comes over the network:
    # both happen off the UI thread.
    def load_catalog(initial: bool) -> tuple[Catalog, SearchIndex] | None:
        fresh: Catalog | None = catalog if initial else None
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

    def refresh_catalog(initial: bool = False) -> None:
        runner.run(
            lambda: load_catalog(initial),
            catalog_loaded,
            lambda exc: log.error("catalogue not loaded", extra={"error": type(exc).__name__}),
        )

    # Only after a frame: importing pypinyin's dictionaries on a worker holds the GIL for tens of
    # milliseconds at a time, which would otherwise hold up drawing the screen.
    after_first_frame(window, lambda: refresh_catalog(initial=True))
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
    extras.update({"tick": tick, "catalog_timer": catalog_timer, "qr": qr_provider})
    if first.fullscreen:
        _start_watchdog(window, extras)
    window.update()  # the attached screen (most-used items, overlays) on the next frame
    return KioskUi(first, session, journey, timer)


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
    """``show_first_frame`` and ``attach_core`` in one go (tests, tours)."""
    first = show_first_frame(
        language=settings.default_language,
        elder=settings.default_elder_mode,
        fullscreen=fullscreen,
        headless=headless,
        virtual_keyboard=virtual_keyboard,
    )
    return attach_core(
        first,
        catalog=catalog,
        applications=applications,
        services=services,
        printer=printer,
        runner=runner,
        clock=clock,
        settings=settings,
        kiosk_id=kiosk_id,
        voice=voice,
        tick_ms=tick_ms,
        catalog_source=catalog_source,
        devices=devices,
    )


def _start_watchdog(window: QQuickWindow, extras: dict[str, Any]) -> None:
    """The systemd watchdog; READY once the attached screen has been drawn."""
    from kiosk.sdnotify import SdNotifier
    from ui.watchdog import start_watchdog

    extras["watchdog"] = start_watchdog(QGuiApplication.instance(), window, SdNotifier.from_environment())
