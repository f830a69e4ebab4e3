"""The SAM driver with the real pyserial, talking to the emulator on a pseudo-terminal."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import pytest

from devices.base import (
    DeviceHardwareError,
    DeviceNotFoundError,
    DeviceState,
    DeviceTimeoutError,
    Health,
    RecommendedAction,
)
from devices.emulators.idcard import SamReaderEmulator
from devices.idcard.card import IdCard, Photo
from devices.idcard.driver import SamCardReader
from devices.idcard.samples import SAMPLE_CARDS, sample_card
from tests.support.devices import EventLog


@pytest.fixture
def emulator() -> Iterator[SamReaderEmulator]:
    with SamReaderEmulator(paced=False) as emu:
        yield emu


def _reader(emu: SamReaderEmulator, log: EventLog, **kwargs: object) -> SamCardReader:
    # Generous deadlines: the test machine is shared and noisy.
    options: dict[str, object] = {"timeout_scale": 3.0, **kwargs}
    reader = SamCardReader(emu.path, **options)  # type: ignore[arg-type]
    reader.attach("idcard", log)
    return reader


def _poll_until_quiet(reader: SamCardReader, log: EventLog, polls: int = 5) -> None:
    for _ in range(polls):
        if not reader.enabled:
            return
        reader.poll()
        if log.errors():
            return


def test_a_placed_card_is_read_through_real_pyserial(emulator: SamReaderEmulator) -> None:
    log = EventLog()
    reader = _reader(emulator, log)
    reader.open()
    try:
        assert reader.health is Health.ONLINE
        assert reader.info().serial == "05.01-20190101-0000000123-0000004567"
        reader.enable()
        reader.poll()
        assert log.data() == []  # nothing placed yet
        assert reader.status()["card"] == "absent"
        emulator.place_card()
        reader.poll()
        assert log.data() == [sample_card()]
        assert not reader.enabled  # auto-disabled after one input
        reader.poll()
        assert len(log.data()) == 1  # the card still lies there, but nobody asked again
    finally:
        reader.close()
    assert reader.state is DeviceState.CLOSED


@pytest.mark.parametrize("name", list(SAMPLE_CARDS))
def test_every_card_type_reads_end_to_end(emulator: SamReaderEmulator, name: str) -> None:
    log = EventLog()
    reader = _reader(emulator, log)
    emulator.place_card(SAMPLE_CARDS[name])
    reader.open()
    try:
        reader.enable()
        reader.poll()
    finally:
        reader.close()
    (card,) = log.data()
    assert card == SAMPLE_CARDS[name]
    assert isinstance(card, IdCard)
    assert card.appended_address == SAMPLE_CARDS[name].appended_address  # 0x91 → None


def test_a_card_failing_its_checks_is_delivered_with_its_problems(emulator: SamReaderEmulator) -> None:
    bad = dataclasses.replace(sample_card(), id_number="110101199001010016", id_number_valid=False)
    emulator.place_card(bad)
    log = EventLog()
    reader = _reader(emulator, log)
    reader.open()
    reader.enable()
    reader.poll()
    reader.close()
    (card,) = log.data()
    assert isinstance(card, IdCard)
    assert not card.id_number_valid
    assert "id_number_check_failed" in card.problems


@pytest.mark.parametrize("scenario", ["garbage", "bad_checksum", "slow", "flaky_read"])
def test_recoverable_line_trouble_still_reads_the_card(scenario: str) -> None:
    with SamReaderEmulator(scenario=scenario, paced=False) as emu:
        log = EventLog()
        reader = _reader(emu, log)
        reader.open()
        try:
            reader.enable()
            _poll_until_quiet(reader, log)
        finally:
            reader.close()
    assert log.data() == [sample_card()]
    assert log.errors() == []


def test_card_removed_mid_read_asks_the_citizen_once() -> None:
    with SamReaderEmulator(scenario="removed_mid_read", paced=False) as emu:
        log = EventLog()
        reader = _reader(emu, log)
        reader.open()
        try:
            reader.enable()
            reader.poll()
            assert log.errors() == ["card_moved"]
            assert reader.enabled  # still waiting for the card
            reader.poll()
            reader.poll()
            assert log.errors() == ["card_moved"]  # not repeated every poll
            error = log.events[-1] if log.errors() else None
            assert error is not None
            emu.set_scenario("normal")
            emu.place_card()
            reader.poll()
        finally:
            reader.close()
    assert log.data() == [sample_card()]
    assert [e.action for e in log.events if hasattr(e, "action")] == [RecommendedAction.ASK_USER]


def test_an_unsupported_card_is_reported() -> None:
    with SamReaderEmulator(scenario="unsupported_card", paced=False) as emu:
        log = EventLog()
        reader = _reader(emu, log)
        reader.open()
        reader.enable()
        reader.poll()
        reader.close()
    assert log.errors() == ["unsupported_card"]
    assert log.data() == []


def test_no_card_keeps_polling_without_errors() -> None:
    with SamReaderEmulator(scenario="no_card", paced=False) as emu:
        emu.place_card()  # the scenario ignores it
        log = EventLog()
        reader = _reader(emu, log)
        reader.open()
        reader.enable()
        for _ in range(3):
            reader.poll()
        assert reader.enabled and reader.health is Health.ONLINE
        reader.close()
    assert log.data() == [] and log.errors() == []


def test_sam_fault_is_a_hardware_error_needing_service() -> None:
    with SamReaderEmulator(scenario="sam_fault", paced=False) as emu:
        log = EventLog()
        reader = _reader(emu, log)
        with pytest.raises(DeviceHardwareError) as error:
            reader.open()
    assert error.value.action is RecommendedAction.NEEDS_MAINTENANCE
    assert reader.health is Health.HARDWARE_ERROR
    assert reader.state is DeviceState.CLOSED


def test_sam_fault_while_running_fails_the_device(emulator: SamReaderEmulator) -> None:
    log = EventLog()
    reader = _reader(emulator, log)
    reader.open()
    reader.enable()
    emulator.set_scenario("sam_fault")
    with pytest.raises(DeviceHardwareError):
        reader.poll()
    assert reader.state is DeviceState.ERROR
    assert log.errors() == ["hardware_fault"]
    reader.close()


def test_a_reader_at_9600_baud_is_found_by_probing() -> None:
    with SamReaderEmulator(scenario="card_placed", baud=9600, paced=False) as emu:
        log = EventLog()
        reader = _reader(emu, log)
        reader.open()
        try:
            assert reader.info().extra["baud"] == "9600"
            reader.enable()
            reader.poll()
        finally:
            reader.close()
    assert log.data() == [sample_card()]


@pytest.mark.parametrize("baud", [115200, 9600])
def test_a_card_reads_at_either_probed_rate_with_the_line_paced_at_that_rate(baud: int) -> None:
    # A module that talks to the card for 0.7 s before answering, with every byte crossing the
    # line at the real rate: at 9600 the 1295-byte answer alone takes 1.35 s. No timeout_scale:
    # these are the deadlines a kiosk runs with.
    with SamReaderEmulator(scenario="card_placed", baud=baud, paced=True, read_delay_s=0.7) as emu:
        log = EventLog()
        reader = _reader(emu, log, timeout_scale=1.0, read_appended_address=False)
        reader.open()
        try:
            assert reader.info().extra["baud"] == str(baud)
            reader.enable()
            reader.poll()
        finally:
            reader.close()
    assert log.errors() == []
    assert log.data() == [sample_card()]


def test_a_cut_off_frame_header_before_every_answer_does_not_hide_the_answer() -> None:
    with SamReaderEmulator(scenario="stray_header", paced=False) as emu:
        log = EventLog()
        reader = _reader(emu, log, timeout_scale=1.0)
        reader.open()
        try:
            assert reader.info().serial == "05.01-20190101-0000000123-0000004567"
            reader.enable()
            started = time.perf_counter()
            reader.poll()
            elapsed = time.perf_counter() - started
        finally:
            reader.close()
    assert log.errors() == []
    assert log.data() == [sample_card()]
    assert elapsed < 1.0  # no exchange waited out its deadline


def test_a_reader_at_an_unprobed_rate_is_not_mistaken_for_one() -> None:
    with SamReaderEmulator(baud=38400, paced=False) as emu:
        reader = _reader(emu, EventLog())
        with pytest.raises(DeviceTimeoutError):
            reader.open()
        assert reader.health is Health.OFFLINE
        # ... and configuring its rate finds it.
        reader = _reader(emu, EventLog(), baud=38400)
        reader.open()
        reader.close()


def test_a_missing_port_is_no_device() -> None:
    reader = SamCardReader("/nonexistent/ttyUSB9")
    with pytest.raises(DeviceNotFoundError):
        reader.open()
    assert reader.health is Health.NO_DEVICE


def test_unplug_while_polling_is_a_lost_device_and_replug_reopens(emulator: SamReaderEmulator) -> None:
    log = EventLog()
    reader = _reader(emulator, log)
    reader.open()
    reader.enable()
    reader.poll()
    emulator.unplug()
    with pytest.raises(DeviceNotFoundError):
        for _ in range(5):  # the loss shows at the next exchange
            reader.poll()
    assert reader.health is Health.NO_DEVICE
    reader.close()
    with pytest.raises(DeviceNotFoundError):
        reader.open()
    emulator.replug()
    emulator.place_card()
    reader.open()
    reader.enable()
    reader.poll()
    reader.close()
    assert log.data() == [sample_card()]
    assert "no_device" in log.errors()


def test_paced_read_takes_at_least_the_wire_time() -> None:
    # Only a lower bound: pacing must never make the line faster than 115200 baud.
    with SamReaderEmulator(scenario="card_placed", paced=True) as emu:
        log = EventLog()
        reader = _reader(emu, log, read_appended_address=False)
        reader.open()
        reader.enable()
        started = time.perf_counter()
        reader.poll()
        elapsed = time.perf_counter() - started
        reader.close()
    assert log.data()
    assert elapsed >= emu.harness.wire_time(1295)


def test_a_second_program_cannot_steal_the_port(emulator: SamReaderEmulator) -> None:
    from devices.idcard.transport import PortBusyError, SerialTransport

    first = SerialTransport(emulator.path, 115200)
    try:
        with pytest.raises(PortBusyError) as error:
            SerialTransport(emulator.path, 115200)
        assert error.value.health is Health.BUSY
    finally:
        first.close()
    SerialTransport(emulator.path, 115200).close()


def test_a_reader_that_stops_answering_goes_offline_after_three_misses() -> None:
    with SamReaderEmulator(paced=False) as emu:
        log = EventLog()
        reader = SamCardReader(emu.path)  # the production deadlines: find 0.3 s
        reader.attach("idcard", log)
        reader.open()
        reader.enable()
        emu.set_scenario("mute")
        reader.poll()
        reader.poll()  # two misses are tolerated: a busy host can miss a deadline
        assert reader.health is Health.ONLINE
        with pytest.raises(DeviceTimeoutError):
            for _ in range(5):
                reader.poll()
        assert reader.health is Health.OFFLINE
        assert log.errors() == ["timeout"]
        reader.close()


def test_a_lost_appended_address_answer_is_flagged_on_the_card() -> None:
    card = sample_card("resident_elder")
    with SamReaderEmulator(
        card=card, scenario="card_placed", paced=False, unanswered=frozenset({"appended_address"})
    ) as emu:
        log = EventLog()
        reader = _reader(emu, log, timeout_scale=1.0)
        reader.open()
        reader.enable()
        reader.poll()
        reader.close()
    (delivered,) = log.data()
    assert isinstance(delivered, IdCard)
    assert delivered.appended_address is None
    assert delivered.problems == ("appended_address_unread",)


def test_a_reader_that_keeps_its_sam_id_to_itself_still_reads() -> None:
    with SamReaderEmulator(scenario="card_placed", paced=False, unanswered=frozenset({"sam_id"})) as emu:
        log = EventLog()
        reader = _reader(emu, log, timeout_scale=1.0)
        reader.open()
        assert reader.info().serial == "unknown"
        reader.enable()
        reader.poll()
        reader.close()
    assert log.data() == [sample_card()]


class FixedPhotoDecoder:
    """Stands in for a licensed vendor decoder."""

    note = "test decoder"

    def decode(self, wlt: bytes) -> Photo | None:
        assert len(wlt) == 1024
        return Photo(102, 126, bytes(102 * 126 * 3))


class BrokenPhotoDecoder:
    note = "broken decoder"

    def decode(self, wlt: bytes) -> Photo | None:
        raise RuntimeError("vendor library crashed")


def test_a_licensed_photo_decoder_plugs_into_the_seam(emulator: SamReaderEmulator) -> None:
    emulator.place_card()
    log = EventLog()
    reader = _reader(emulator, log, photo_decoder=FixedPhotoDecoder())
    reader.open()
    assert reader.info().extra["photo"] == "test decoder"
    reader.enable()
    reader.poll()
    reader.close()
    (card,) = log.data()
    assert isinstance(card, IdCard) and card.photo is not None and card.photo.width == 102


def test_a_failing_photo_decoder_does_not_lose_the_card(emulator: SamReaderEmulator) -> None:
    emulator.place_card()
    log = EventLog()
    reader = _reader(emulator, log, photo_decoder=BrokenPhotoDecoder())
    reader.open()
    reader.enable()
    reader.poll()
    reader.close()
    (card,) = log.data()
    assert isinstance(card, IdCard) and card.photo is None


def test_the_default_photo_decoder_says_the_photo_is_unavailable(emulator: SamReaderEmulator) -> None:
    reader = _reader(emulator, EventLog())
    reader.open()
    assert "photo unavailable" in reader.info().extra["photo"]
    reader.close()
