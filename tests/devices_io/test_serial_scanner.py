"""Serial scanners through the pty emulator with real pyserial."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.base import DeviceConfigError, DeviceNotFoundError, ErrorEvent, Health
from devices.registry import open_device
from devices.scanner import ssi
from devices.scanner.emulator import SerialScannerEmulator
from devices.scanner.payload import ScannedCode
from devices.scanner.profiles import get_profile
from devices.scanner.serial_driver import SerialScanner
from tests.support.devices_io import Recorder, attach, poll_for, poll_until

TRACK = b"cityapp:track:v1:0190a6c2-7d3e-7abc-8def-0123456789ab"
IDENTITY = b"cityapp:identity:v1:" + b"Zx9_-" * 20


@pytest.fixture
def make_scanner() -> Iterator[object]:
    opened: list[tuple[SerialScannerEmulator, SerialScanner]] = []

    def make(
        profile: str = "passive", suffix: bytes = b"\r", query: str = ""
    ) -> tuple[SerialScannerEmulator, SerialScanner, Recorder]:
        emulator = SerialScannerEmulator(profile, suffix=suffix).start()
        device = open_device("scanner", emulator.uri + query)
        assert isinstance(device, SerialScanner)
        recorder = attach(device, "scanner")
        device.open()
        opened.append((emulator, device))
        return emulator, device, recorder

    yield make
    for emulator, device in opened:
        device.close()
        emulator.close()


def scan_in_background(emulator: SerialScannerEmulator, payload: bytes, **kwargs: object) -> threading.Thread:
    # SSI scans wait for the host's ACK, which only comes while the test polls: scan from a thread.
    thread = threading.Thread(target=emulator.scan, args=(payload,), kwargs=kwargs, daemon=True)
    thread.start()
    return thread


def test_passive_scanner_delivers_one_code_and_disables_itself(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner()
    device.enable()
    assert device.status()["scanner"] == "on"
    emulator.scan(TRACK)
    assert poll_until(device, lambda: recorder.data)
    assert recorder.data == [ScannedCode("tracking", TRACK.decode(), TRACK.decode()[17:])]
    assert not device.enabled
    assert device.status()["scanner"] == "off"


def test_code_scanned_while_disabled_is_never_delivered(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner()
    emulator.scan(TRACK)  # nobody asked for a code
    poll_for(device, 0.2)
    device.enable()
    poll_for(device, 0.3)
    assert recorder.data == []
    emulator.scan(IDENTITY)
    assert poll_until(device, lambda: recorder.data)
    assert [c.kind for c in recorder.data] == ["identity"]


def test_line_break_inside_the_payload_is_not_a_frame_end(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner(suffix=b"\r\n", query="")
    device.enable()
    emulator.scan(b"https://example.org/\r\nsecond line")
    assert poll_until(device, lambda: recorder.errors)
    poll_for(device, 0.2)
    # One payload, rejected as a whole; a split would have delivered the URL on its own.
    assert recorder.data == []
    assert [e.code for e in recorder.errors] == ["unrecognised_code"]


def test_without_suffix_the_idle_gap_frames_a_code_sent_in_pieces(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner(suffix=b"", query="&idle_gap=0.3")
    device.enable()
    emulator.scan(TRACK, chunks=4, chunk_gap_s=0.03)
    assert poll_until(device, lambda: recorder.data)
    assert recorder.data[0].text == TRACK.decode()


def test_line_noise_is_a_typed_error_and_the_scanner_stays_enabled(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner()
    device.enable()
    emulator.send_raw(b"\x00\xff\x1b[garbage\r")
    assert poll_until(device, lambda: recorder.errors)
    assert recorder.errors[0].code == "unrecognised_code"
    assert device.enabled
    emulator.scan(TRACK)
    assert poll_until(device, lambda: recorder.data)


def test_honeywell_trigger_follows_enable_and_disable(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner("honeywell")
    assert poll_until(device, lambda: bytes(emulator.commands).endswith(b"\x16U\r"), 2)
    assert not emulator.scan(TRACK)  # trigger off: the scanner does not read
    device.enable()
    assert poll_until(device, lambda: emulator.trigger_on, 2)
    assert emulator.scan(TRACK)
    assert poll_until(device, lambda: recorder.data)
    assert poll_until(device, lambda: not emulator.trigger_on, 2)
    assert bytes(emulator.commands).endswith(b"\x16T\r\x16U\r")


def test_zkteco_trigger_letters(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, _ = make_scanner("zkteco")
    device.enable()
    assert poll_until(device, lambda: emulator.trigger_on, 2)
    device.disable()
    assert poll_until(device, lambda: not emulator.trigger_on, 2)
    assert bytes(emulator.commands) == b"PTP"


def test_zebra_ssi_long_payload_over_several_acked_packets(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner("zebra-ssi", suffix=b"")
    device.enable()
    assert poll_until(device, lambda: emulator.trigger_on, 2)
    url = b"https://service.example.gov.cn/apply?item=" + b"a" * 600
    thread = scan_in_background(emulator, url)
    assert poll_until(device, lambda: recorder.data)
    thread.join(timeout=5)
    assert recorder.data[0].text == url.decode()
    commands = bytes(emulator.commands)
    assert commands.count(ssi.ACK) == len(ssi.decode_packets(url))
    assert commands.startswith(ssi.STOP_DECODE + ssi.START_DECODE)


def test_zebra_ssi_bad_checksum_is_naked_and_the_retransmission_accepted(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner("zebra-ssi", suffix=b"")
    device.enable()
    assert poll_until(device, lambda: emulator.trigger_on, 2)
    broken = bytearray(ssi.decode_packets(TRACK)[0])
    broken[-1] ^= 0x55
    emulator.send_raw(bytes(broken))
    poll_for(device, 0.2)
    assert ssi.NAK_RESEND_PACKET in bytes(emulator.commands)
    thread = scan_in_background(emulator, TRACK)
    assert poll_until(device, lambda: recorder.data)
    thread.join(timeout=5)
    assert recorder.data[0].text == TRACK.decode()


def test_unplugged_scanner_raises_not_found_and_reports_no_device(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner()
    device.enable()
    emulator.harness.unplug()
    with pytest.raises(DeviceNotFoundError):
        poll_until(device, lambda: False, 3)
    assert device.health is Health.NO_DEVICE
    assert recorder.errors[-1].code == "no_device"


def test_missing_port_fails_to_open_with_not_found(tmp_path) -> None:  # type: ignore[no-untyped-def]
    device = open_device("scanner", f"serial://{tmp_path}/ttyNOPE")
    with pytest.raises(DeviceNotFoundError):
        device.open()
    assert device.health is Health.NO_DEVICE


@pytest.mark.parametrize(
    "uri",
    [
        "serial://",
        "serial:///dev/ttyX?profile=acme",
        "serial:///dev/ttyX?suffix=tab",
        "serial:///dev/ttyX?baud=x",
    ],
)
def test_bad_scanner_uris_are_config_errors(uri: str) -> None:
    with pytest.raises(DeviceConfigError):
        open_device("scanner", uri)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(noise=st.binary(min_size=1, max_size=300))
def test_arbitrary_bytes_on_the_line_give_typed_events_only(noise: bytes) -> None:
    with SerialScannerEmulator("passive") as emulator:
        device = open_device("scanner", emulator.uri)
        recorder = attach(device)
        device.open()
        try:
            device.enable()
            emulator.send_raw(noise + b"\r")
            poll_for(device, 0.25)
            for event in recorder.events:
                if isinstance(event, ErrorEvent):
                    assert event.code == "unrecognised_code"
            for data in recorder.data:
                assert isinstance(data, ScannedCode)
            assert device.health is Health.ONLINE
        finally:
            device.close()


# -- one-shot triggers, trigger answers and SSI retransmissions ----------------------------------

REJECTED = b"WIFI:S:cafe;;"  # a code the kiosk does not accept: the citizen is asked to try again
LONG_LINK = b"https://service.example.gov.cn/apply?item=" + b"a" * 278  # 320 bytes: two SSI packets


def wait_for(done: Callable[[], object], timeout: float = 2.0) -> bool:
    """Wait without polling the driver (so whatever the scanner sends piles up unread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.002)
    return bool(done())


