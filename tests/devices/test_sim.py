"""Simulated devices behave like drivers, failures included."""

import time

import pytest

from devices.base import DeviceHardwareError, DeviceNotFoundError, DeviceTimeoutError, Health
from devices.idcard.samples import sample_card
from devices.idcard.simulated import SimCardReader
from devices.registry import open_device
from devices.sim import SimSettings
from tests.support.devices import EventLog


@pytest.mark.parametrize(
    ("fail", "error", "health"),
    [
        ("no_device", DeviceNotFoundError, Health.NO_DEVICE),
        ("hardware", DeviceHardwareError, Health.HARDWARE_ERROR),
        ("timeout", DeviceTimeoutError, Health.OFFLINE),
    ],
)
def test_configured_failures_happen_at_open(fail: str, error: type[Exception], health: Health) -> None:
    device = SimCardReader(SimSettings(fail=fail))
    with pytest.raises(error):
        device.open()
    assert device.health is health


def test_card_presented_after_a_delay_from_the_config() -> None:
    device = open_device("idcard", "sim:?card=foreign_2023&after=0.2")
    log = EventLog()
    device.attach("idcard", log)
    device.open()
    device.enable()
    device.poll()
    assert log.data() == []
    time.sleep(0.25)
    device.poll()
    assert log.data() == [sample_card("foreign_2023")]


def test_configured_read_outcome_is_reported_like_a_real_reader() -> None:
    device = open_device("idcard", "sim:?outcome=card_moved&after=0")
    log = EventLog()
    device.attach("idcard", log)
    device.open()
    device.enable()
    device.poll()
    assert log.errors() == ["card_moved"] and log.data() == []


def test_unplugged_simulator_fails_the_next_poll() -> None:
    device = SimCardReader()
    device.open()
    device.enable()
    device.unplug()
    with pytest.raises(DeviceNotFoundError):
        device.poll()
    assert device.health is Health.NO_DEVICE
