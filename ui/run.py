"""Run the kiosk: the Qt application over the object graph ``build_kiosk`` makes, until stopped.

The attract screen comes first: the config file is read (not yet validated), the window shown, and only
after its first frame are the config validated, the composition root built and the core attached. A
config problem still ends the process with one line and exit status 2; a missing CJK font with 3.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.config import KioskConfig
    from kiosk.session import SessionSettings

log = logging.getLogger(__name__)


def session_settings(config: KioskConfig) -> SessionSettings:
    from kiosk.session import SessionSettings

    return SessionSettings(
        idle_warning_s=config.session.idle_warning_s,
        countdown_s=config.session.countdown_s,
        elder_idle_factor=config.session.elder_idle_factor,
        default_language=config.kiosk.language,
        default_elder_mode=config.kiosk.elder_mode,
    )


def run_kiosk(config_path: Path | None, *, fullscreen: bool = True) -> int:
    """Run until stopped; the exit status (2: config error, 3: no CJK font)."""
    from kiosk.config_file import ConfigError, first_frame_settings, read_config_file

    try:
        data = read_config_file(config_path) if config_path is not None else {}
    except ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    early = first_frame_settings(data)

    from PySide6.QtGui import QGuiApplication

    from ui.app import CjkFontMissing, after_first_frame, choose_renderer, show_first_frame

    choose_renderer()
    if early.virtual_keyboard:
        # Qt Virtual Keyboard is GPLv3 or commercial, so it is off unless the operator turns it on.
        os.environ["QT_IM_MODULE"] = "qtvirtualkeyboard"
    app = QGuiApplication(sys.argv[:1])
    try:
        first = show_first_frame(
            language=early.language,
            elder=early.elder_mode,
            fullscreen=fullscreen,
            virtual_keyboard=early.virtual_keyboard,
        )
    except CjkFontMissing as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 3

    started: list[tuple[Any, Any, Any]] = []
    failure: list[BaseException] = []

    def start_core() -> None:
        try:
            started.append(_start_core(app, first, data, config_path))
        except ConfigError as exc:
            print(f"kiosk: {exc}", file=sys.stderr)
            app.exit(2)
        except BaseException as exc:  # raised again once the event loop has stopped
            failure.append(exc)
            app.exit(1)

    after_first_frame(first.window, start_core)
    code = app.exec()
    if started:
        ui, kiosk, hook = started[0]
        hook.close()
        ui.close()
        kiosk.close()
    else:
        first.close()
    if failure:
        raise failure[0]
    return int(code)


def _start_core(app: Any, first: Any, data: dict[str, Any], config_path: Path | None) -> tuple[Any, Any, Any]:
    """Validate the config, build the composition root and attach it to the window."""
    from kiosk.app import build_kiosk
    from kiosk.config import KioskConfig, validate_config
    from ui.adapters.post import QtPost
    from ui.app import attach_core

    local = validate_config(data, str(config_path)) if config_path is not None else KioskConfig()
    # The composition root: logging, clock, worker pool, API client, outbox and relay, devices.
    kiosk = build_kiosk(local, post=QtPost())
    config = kiosk.config  # the local file with the activated signed configuration over it
    try:
        ui = attach_core(
            first,
            catalog=kiosk.catalog,
            applications=kiosk.applications,
            services=kiosk.services,
            printer=kiosk.printer,
            runner=kiosk.work,
            clock=kiosk.clock,
            settings=session_settings(config),
            kiosk_id=config.kiosk.id,
            catalog_source=kiosk.catalog_source,
            devices=kiosk.devices,
            voice=config.ui.voice,
        )
    except BaseException:
        kiosk.close()
        raise
    _publish_session_events(ui, kiosk)
    hook = _install_graceful_stop(app, ui, kiosk)
    _restart_on_new_config(kiosk, hook)
    return ui, kiosk, hook


def _publish_session_events(ui: Any, kiosk: Any) -> None:
    """``session_did_start`` when a citizen leaves the attract screen, ``session_did_end`` at the wipe:
    other parts (e.g. activating a new configuration) wait for the kiosk to be between citizens.

    From identification to the wipe, the log redactor also masks the citizen's name, ID number,
    phone and address wherever they appear, whatever a log line looks like.
    """
    from kiosk.events import SessionDidEnd, SessionDidStart

    on_attract = [True]
    remembered: list[Any] = [None]  # the identity handed to the redactor (every state change carries it)

    def on_state(state: Any) -> None:
        if on_attract[0] and state.step != "attract":
            kiosk.events.publish(SessionDidStart())
        on_attract[0] = state.step == "attract"
        identity = state.identity
        if identity is not None and identity is not remembered[0]:
            remembered[0] = identity
            kiosk.redactor.remember(identity.name, identity.id_number, identity.phone, identity.address)

    def on_wipe(reason: Any) -> None:
        remembered[0] = None
        kiosk.redactor.forget_all()
        kiosk.events.publish(SessionDidEnd(reason.value))

    ui.journey.subscribe(on_state)
    ui.session.on_wipe(on_wipe)


def _install_graceful_stop(app: Any, ui: Any, kiosk: Any) -> Any:
    """SIGTERM/SIGINT: stop taking input, let a running save or submit finish (or abandon it after
    10 s: what was confirmed is already durable in the outbox), end the citizen's session with its
    wipe, then leave the event loop; ``kiosk.close()`` then closes the outbox and the devices."""
    from kiosk.sdnotify import SdNotifier
    from kiosk.session import EndReason
    from kiosk.shutdown import GracefulShutdown
    from ui.signals import install_shutdown_hook

    def stop_input() -> None:
        # The lockdown refuses to close the window; a stop requested by the system must get through.
        lockdown = ui.extras.get("lockdown")
        if lockdown is not None:
            lockdown.release()
        root = ui.window.contentItem()
        if root is not None:
            root.setEnabled(False)  # no more touches
        if kiosk.devices is not None:
            for name in ("idcard", "scanner"):
                if name in kiosk.devices.names:
                    kiosk.devices.disable(name)  # no more cards or codes

    def end_session() -> None:
        if ui.session.active:
            ui.session.end(EndReason.CANCELLED)

    shutdown = GracefulShutdown(
        stop_input=stop_input,
        is_idle=lambda: not ui.journey.is_working,
        abandon=lambda: None,  # the session's end below wipes whatever step was running
        close_steps=[("end session", end_session)],
        notifier=SdNotifier.from_environment(),
    )
    return install_shutdown_hook(app, shutdown)


def _restart_on_new_config(kiosk: Any, hook: Any) -> None:
    """A signed config activated between citizens applies from the next start. Under systemd
    (``Restart=always``) the kiosk restarts itself at once, through the same orderly stop as SIGTERM;
    elsewhere it says so and keeps running on the config it started with."""
    from kiosk.events import ConfigDidActivate

    def activated(event: ConfigDidActivate) -> None:
        if os.environ.get("NOTIFY_SOCKET"):
            log.info("restarting to apply configuration", extra={"version": event.version})
            hook.trigger("config activated")
        else:
            log.info(
                "configuration activated; it applies at the next start", extra={"version": event.version}
            )

    kiosk.events.subscribe(ConfigDidActivate, activated)