@pytest.mark.parametrize(("profile", "suffix"), [("honeywell", b"\r"), ("gm65", b"\r"), ("zebra-ssi", b"")])
def test_after_a_rejected_code_the_scanner_reads_again(make_scanner, profile: str, suffix: bytes) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner(profile, suffix=suffix)
    device.enable()
    assert poll_until(device, lambda: emulator.trigger_on, 2)
    thread = scan_in_background(emulator, REJECTED)
    assert poll_until(device, lambda: recorder.errors)
    thread.join(timeout=5)
    assert [e.code for e in recorder.errors] == ["unrecognised_code"]
    assert device.enabled
    # The scanner stopped after that read; the driver has to trigger it again for the next try.
    assert poll_until(device, lambda: emulator.trigger_on, 2)
    thread = scan_in_background(emulator, TRACK)
    assert poll_until(device, lambda: recorder.data)
    thread.join(timeout=5)
    assert [c.text for c in recorder.data] == [TRACK.decode()]
    assert bytes(emulator.commands).count(emulator.profile.trigger_on) == 2


def test_a_one_shot_trigger_is_renewed_before_the_scanner_times_out() -> None:
    with SerialScannerEmulator("honeywell", read_timeout_s=0.5) as emulator:
        profile = replace(get_profile("honeywell"), read_timeout_s=0.5, rearm_s=0.3)
        device = SerialScanner(emulator.path, profile=profile)
        recorder = attach(device, "scanner")
        device.open()
        try:
            device.enable()
            poll_for(device, 1.3)  # more than twice the scanner's read time-out
            assert emulator.trigger_on
            assert bytes(emulator.commands).count(b"\x16T\r") >= 4
            assert emulator.scan(TRACK)
            assert poll_until(device, lambda: recorder.data)
            assert [c.text for c in recorder.data] == [TRACK.decode()]
        finally:
            device.close()


