"""One command/response exchange, through a hand-written fake of our own Transport seam."""

from __future__ import annotations

import time
from collections import deque

import pytest
import serial

from devices.base import DeviceProtocolError, DeviceTimeoutError
from devices.emulators.idcard import SamReaderEmulator
from devices.idcard import codec
from devices.idcard.codec import BadChecksum, Outcome, parse_response
from devices.idcard.link import SamLink

QUICK = codec.Command("find", 0x20, 0x01, 0.2)


class ScriptedTransport:
    """Answers each write with the next scripted list of chunks; silence when the script ends."""

    def __init__(self, *answers: list[bytes]) -> None:
        self.answers = deque(answers)
        self.pending: deque[bytes] = deque()
        self.writes: list[bytes] = []
        self.discards = 0

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        self.pending = deque(self.answers.popleft() if self.answers else [])

    def read_some(self, timeout_s: float) -> bytes:
        if self.pending:
            return self.pending.popleft()
        time.sleep(timeout_s)
        return b""

    def discard_input(self) -> None:
        self.discards += 1
        self.pending.clear()

    def close(self) -> None:
        pass


def test_a_response_split_over_chunks_is_assembled() -> None:
    frame = codec.build_response(0x9F, bytes(4))
    link = SamLink(ScriptedTransport([frame[:3], frame[3:9], frame[9:]]))
    assert link.exchange(QUICK).outcome is Outcome.OK


def test_the_command_frame_is_what_goes_on_the_line_after_a_discard() -> None:
    transport = ScriptedTransport([codec.build_response(0x80)])
    SamLink(transport).exchange(QUICK)
    assert transport.writes == [bytes.fromhex("AA AA AA 96 69 00 03 20 01 22")]
    assert transport.discards == 1


def test_a_frame_the_module_found_damaged_is_sent_once_more() -> None:
    transport = ScriptedTransport([codec.build_response(0x10)], [codec.build_response(0x80)])
    assert SamLink(transport).exchange(QUICK).outcome is Outcome.NO_CARD
    assert len(transport.writes) == 2


def test_a_frame_rejected_twice_is_a_protocol_error() -> None:
    transport = ScriptedTransport([codec.build_response(0x11)], [codec.build_response(0x21)])
    with pytest.raises(DeviceProtocolError):
        SamLink(transport).exchange(QUICK)


def test_silence_is_a_timeout() -> None:
    with pytest.raises(DeviceTimeoutError):
        SamLink(ScriptedTransport()).exchange(QUICK)


def test_only_damaged_frames_raise_the_frame_error_without_waiting_the_full_deadline() -> None:
    damaged = codec.build_response(0x90)[:-1] + b"\x00"
    slow = codec.Command("read", 0x30, 0x01, 5.0)
    started = time.monotonic()
    with pytest.raises(BadChecksum):
        SamLink(ScriptedTransport([damaged])).exchange(slow)
    assert time.monotonic() - started < 4.0  # gave up long before the 5 s deadline


def test_timeout_scale_stretches_deadlines() -> None:
    started = time.monotonic()
    with pytest.raises(DeviceTimeoutError):
        SamLink(ScriptedTransport(), timeout_scale=2.0).exchange(QUICK)
    assert time.monotonic() - started >= 0.4


def test_the_emulator_answers_a_damaged_host_frame_with_sw3_10() -> None:
    with SamReaderEmulator(paced=False) as emu:
        port = serial.Serial(emu.path, 115200, timeout=3)
        try:
            damaged = codec.FIND.frame()[:-1] + b"\x00"
            port.write(damaged)
            answer = port.read(11)
        finally:
            port.close()
    assert parse_response(answer).sw3 == 0x10
