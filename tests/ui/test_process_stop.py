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


def _run_kiosk(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", "--config", str(config)],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _said(err: str) -> list[str]:
    chatter = ("This plugin does not support", "propagateSizeHints")  # the offscreen platform's own
    return [line for line in err.splitlines() if line.strip() and not any(c in line for c in chatter)]


def test_a_config_error_found_after_the_first_frame_still_ends_the_kiosk_with_one_line(
    tmp_path: Path,
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[storage]\nstate_dir = "{tmp_path / "state"}"\n[kiosk]\nidd = "x"\n', "utf-8")
    result = _run_kiosk(config)
    assert result.returncode == 2
    assert _said(result.stderr) == ["kiosk: " + f"{config}: unknown key [kiosk] idd"]
    assert not (tmp_path / "state").exists()  # nothing was built from a config that is not valid


def test_a_file_that_is_not_toml_is_refused_before_any_window(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text("[kiosk\n", "utf-8")
    result = _run_kiosk(config)
    assert result.returncode == 2
    said = _said(result.stderr)
    assert len(said) == 1 and "not valid TOML" in said[0]
