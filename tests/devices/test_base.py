"""The shared device vocabulary: lifecycle rules, health events, errors as data."""

from __future__ import annotations

import threading

import pytest

from devices.base import (
    ALLOWED_TRANSITIONS,
    DataEvent,
    Device,
    DeviceError,
    DeviceHardwareError,
    DeviceNotFoundError,
    DeviceState,
    DeviceTimeoutError,
    DeviceUserError,
    ErrorEvent,
    Health,
    IllegalTransition,
    NotSupportedError,
    RecommendedAction,
    StatusChangedEvent,
)
from tests.support.devices import EventLog


class CountingDevice(Device):
    """A minimal input driver for exercising the base class."""

    kind = "counter"
    is_input = True

    def __init__(self, fail_open: DeviceError | None = None) -> None:
        super().__init__()
        self.fail_open = fail_open
        self.opens = self.closes = self.polls = 0
        self.poll_error: DeviceError | None = None

    def _open(self) -> None:
        self.opens += 1
        if self.fail_open is not None:
            raise self.fail_open

    def _close(self) -> None:
        self.closes += 1

    def _poll(self) -> None:
        self._assert_io_thread()
        self.polls += 1
        if self.poll_error is not None:
            raise self.poll_error
        self._deliver(self.polls)


def test_every_state_has_a_row_and_closed_only_leads_to_starting() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(DeviceState)
    assert ALLOWED_TRANSITIONS[DeviceState.CLOSED] == {DeviceState.STARTING}
    assert not DeviceState.IDLE.can_become(DeviceState.STARTING)
    assert DeviceState.BUSY.is_open and not DeviceState.ERROR.is_open


def test_open_and_close_are_idempotent_and_report_health() -> None:
    device, log = CountingDevice(), EventLog()
    device.attach("counter", log)
    device.open()
    device.open()
    assert device.opens == 1 and device.state is DeviceState.IDLE
    device.close()
    device.close()
    assert device.closes == 1 and device.state is DeviceState.CLOSED
    assert log.healths() == ["starting", "online", "offline"]
    first = log.events[0]
    assert isinstance(first, StatusChangedEvent) and first.old is Health.OFFLINE


def test_failed_open_leaves_the_device_closed_with_the_errors_health() -> None:
    device = CountingDevice(fail_open=DeviceNotFoundError("gone"))
    with pytest.raises(DeviceNotFoundError):
        device.open()
    assert device.state is DeviceState.CLOSED and device.health is Health.NO_DEVICE
    assert device.closes == 1
    device.fail_open = None
    device.open()
    assert device.health is Health.ONLINE


def test_input_devices_deliver_once_then_disable_themselves() -> None:
    device, log = CountingDevice(), EventLog()
    device.attach("counter", log)
    device.open()
    device.poll()  # not enabled: nothing
    assert device.polls == 0
    device.enable()
    device.poll()
    device.poll()
    assert log.data() == [1]
    assert not device.enabled
    assert isinstance(log.events[-1], DataEvent) and log.events[-1].device == "counter"


def test_enable_needs_an_open_device_and_disable_never_fails() -> None:
    device = CountingDevice()
    with pytest.raises(DeviceError) as error:
        device.enable()
    assert error.value.code == "not_open"
    device.disable()


def test_an_error_escaping_poll_fails_the_device_and_becomes_an_event() -> None:
    device, log = CountingDevice(), EventLog()
    device.attach("counter", log)
    device.open()
    device.enable()
    device.poll_error = DeviceHardwareError("jam")
    with pytest.raises(DeviceHardwareError):
        device.poll()
    assert device.state is DeviceState.ERROR and device.health is Health.HARDWARE_ERROR
    error = log.events[-1]
    assert isinstance(error, ErrorEvent)
    assert (error.code, error.action) == ("hardware_fault", RecommendedAction.NEEDS_MAINTENANCE)
    device.close()
    assert device.state is DeviceState.CLOSED
    assert device.health is Health.HARDWARE_ERROR  # closing does not hide the fault


def test_illegal_transitions_are_refused() -> None:
    device = CountingDevice()
    with pytest.raises(IllegalTransition):
        device._transition(DeviceState.BUSY)


def test_io_from_a_foreign_thread_fails_loudly() -> None:
    device = CountingDevice()
    device.open()
    device.enable()
    failures: list[BaseException] = []

    def poll_elsewhere() -> None:
        try:
            device.poll()
        except RuntimeError as exc:
            failures.append(exc)

    thread = threading.Thread(target=poll_elsewhere)
    thread.start()
    thread.join()
    assert len(failures) == 1


@pytest.mark.parametrize(
    ("error", "code", "action", "health"),
    [
        (DeviceTimeoutError("t"), "timeout", RecommendedAction.RETRY, Health.OFFLINE),
        (DeviceNotFoundError("n"), "no_device", RecommendedAction.RETRY, Health.NO_DEVICE),
        (
            DeviceHardwareError("h"),
            "hardware_fault",
            RecommendedAction.NEEDS_MAINTENANCE,
            Health.HARDWARE_ERROR,
        ),
        (DeviceUserError("u"), "user_error", RecommendedAction.ASK_USER, None),
        (NotSupportedError("x"), "not_supported", RecommendedAction.NONE, None),
    ],
)
def test_errors_carry_codes_actions_and_health(
    error: DeviceError, code: str, action: RecommendedAction, health: Health | None
) -> None:
    assert (error.code, error.action, error.health) == (code, action, health)
    event = error.to_event("dev")
    assert (event.device, event.code, event.action) == ("dev", code, action)


def test_error_code_and_action_can_be_specific() -> None:
    error = DeviceUserError("place the card again", code="card_moved")
    assert error.code == "card_moved" and error.action is RecommendedAction.ASK_USER
