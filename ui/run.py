"""Run the kiosk: the Qt application with the real backends, until the process is stopped."""

from __future__ import annotations

import logging
import signal
import sys

from kiosk.clock import SystemClock
from kiosk.config import KioskConfig
from kiosk.session import SessionSettings

log = logging.getLogger(__name__)


def session_settings(config: KioskConfig) -> SessionSettings:
    return SessionSettings(
        idle_warning_s=config.session.idle_warning_s,
        countdown_s=config.session.countdown_s,
        elder_idle_factor=config.session.elder_idle_factor,
        default_language=config.kiosk.language,
        default_elder_mode=config.kiosk.elder_mode,
    )


def run_kiosk(config: KioskConfig, *, fullscreen: bool = True) -> int:
    from PySide6.QtGui import QGuiApplication

    from kiosk.dispatch import BackgroundWork
    from ui.adapters.post import QtPost
    from ui.app import CjkFontMissing, build_ui, choose_renderer
    from ui.wiring import build_backends

    choose_renderer()
    app = QGuiApplication(sys.argv[:1])
    post = QtPost()
    work = BackgroundWork(post)
    backends = build_backends(config, post)
    try:
        ui = build_ui(
            catalog=backends.catalog,
            applications=backends.applications,
            services=backends.services,
            printer=backends.printer,
            runner=work,
            clock=SystemClock(),
            settings=session_settings(config),
            kiosk_id=config.kiosk.id,
            catalog_source=backends.catalog_source,
            devices=backends.devices,
            fullscreen=fullscreen,
            voice=config.ui.voice,
        )
    except CjkFontMissing as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 3
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    code = app.exec()
    ui.close()
    work.shutdown(wait=False)
    backends.close()
    return int(code)
