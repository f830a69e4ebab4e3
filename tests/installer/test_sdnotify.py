"""sd_notify messages as systemd would receive them on its notification socket."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.sdnotify import NotifyFieldError, SdNotifier, format_message, socket_address
from tests.support.sdnotify import NotifyListener

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=[False, True], ids=["path", "abstract"])
def listener(request: pytest.FixtureRequest):
    with NotifyListener(abstract=request.param) as lst:
        yield lst


def test_ready_watchdog_status_stopping_arrive_in_order(listener: NotifyListener) -> None:
    notifier = SdNotifier.from_environment({"NOTIFY_SOCKET": listener.env_value})
    assert notifier.enabled
    assert notifier.ready(status="serving", main_pid=4242)
    assert notifier.watchdog()
    assert notifier.status("printer paper low")
    assert notifier.stopping(status="shutting down")
    got = [listener.receive() for _ in range(4)]
    assert got == [
        {"READY": "1", "STATUS": "serving", "MAINPID": "4242"},
        {"WATCHDOG": "1"},
        {"STATUS": "printer paper low"},
        {"STOPPING": "1", "STATUS": "shutting down"},
    ]


def test_no_socket_means_silent_no_op() -> None:
    notifier = SdNotifier.from_environment({})
    assert not notifier.enabled
    assert notifier.watchdog_interval is None
    assert notifier.ready() is False
    assert notifier.watchdog() is False


def test_listener_gone_does_not_raise(tmp_path: Path) -> None:
    notifier = SdNotifier.from_environment({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    assert notifier.enabled
    assert notifier.watchdog() is False


@pytest.mark.parametrize("value", ["", "relative/path", "vsock:2:1234", "@"])
def test_unsupported_socket_values_disable(value: str) -> None:
    assert socket_address(value) is None
    assert not SdNotifier.from_environment({"NOTIFY_SOCKET": value}).enabled


def test_abstract_namespace_address_has_leading_nul() -> None:
    assert socket_address("@/org/freedesktop/systemd1/notify") == "\0/org/freedesktop/systemd1/notify"
    assert socket_address("/run/systemd/notify") == "/run/systemd/notify"


def test_newline_in_a_value_is_refused(listener: NotifyListener) -> None:
    notifier = SdNotifier.from_environment({"NOTIFY_SOCKET": listener.env_value})
    with pytest.raises(NotifyFieldError):
        notifier.status("two\nlines")
    with pytest.raises(NotifyFieldError):
        notifier.send({"lower": "1"})
    with pytest.raises(NotifyFieldError):
        format_message({})
    assert listener.receive(timeout=0.2) is None


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WATCHDOG_USEC": "30000000"}, 30.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 30.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({"WATCHDOG_USEC": "5000000", "WATCHDOG_PID": "x"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval_follows_sd_watchdog_enabled(env: dict[str, str], expected: float | None) -> None:
    assert SdNotifier.from_environment(env).watchdog_interval == expected


def test_a_child_process_reaches_the_socket(listener: NotifyListener) -> None:
    # The kiosk runs as a child of the compositor: the environment is all it inherits.
    code = "from kiosk.sdnotify import SdNotifier; SdNotifier.from_environment().ready(status='up')"
    env = {**os.environ, "NOTIFY_SOCKET": listener.env_value, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert listener.receive() == {"READY": "1", "STATUS": "up"}
