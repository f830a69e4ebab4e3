"""The pty harness seen through the real pyserial client."""

import threading
import time

import pytest
import serial

from devices.emulators.pty import PtyHarness


def _echo_harness(baud: int | None = None) -> PtyHarness:
    harness = PtyHarness(baud=baud)
    harness.set_handler(lambda data: harness.write(data.upper()))
    return harness


def test_client_talks_to_the_emulator_through_real_pyserial() -> None:
    with _echo_harness() as harness:
        port = serial.Serial(harness.path, 115200, timeout=2)
        try:
            port.write(b"hello")
            assert port.read(5) == b"HELLO"
        finally:
            port.close()


def test_the_emulator_survives_the_client_closing_and_reopening() -> None:
    with _echo_harness() as harness:
        for _ in range(3):
            port = serial.Serial(harness.path, 115200, timeout=2)
            port.write(b"ab")
            assert port.read(2) == b"AB"
            port.close()


def test_paced_write_takes_the_wire_time() -> None:
    with PtyHarness(baud=9600) as harness:
        port = serial.Serial(harness.path, 9600, timeout=3)
        try:
            payload = bytes(range(96))  # 0.1 s at 9600 baud
            started = time.perf_counter()
            writer = threading.Thread(target=harness.write, args=(payload,))
            writer.start()
            received = port.read(len(payload))
            elapsed = time.perf_counter() - started
            writer.join()
            assert received == payload
            # A lower bound only: pacing must never deliver faster than the line could.
            assert elapsed >= harness.wire_time(len(payload)) * 0.95
        finally:
            port.close()


def test_unplug_makes_the_client_see_a_lost_device_and_replug_a_new_one() -> None:
    with _echo_harness() as harness:
        port = serial.Serial(harness.path, 115200, timeout=2)
        harness.unplug()
        with pytest.raises(serial.SerialException):
            port.read(1)
            port.write(b"x")
            port.read(1)
        port.close()
        with pytest.raises(serial.SerialException):
            serial.Serial(harness.path, 115200, timeout=1)
        harness.replug()
        port = serial.Serial(harness.path, 115200, timeout=2)
        try:
            port.write(b"back")
            assert port.read(4) == b"BACK"
        finally:
            port.close()


def test_write_while_unplugged_reports_loss_and_close_is_idempotent() -> None:
    harness = PtyHarness().start()
    harness.unplug()
    assert harness.write(b"lost") is False
    harness.close()
    harness.close()


def test_unplug_from_inside_the_handler_does_not_deadlock() -> None:
    harness = PtyHarness()
    harness.set_handler(lambda data: harness.unplug())
    with harness:
        port = serial.Serial(harness.path, 115200, timeout=2)
        port.write(b"bye")
        deadline = time.monotonic() + 5
        while harness.plugged and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not harness.plugged
        with pytest.raises(serial.SerialException):
            port.read(1)
        port.close()


def test_a_failing_handler_does_not_kill_the_line() -> None:
    calls: list[bytes] = []
    harness = PtyHarness()

    def handler(data: bytes) -> None:
        calls.append(data)
        if len(calls) == 1:
            raise ValueError("emulator bug")
        harness.write(b"ok")

    harness.set_handler(handler)
    with harness:
        port = serial.Serial(harness.path, 115200, timeout=2)
        try:
            port.write(b"a")
            time.sleep(0.2)
            port.write(b"b")
            assert port.read(2) == b"ok"
        finally:
            port.close()