def test_gm65_answer_to_its_trigger_is_not_a_wrong_code(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner("gm65")
    device.enable()
    assert poll_until(device, lambda: emulator.trigger_on, 2)
    poll_for(device, 0.3)
    assert recorder.errors == []  # no "wrong code" notice before the citizen scanned anything
    assert emulator.scan(TRACK)
    assert poll_until(device, lambda: recorder.data)
    assert [c.text for c in recorder.data] == [TRACK.decode()]
    assert recorder.errors == []


def test_gm65_code_right_after_the_trigger_answer_is_delivered(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner("gm65")
    device.enable()
    # The answer is on the line before the trigger counts as on; the code follows at once, so
    # both reach the driver without the idle gap between them.
    assert wait_for(lambda: emulator.trigger_on)
    assert emulator.scan(TRACK)
    assert poll_until(device, lambda: recorder.data)
    assert [c.text for c in recorder.data] == [TRACK.decode()]
    assert recorder.errors == []


def test_zebra_ssi_retransmitted_packet_is_acked_but_delivered_once(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner("zebra-ssi", suffix=b"")
    device.enable()
    assert poll_until(device, lambda: emulator.trigger_on, 2)
    thread = scan_in_background(emulator, TRACK, retransmit=True)
    assert poll_until(device, lambda: recorder.data)
    thread.join(timeout=5)
    poll_for(device, 0.3)
    assert [c.text for c in recorder.data] == [TRACK.decode()]
    assert recorder.errors == []
    assert bytes(emulator.commands).count(ssi.ACK) == 2  # the copy is ACKed too, or it comes back


def test_zebra_ssi_retransmitted_first_part_of_a_long_link_is_used_once(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner("zebra-ssi", suffix=b"")
    device.enable()
    assert poll_until(device, lambda: emulator.trigger_on, 2)
    assert len(ssi.decode_packets(LONG_LINK)) == 2
    thread = scan_in_background(emulator, LONG_LINK, retransmit=True)
    assert poll_until(device, lambda: recorder.data)
    thread.join(timeout=5)
    poll_for(device, 0.3)
    assert [c.text for c in recorder.data] == [LONG_LINK.decode()]
    assert recorder.errors == []


def test_zebra_ssi_second_code_in_the_same_read_is_not_delivered(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner("zebra-ssi", suffix=b"")
    device.enable()
    assert poll_until(device, lambda: emulator.trigger_on, 2)
    emulator.send_raw(ssi.decode_packets(TRACK)[0] + ssi.decode_packets(IDENTITY)[0])
    assert poll_until(device, lambda: recorder.data)
    poll_for(device, 0.3)
    assert [c.kind for c in recorder.data] == ["tracking"]  # one input per enable
    assert bytes(emulator.commands).count(ssi.ACK) == 2


def test_zebra_ssi_part_of_a_code_cut_off_by_disable_does_not_prefix_the_next(make_scanner) -> None:  # type: ignore[no-untyped-def]
    emulator, device, recorder = make_scanner("zebra-ssi", suffix=b"")
    device.enable()
    assert poll_until(device, lambda: emulator.trigger_on, 2)
    emulator.send_raw(ssi.decode_packets(LONG_LINK)[0])  # the first part only
    assert poll_until(device, lambda: ssi.ACK in bytes(emulator.commands), 2)
    device.disable()  # e.g. the citizen went back a step
    device.enable()
    assert poll_until(device, lambda: emulator.trigger_on, 2)
    thread = scan_in_background(emulator, TRACK)
    assert poll_until(device, lambda: recorder.data)
    thread.join(timeout=5)
    assert [c.text for c in recorder.data] == [TRACK.decode()]
