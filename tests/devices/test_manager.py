"""The device manager: worker threads, events on the core thread, reconnects, jobs, reports."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from devices.base import Device, DeviceError, DeviceHardwareError, DeviceState, Health
from devices.emulators.idcard import SamReaderEmulator
from devices.idcard.driver import SamCardReader
from devices.idcard.samples import sample_card
from devices.idcard.simulated import SimCardReader
from devices.manager import Backoff, DeviceManager
from devices.sim import SimSettings
from tests.support.devices import EventLog, FakeCoreLoop

FAST = Backoff(initial_s=0.05, maximum_s=0.5)


@pytest.fixture
def core() -> FakeCoreLoop:
    return FakeCoreLoop()


@pytest.fixture
def manager(core: FakeCoreLoop) -> Iterator[DeviceManager]:
    manager = DeviceManager(core.post, backoff=FAST)
    yield manager
    manager.stop()


def test_a_card_read_reaches_listeners_on_the_core_thread(core: FakeCoreLoop, manager: DeviceManager) -> None:
    reader = SimCardReader()
    manager.add("idcard", reader)
    log = EventLog()
    manager.subscribe(log)
    manager.start()
    assert core.run_until(lambda: manager.report()["idcard"].health is Health.ONLINE)
    manager.enable("idcard")
    reader.present()
    assert core.run_until(lambda: bool(log.data()))
    assert log.data() == [sample_card()]
    assert log.threads == {core.thread}


def test_the_reader_delivers_one_card_then_waits_to_be_enabled(
    core: FakeCoreLoop, manager: DeviceManager
) -> None:
    reader = SimCardReader()
    manager.add("idcard", reader)
    log = EventLog()
    manager.subscribe(log)
    manager.start()
    manager.enable("idcard")
    reader.present()
    assert core.run_until(lambda: len(log.data()) == 1)
    reader.present()
    core.run_for(0.5)
    assert len(log.data()) == 1
    manager.enable("idcard")
    assert core.run_until(lambda: len(log.data()) == 2)


def test_a_disabled_reader_ignores_cards(core: FakeCoreLoop, manager: DeviceManager) -> None:
    reader = SimCardReader(present_after_s=0.0)
    manager.add("idcard", reader)
    log = EventLog()
    manager.subscribe(log)
    manager.start()
    manager.enable("idcard")
    manager.disable("idcard")
    core.run_for(0.5)
    assert log.data() == []


def test_unsubscribed_listeners_hear_nothing(core: FakeCoreLoop, manager: DeviceManager) -> None:
    reader = SimCardReader(present_after_s=0.0)
    manager.add("idcard", reader)
    log = EventLog()
    unsubscribe = manager.subscribe(log)
    unsubscribe()
    manager.start()
    manager.enable("idcard")
    core.run_for(0.5)
    assert log.events == []


def test_a_device_missing_at_start_is_reported_once_and_found_later(
    core: FakeCoreLoop, manager: DeviceManager
) -> None:
    reader = SimCardReader()
    reader.unplug()
    manager.add("idcard", reader)
    log = EventLog()
    manager.subscribe(log)
    manager.start()
    assert core.run_until(lambda: manager.report()["idcard"].health is Health.NO_DEVICE)
    core.run_for(0.6)  # several retries
    assert log.errors() == ["no_device"]
    reader.replug()
    assert core.run_until(lambda: manager.report()["idcard"].health is Health.ONLINE)
    assert manager.report()["idcard"].last_error is None


def test_a_lost_device_reconnects_and_is_enabled_again(core: FakeCoreLoop, manager: DeviceManager) -> None:
    reader = SimCardReader()
    manager.add("idcard", reader)
    log = EventLog()
    manager.subscribe(log)
    manager.start()
    manager.enable("idcard")
    assert core.run_until(lambda: reader.enabled)
    reader.unplug()
    assert core.run_until(lambda: manager.report()["idcard"].health is Health.NO_DEVICE)
    reader.replug()
    assert core.run_until(lambda: manager.report()["idcard"].health is Health.ONLINE)
    reader.present()
    assert core.run_until(lambda: bool(log.data()))
    assert manager.report()["idcard"].reconnects == 1


def test_configured_failures_show_as_health(core: FakeCoreLoop, manager: DeviceManager) -> None:
    manager.add("idcard", SimCardReader(SimSettings(fail="hardware")))
    log = EventLog()
    manager.subscribe(log)
    manager.start()
    assert core.run_until(lambda: manager.report()["idcard"].health is Health.HARDWARE_ERROR)
    assert core.run_until(lambda: bool(log.errors()))
    core.run_for(0.6)  # several retries, still one event
    assert log.errors() == ["hardware_fault"]
    assert manager.report()["idcard"].last_error == "hardware_fault"


def test_run_executes_on_the_device_thread_and_posts_results(
    core: FakeCoreLoop, manager: DeviceManager
) -> None:
    manager.add("idcard", SimCardReader())
    manager.start()
    assert core.run_until(lambda: manager.report()["idcard"].state is DeviceState.IDLE)
    results: list[object] = []
    threads: list[str] = []

    def job(device: Device) -> str:
        threads.append(threading.current_thread().name)
        return device.info().model

    manager.run("idcard", job, results.append, results.append)
    assert core.run_until(lambda: bool(results))
    assert results == ["simulated idcard"]
    assert threads == ["device-idcard"]


def test_run_reports_errors_and_bugs_through_on_error(core: FakeCoreLoop, manager: DeviceManager) -> None:
    manager.add("idcard", SimCardReader())
    manager.start()
    assert core.run_until(lambda: manager.report()["idcard"].state is DeviceState.IDLE)
    errors: list[DeviceError] = []

    def fails(device: Device) -> None:
        raise DeviceHardwareError("jammed")

    def buggy(device: Device) -> None:
        raise ZeroDivisionError

    manager.run("idcard", fails, lambda _: None, errors.append)
    manager.run("idcard", buggy, lambda _: None, errors.append)
    assert core.run_until(lambda: len(errors) == 2)
    assert [e.code for e in errors] == ["hardware_fault", "driver_error"]


def test_run_on_a_missing_device_fails_at_once(core: FakeCoreLoop, manager: DeviceManager) -> None:
    reader = SimCardReader()
    reader.unplug()
    manager.add("idcard", reader)
    manager.start()
    errors: list[DeviceError] = []
    manager.run("idcard", lambda d: None, lambda _: None, errors.append)
    assert core.run_until(lambda: bool(errors))
    assert errors[0].code == "no_device"


def test_unknown_names_and_late_adds_are_errors(manager: DeviceManager) -> None:
    manager.add("idcard", SimCardReader())
    with pytest.raises(ValueError):
        manager.add("idcard", SimCardReader())
    with pytest.raises(KeyError):
        manager.enable("printer")
    manager.start()
    with pytest.raises(RuntimeError):
        manager.add("other", SimCardReader())


def test_stop_closes_every_device(core: FakeCoreLoop) -> None:
    manager = DeviceManager(core.post, backoff=FAST)
    reader = SimCardReader()
    manager.add("idcard", reader)
    manager.start()
    assert core.run_until(lambda: reader.state is DeviceState.IDLE)
    manager.stop()
    manager.stop()
    assert reader.state is DeviceState.CLOSED


def test_report_gives_technicians_health_info_and_status(core: FakeCoreLoop, manager: DeviceManager) -> None:
    manager.add("idcard", SimCardReader())
    manager.start()
    assert core.run_until(lambda: manager.report()["idcard"].health is Health.ONLINE)
    report = manager.report()["idcard"]
    assert (report.kind, report.info.model, report.info.serial) == ("idcard", "simulated idcard", "SIM-0001")


def test_a_real_reader_unplugged_and_replugged_recovers_within_five_seconds(core: FakeCoreLoop) -> None:
    manager = DeviceManager(core.post)  # the production backoff
    with SamReaderEmulator(paced=False) as emu:
        reader = SamCardReader(emu.path, timeout_scale=3.0)
        manager.add("idcard", reader)
        log = EventLog()
        manager.subscribe(log)
        manager.start()
        try:
            manager.enable("idcard")
            assert core.run_until(lambda: reader.enabled)
            emu.unplug()
            assert core.run_until(lambda: manager.report()["idcard"].health is Health.NO_DEVICE)
            core.run_for(2.5)  # long enough for the backoff to reach its ceiling
            emu.replug()
            assert core.run_until(lambda: manager.report()["idcard"].health is Health.ONLINE)
            emu.place_card()
            assert core.run_until(lambda: bool(log.data()))
        finally:
            manager.stop()
    assert log.data() == [sample_card()]
    assert "no_device" in log.errors()
    # How fast it comes back is measured by bench/idcard.py, not asserted here.


def test_backoff_doubles_to_a_ceiling_that_keeps_reconnects_within_five_seconds() -> None:
    backoff = Backoff()
    delays = [backoff.delay(attempt) for attempt in range(12)]
    assert delays[0] < delays[1] < delays[2] < delays[3]
    assert max(delays) <= backoff.maximum_s * (1 + backoff.jitter) < 5.0


def test_a_reader_unplugged_while_nobody_uses_it_shows_as_lost(core: FakeCoreLoop) -> None:
    manager = DeviceManager(core.post, backoff=FAST)
    with SamReaderEmulator(paced=False) as emu:
        reader = SamCardReader(emu.path, timeout_scale=3.0)
        reader.keepalive_interval_s = 0.2
        manager.add("idcard", reader)
        manager.start()
        try:
            assert core.run_until(lambda: manager.report()["idcard"].health is Health.ONLINE)
            emu.unplug()
            assert core.run_until(lambda: manager.report()["idcard"].health is Health.NO_DEVICE)
            emu.replug()
            assert core.run_until(lambda: manager.report()["idcard"].health is Health.ONLINE)
        finally:
            manager.stop()


def test_the_unplug_replug_scenario_is_survived_without_a_restart(core: FakeCoreLoop) -> None:
    manager = DeviceManager(core.post, backoff=FAST)
    with SamReaderEmulator(scenario="unplug_replug", paced=False, replug_after_s=0.5) as emu:
        reader = SamCardReader(emu.path, timeout_scale=3.0)
        reader.keepalive_interval_s = 0.2
        manager.add("idcard", reader)
        log = EventLog()
        manager.subscribe(log)
        manager.start()
        try:
            manager.enable("idcard")
            assert core.run_until(lambda: len(log.data()) == 1)
            assert core.run_until(lambda: "no_device" in log.errors())
            assert core.run_until(lambda: manager.report()["idcard"].reconnects == 1)
            manager.enable("idcard")
            assert core.run_until(lambda: len(log.data()) == 2)
        finally:
            manager.stop()


class BuggyDevice(Device):
    """A driver with a bug in open (the first time) and in close (always)."""

    kind = "buggy"

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0

    def _open(self) -> None:
        self.attempts += 1
        if self.attempts == 1:
            raise OSError("unmapped error")

    def _close(self) -> None:
        raise RuntimeError("close failed")


def test_driver_bugs_are_reported_and_the_worker_survives(core: FakeCoreLoop, manager: DeviceManager) -> None:
    device = BuggyDevice()
    manager.add("buggy", device)
    log = EventLog()
    manager.subscribe(log)
    manager.start()
    assert core.run_until(lambda: manager.report()["buggy"].health is Health.ONLINE)
    assert device.attempts == 2
    assert core.run_until(lambda: "driver_error" in log.errors())
    manager.stop()
    assert device.state is DeviceState.CLOSED


def test_a_failing_listener_does_not_silence_the_others(core: FakeCoreLoop, manager: DeviceManager) -> None:
    reader = SimCardReader()
    manager.add("idcard", reader)

    def broken(event: object) -> None:
        raise RuntimeError("listener bug")

    log = EventLog()
    manager.subscribe(broken)
    manager.subscribe(log)
    manager.start()
    manager.enable("idcard")
    reader.present()
    assert core.run_until(lambda: bool(log.data()))
