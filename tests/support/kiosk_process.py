"""A small kiosk-like process for SIGTERM and watchdog tests: ``python -m tests.support.kiosk_process``.

It shows an offscreen Qt Quick window with the lockdown, the watchdog and the shutdown hook wired as
the application wires them, over a real outbox in ``argv[1]`` (a state directory). With ``--save-on-signal``
a save is still running on a worker thread when SIGTERM arrives: the shutdown must let it finish. It
prints one line per milestone on stdout (``ready``, ``saving``, ``saved``, ``closed outbox``, ``exit``).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine

from kiosk.sdnotify import SdNotifier
from kiosk.shutdown import GracefulShutdown
from offline_cache.ids import new_application_id
from offline_cache.outbox import Outbox
from offline_cache.sealing import Sealer, load_device_key
from ui.lockdown import install_lockdown
from ui.signals import install_shutdown_hook
from ui.watchdog import start_watchdog

WINDOW = b"import QtQuick\nWindow { width: 320; height: 240; visible: true; color: 'white' }\n"


_SAY = threading.Lock()


def say(text: str) -> None:
    """One whole line per milestone: print() writes the text and its newline separately, so two
    threads printing at once could merge their lines ("savingready") and the test miss both."""
    with _SAY:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def main() -> int:
    state = Path(sys.argv[1])
    slow_save = "--save-on-signal" in sys.argv
    app = QGuiApplication(sys.argv[:1])
    key = load_device_key(state / "device.key", create=True)
    outbox = Outbox(state / "outbox.db", Sealer(key, rotation_seconds=86400))
    outbox.add(new_application_id(), b'{"item": "pending-before-stop"}')

    saving: list[threading.Thread] = []
    accepting = threading.Event()
    accepting.set()

    def slow_save_worker() -> None:
        say("saving")
        time.sleep(1.0)  # a save that is part-way through when the stop request comes
        outbox.add(new_application_id(), b'{"item": "saved-during-stop"}')
        say("saved")

    def stop_input() -> None:
        accepting.clear()
        say("input stopped")

    def close_outbox() -> None:
        outbox.close()
        say("closed outbox")

    notifier = SdNotifier.from_environment()
    shutdown = GracefulShutdown(
        stop_input=stop_input,
        is_idle=lambda: not any(t.is_alive() for t in saving),
        close_steps=[("close outbox", close_outbox)],
        settle_timeout_s=20.0,
        notifier=notifier,
    )
    engine = QQmlApplicationEngine()
    engine.loadData(QByteArray(WINDOW), QUrl("kiosk.qml"))
    window = engine.rootObjects()[0]
    lockdown = install_lockdown(app, window)
    watchdog = start_watchdog(app, window, notifier)
    hook = install_shutdown_hook(app, shutdown)
    if slow_save:
        worker = threading.Thread(target=slow_save_worker)
        saving.append(worker)
        worker.start()
    say("ready")
    code = app.exec()
    say(f"exit {code} clean={hook.report.clean if hook.report else None}")
    del lockdown, watchdog
    return code


if __name__ == "__main__":
    sys.exit(main())
