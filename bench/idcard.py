"""ID card read benchmark: time from "card placed" to the read event, against the wire-time floor.

The emulator paces every byte at 115200 baud 8N1 (86.8 µs per byte) in both directions, so the
exchange a card read needs (find → select → read 1295 bytes → appended address) cannot finish
faster than its bytes take on the line: that is the floor. Three figures, interleaved in one run:

* subject: the driver (real pyserial on a pty) polled the moment the card is placed, until its
  ``DataEvent`` (decoded, validated ``IdCard``) is delivered;
* baseline: the same four exchanges done by a bare pyserial loop that writes each command frame
  and reads the known response length (no decoding, no validation): the best this line allows;
* end to end: the card placed at a random moment while a ``DeviceManager`` polls at the production
  interval (0.3 s), up to the listener on the core thread; this adds the poll wait (0.15 s mean);
* reconnect: the reader unplugged long enough for the backoff to reach its ceiling, then replugged;
  time until the manager reports it online again (the design promises under 5 s).

Target: subject within 1.15× of the floor, median of 20 reads.

Run: .venv/bin/python bench/idcard.py [--reads N]
"""

from __future__ import annotations

import argparse
import queue
import random
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import serial

from bench.harness import Timings, ms, report
from devices.base import DataEvent, DeviceEvent, Health
from devices.emulators.idcard import SamReaderEmulator
from devices.emulators.pty import BITS_PER_BYTE
from devices.idcard import codec
from devices.idcard.driver import SamCardReader
from devices.idcard.samples import sample_card
from devices.idcard.textblock import encode_text_block
from devices.manager import DeviceManager

BAUD = 115200
TARGET = 1.15


def exchange_frames() -> list[tuple[bytes, int]]:
    """(command frame, response length) for one read of a card without appended address."""
    read_response = codec.build_response(
        0x90, codec.build_read_payload(encode_text_block(sample_card()), bytes(1024))
    )
    return [
        (codec.FIND.frame(), len(codec.build_response(0x9F, bytes(4)))),
        (codec.SELECT.frame(), len(codec.build_response(0x90, bytes(8)))),
        (codec.READ.frame(), len(read_response)),
        (codec.APPENDED_ADDRESS.frame(), len(codec.build_response(0x91))),
    ]


def wire_floor() -> float:
    total = sum(len(command) + response for command, response in exchange_frames())
    return total * BITS_PER_BYTE / BAUD


def time_driver_read(emulator: SamReaderEmulator, reader: SamCardReader, events: list[DeviceEvent]) -> float:
    emulator.remove_card()
    events.clear()
    reader.enable()
    emulator.place_card()
    started = time.perf_counter()
    while not any(isinstance(e, DataEvent) for e in events):
        reader.poll()
    return time.perf_counter() - started


def time_bare_exchange(emulator: SamReaderEmulator, port: serial.Serial) -> float:
    emulator.place_card()
    started = time.perf_counter()
    for command, response_length in exchange_frames():
        port.write(command)
        answer = port.read(response_length)
        if len(answer) != response_length:
            raise RuntimeError("bare exchange lost bytes")
    return time.perf_counter() - started


def time_end_to_end(reads: int) -> Timings:
    """Card placed at random moments while the manager polls; until the core-thread listener."""
    timings = Timings("end to end (poll 0.3 s)")
    core: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
    with SamReaderEmulator(baud=BAUD) as emulator:
        manager = DeviceManager(core.put)
        reader = SamCardReader(emulator.path, poll_interval_s=0.3)
        manager.add("idcard", reader)
        arrived = threading.Event()
        manager.subscribe(lambda e: arrived.set() if isinstance(e, DataEvent) else None)
        manager.start()
        try:
            for _ in range(reads):
                emulator.remove_card()
                arrived.clear()
                manager.enable("idcard")
                time.sleep(random.uniform(0.35, 0.65))  # a random phase against the poll
                emulator.place_card()
                placed = time.perf_counter()
                while not arrived.is_set():
                    fn = core.get(timeout=10)
                    fn()
                timings.samples.append(time.perf_counter() - placed)
        finally:
            manager.stop()
    return timings


def time_reconnects(cycles: int) -> Timings:
    """Unplug for 2.5 s (backoff at its ceiling), replug, time until the manager says online."""
    timings = Timings("reconnect after replug")
    with SamReaderEmulator(baud=BAUD) as emulator:
        manager = DeviceManager(lambda fn: None)  # nobody listens: only the report matters
        manager.add("idcard", SamCardReader(emulator.path))
        manager.start()
        try:
            for _ in range(cycles):
                _wait_for(lambda: manager.report()["idcard"].health is Health.ONLINE)
                emulator.unplug()
                _wait_for(lambda: manager.report()["idcard"].health is Health.NO_DEVICE)
                time.sleep(2.5)
                emulator.replug()
                replugged = time.perf_counter()
                _wait_for(lambda: manager.report()["idcard"].health is Health.ONLINE)
                timings.samples.append(time.perf_counter() - replugged)
        finally:
            manager.stop()
    return timings


def _wait_for(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("condition not reached")
        time.sleep(0.005)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=20)
    parser.add_argument("--reconnects", type=int, default=5)
    args = parser.parse_args()

    floor = wire_floor()
    driver_times, bare_times = Timings("driver read"), Timings("bare pyserial exchange")
    with SamReaderEmulator(baud=BAUD) as driver_emu, SamReaderEmulator(baud=BAUD) as bare_emu:
        events: list[DeviceEvent] = []
        reader = SamCardReader(driver_emu.path)
        reader.attach("idcard", events.append)
        reader.open()
        port = serial.Serial(bare_emu.path, BAUD, timeout=5)
        try:
            for _ in range(2):  # warm-up
                time_driver_read(driver_emu, reader, events)
                time_bare_exchange(bare_emu, port)
            for _ in range(args.reads):
                driver_times.samples.append(time_driver_read(driver_emu, reader, events))
                bare_times.samples.append(time_bare_exchange(bare_emu, port))
        finally:
            port.close()
            reader.close()
    end_to_end = time_end_to_end(args.reads)
    reconnects = time_reconnects(args.reconnects)

    ratio = driver_times.median / floor
    rows = [
        ("wire-time floor", f"{ms(floor)} ({sum(len(c) + r for c, r in exchange_frames())} bytes)", ""),
        (
            driver_times.name,
            f"median {ms(driver_times.median)}  p90 {ms(driver_times.percentile(90))}",
            f"ratio {ratio:.3f}x floor",
        ),
        (
            bare_times.name,
            f"median {ms(bare_times.median)}",
            f"ratio {bare_times.median / floor:.3f}x floor; driver/bare "
            f"{driver_times.median / bare_times.median:.3f}x",
        ),
        (
            end_to_end.name,
            f"median {ms(end_to_end.median)}  p90 {ms(end_to_end.percentile(90))}",
            f"ratio {end_to_end.median / floor:.2f}x floor",
        ),
        (
            reconnects.name,
            f"median {ms(reconnects.median)}  max {ms(max(reconnects.samples))}",
            f"({len(reconnects.samples)} cycles; promise < 5 s)",
        ),
    ]
    verdict = "meets" if ratio <= TARGET else "MISSES"
    report(
        f"ID card read at {BAUD} baud, {args.reads} reads",
        rows,
        note=f"driver read {verdict} the {TARGET}x target",
    )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
