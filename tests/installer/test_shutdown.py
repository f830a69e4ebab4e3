"""The shutdown sequence without Qt: order, the settle deadline, failing steps, signal wake-up."""

from __future__ import annotations

import os
import select
import signal

from kiosk.sdnotify import SdNotifier
from kiosk.shutdown import GracefulShutdown, Phase, SignalWakeup
from tests.support.sdnotify import NotifyListener


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_steps_run_in_order_after_the_current_step_finishes() -> None:
    calls: list[str] = []
    busy = [True]
    shutdown = GracefulShutdown(
        stop_input=lambda: calls.append("stop input"),
        is_idle=lambda: not busy[0],
        close_steps=[
            ("outbox", lambda: calls.append("outbox")),
            ("devices", lambda: calls.append("devices")),
        ],
    )
    assert shutdown.begin("SIGTERM")
    assert not shutdown.begin("SIGTERM")  # a second request changes nothing
    assert shutdown.poll() is None and calls == ["stop input"]
    busy[0] = False
    report = shutdown.poll()
    assert report is not None and report.clean and report.reason == "SIGTERM"
    assert calls == ["stop input", "outbox", "devices"]
    assert shutdown.phase is Phase.DONE and shutdown.poll() is None


def test_a_step_that_never_finishes_is_abandoned_at_the_deadline() -> None:
    clock = FakeClock()
    abandoned: list[bool] = []
    closed: list[bool] = []
    shutdown = GracefulShutdown(
        is_idle=lambda: False,
        abandon=lambda: abandoned.append(True),
        close_steps=[("outbox", lambda: closed.append(True))],
        settle_timeout_s=5.0,
        clock=clock,
    )
    shutdown.begin("SIGTERM")
    clock.now = 4.9
    assert shutdown.poll() is None and not closed
    clock.now = 5.0
    report = shutdown.poll()
    assert report is not None and report.abandoned and not report.clean
    assert abandoned == [True] and closed == [True]


def test_a_failing_step_does_not_stop_the_others_and_leaks_no_message(caplog) -> None:
    closed: list[str] = []

    def broken() -> None:
        raise RuntimeError("applicant 110101199003071234 Zhang San")

    shutdown = GracefulShutdown(
        close_steps=[("outbox", broken), ("devices", lambda: closed.append("devices"))],
    )
    report = shutdown.run("SIGTERM", sleep=lambda _: None)
    assert report is not None and report.failed_steps == ("outbox",)
    assert closed == ["devices"]
    assert "110101199003071234" not in caplog.text and "Zhang" not in caplog.text


def test_stopping_is_announced_to_systemd() -> None:
    with NotifyListener() as listener:
        notifier = SdNotifier.from_environment({"NOTIFY_SOCKET": listener.env_value})
        GracefulShutdown(notifier=notifier).run("SIGTERM", sleep=lambda _: None)
        assert listener.receive() == {"STOPPING": "1", "STATUS": "stopping (SIGTERM)"}


def test_signal_wakeup_turns_sigterm_into_a_readable_byte() -> None:
    previous = signal.getsignal(signal.SIGTERM)
    wakeup = SignalWakeup((signal.SIGTERM,))
    try:
        os.kill(os.getpid(), signal.SIGTERM)  # would end the test run without the handler
        readable, _, _ = select.select([wakeup], [], [], 5)
        assert readable
        assert wakeup.drain() == [signal.SIGTERM]
        assert wakeup.drain() == []
    finally:
        wakeup.close()
        wakeup.close()
    assert signal.getsignal(signal.SIGTERM) == previous
