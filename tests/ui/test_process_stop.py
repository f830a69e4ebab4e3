"""The real ``kiosk`` process under systemd: READY after the first frame, a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.sdnotify import NotifyListener


def test_the_kiosk_says_ready_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[storage]\nstate_dir = "{tmp_path / "state"}"\n[ui]\nvoice = false\n', encoding="utf-8"
    )
    with NotifyListener() as listener:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "NOTIFY_SOCKET": listener.env_value,
            "WATCHDOG_USEC": "2000000",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "--config", str(config)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            ready = listener.wait_for("READY", timeout=60)
            assert ready is not None, "no READY=1 from the kiosk"
            assert listener.wait_for("WATCHDOG", timeout=10) is not None  # pinged from the Qt loop
            proc.send_signal(signal.SIGTERM)
            stopping = listener.wait_for("STOPPING", timeout=20)
            _out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert stopping is not None and "SIGTERM" in stopping.get("STATUS", "")
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err
