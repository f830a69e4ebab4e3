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
    """Answers each write with the next scripted list of chunks; silence when the script ends.

    A float in a script is a pause: that many seconds without a byte. ``baud`` sets the line rate
    the link is told about (the chunks themselves arrive when scripted).
    """

    def __init__(self, *answers: list[bytes | float], baud: int = 115200) -> None:
        self.answers = deque(answers)
        self.pending: deque[bytes | float] = deque()
        self.writes: list[bytes] = []
        self.discards = 0
        self.baud = baud

    def wire_time(self, nbytes: int) -> float:
        return nbytes * 10 / self.baud

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        self.pending = deque(self.answers.popleft() if self.answers else [])

    def read_some(self, timeout_s: float) -> bytes:
        while self.pending:
            item = self.pending.popleft()
            if isinstance(item, bytes):
                return item
            if item > timeout_s:
                self.pending.appendleft(item - timeout_s)
                break
            time.sleep(item)
            timeout_s -= item
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


def test_the_deadline_includes_the_answer_s_time_on_a_slow_line() -> None:
    # 0.3 s of the module's own time, then a 1295-byte read answer that needs 1.35 s at 9600 baud.
    read = codec.Command("read", 0x30, 0x01, 0.5, response_bytes=1295)
    answer = codec.build_response(0x90, bytes(1284))
    transport = ScriptedTransport([0.3, answer[:600], 0.7, answer[600:]], baud=9600)
    assert SamLink(transport).exchange(read).sw3 == 0x90


def test_a_damaged_frame_does_not_cut_short_an_answer_still_arriving() -> None:
    damaged = codec.build_response(0x90)[:-1] + b"\x00"
    answer = codec.build_response(0x9F, bytes(4))
    transport = ScriptedTransport([damaged, answer[:8], 0.4, answer[8:]])
    read = codec.Command("read", 0x30, 0x01, 2.0)
    assert SamLink(transport).exchange(read).outcome is Outcome.OK


def test_a_cut_off_header_before_the_answer_costs_no_deadline() -> None:
    transport = ScriptedTransport([bytes.fromhex("AA AA AA 96 69 00 40"), codec.build_response(0x80)])
    started = time.monotonic()
    assert SamLink(transport).exchange(QUICK).outcome is Outcome.NO_CARD
    assert time.monotonic() - started < 0.1


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
