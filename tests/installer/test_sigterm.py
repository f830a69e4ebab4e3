"""SIGTERM to a real kiosk-like process: it stops cleanly, tells systemd, and loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from offline_cache.outbox import Outbox, RowInfo, State
from offline_cache.sealing import Sealer, load_device_key
from tests.support.sdnotify import NotifyListener

ROOT = Path(__file__).resolve().parents[2]


def start(state: Path, listener: NotifyListener, *extra: str, watchdog_usec: int = 2_000_000):
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
        "NOTIFY_SOCKET": listener.env_value,
        "WATCHDOG_USEC": str(watchdog_usec),
    }
    env.pop("WATCHDOG_PID", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.kiosk_process", str(state), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_line(proc: subprocess.Popen[str], wanted: str, timeout: float = 60.0) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            break
        lines.append(line.strip())
        if line.strip() == wanted:
            return lines
    raise AssertionError(f"never saw {wanted!r}; got {lines}")


@pytest.mark.timeout(120)
def test_sigterm_mid_save_finishes_the_save_and_closes_cleanly(tmp_path: Path) -> None:
    with NotifyListener() as listener:
        proc = start(tmp_path, listener, "--save-on-signal")
        try:
            ready = listener.wait_for("READY", timeout=60)
            assert ready is not None and ready["MAINPID"] == str(proc.pid)
            wait_line(proc, "saving")
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, err
        lines = out.split("\n")
        # Input stops first, the running save completes, and only then is the outbox closed.
        assert lines.index("input stopped") < lines.index("saved") < lines.index("closed outbox")
        assert "exit 0 clean=True" in lines
        stopping = listener.wait_for("STOPPING", timeout=10)
        assert stopping is not None and "SIGTERM" in stopping["STATUS"]
    rows = stored_rows(tmp_path)
    # The row pending before the stop and the one saved during it: both kept, both still to send.
    assert [row.state for row in rows] == [State.READY, State.READY]


@pytest.mark.timeout(120)
def test_watchdog_pings_arrive_while_the_loop_runs(tmp_path: Path) -> None:
    with NotifyListener() as listener:
        proc = start(tmp_path, listener, watchdog_usec=1_000_000)
        try:
            assert listener.wait_for("READY", timeout=60) is not None
            pings = 0
            deadline = time.monotonic() + 30
            while pings < 3 and time.monotonic() < deadline:
                if listener.wait_for("WATCHDOG", timeout=5) is not None:
                    pings += 1
            assert pings >= 3
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
        finally:
            if proc.poll() is None:
                proc.kill()


def stored_rows(state: Path) -> list[RowInfo]:
    key = load_device_key(state / "device.key", create=False)
    outbox = Outbox(state / "outbox.db", Sealer(key, rotation_seconds=86400), startup_checks=False)
    try:
        return list(outbox.rows())
    finally:
        outbox.close()
