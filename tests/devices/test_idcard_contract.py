"""One contract, every ID card reader: the simulator, the SAM driver on the emulator, and (when
``KIOSK_IDCARD_PORT`` names a real reader's port) the hardware, with a technician placing the card.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from devices.base import Device, DeviceNotFoundError, DeviceState, Health
from devices.emulators.idcard import SamReaderEmulator
from devices.idcard.card import IdCard
from devices.idcard.driver import SamCardReader
from devices.idcard.simulated import SimCardReader
from tests.support.devices import EventLog


@dataclass
class Rig:
    """A reader plus the hands that act on it."""

    device: Device
    place: Callable[[], None]
    unplug: Callable[[], None] | None
    replug: Callable[[], None] | None


def _sim() -> Iterator[Rig]:
    device = SimCardReader()
    yield Rig(device, lambda: device.present(), device.unplug, device.replug)


def _emulated() -> Iterator[Rig]:
    with SamReaderEmulator(paced=False) as emu:
        yield Rig(SamCardReader(emu.path, timeout_scale=3.0), emu.place_card, emu.unplug, emu.replug)


def _hardware() -> Iterator[Rig]:
    port = os.environ.get("KIOSK_IDCARD_PORT")
    if not port:
        pytest.skip("set KIOSK_IDCARD_PORT to run the contract against a real reader")
    yield Rig(SamCardReader(port), lambda: print("\nplace a card on the reader"), None, None)


@pytest.fixture(params=[_sim, _emulated, _hardware], ids=["sim", "emulator", "hardware"])
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    factory: Callable[[], Iterator[Rig]] = request.param
    rigs = factory()
    rig = next(rigs)
    try:
        yield rig
    finally:
        rig.device.close()
        for _ in rigs:  # finish the generator: closes emulators
            pass


def _poll_until(device: Device, condition: Callable[[], bool], timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        device.poll()
        if condition():
            return True
        time.sleep(device.poll_interval_s)
    return False


def test_open_reports_online_with_technician_info(rig: Rig) -> None:
    rig.device.open()
    assert rig.device.state is DeviceState.IDLE
    assert rig.device.health is Health.ONLINE
    assert rig.device.info().model
    rig.device.close()
    rig.device.close()
    assert rig.device.state is DeviceState.CLOSED


def test_one_card_is_delivered_then_the_reader_waits_to_be_enabled(rig: Rig) -> None:
    log = EventLog()
    rig.device.attach("idcard", log)
    rig.device.open()
    rig.device.enable()
    rig.place()
    assert _poll_until(rig.device, lambda: bool(log.data()))
    (card,) = log.data()
    assert isinstance(card, IdCard) and card.id_number_valid
    assert not rig.device.enabled
    rig.device.poll()
    assert len(log.data()) == 1


def test_a_card_placed_while_disabled_is_not_delivered(rig: Rig) -> None:
    log = EventLog()
    rig.device.attach("idcard", log)
    rig.device.open()
    rig.place()
    for _ in range(3):
        rig.device.poll()
    assert log.data() == []


def test_losing_the_device_is_no_device_and_it_opens_again_when_back(rig: Rig) -> None:
    if rig.unplug is None or rig.replug is None:
        pytest.skip("cannot pull the cable of real hardware from a test")
    rig.device.open()
    rig.device.enable()
    rig.unplug()
    with pytest.raises(DeviceNotFoundError):
        for _ in range(5):
            rig.device.poll()
    assert rig.device.health is Health.NO_DEVICE
    rig.device.close()
    rig.replug()
    rig.device.open()
    assert rig.device.health is Health.ONLINE
