"""The scanner and printer drivers under the real DeviceManager: worker threads, core-thread events,
jobs through ``run``, and reconnection after the scanner is unplugged and plugged back."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator

import pytest

from devices.base import DataEvent, DeviceError, DeviceEvent, OutputCompleteEvent
from devices.manager import DeviceManager
from devices.printer.document import ReceiptDocument
from devices.printer.emulator import NetworkPrinterEmulator
from devices.registry import open_device
from devices.scanner.emulator import SerialScannerEmulator

TRACK = b"cityapp:track:v1:0190a6c2-7d3e-7abc-8def-0123456789ab"


class CoreThread:
    """The core thread's queue: ``post`` enqueues, ``pump`` runs what arrived (in the test thread)."""

    def __init__(self) -> None:
        self.inbox: queue.Queue[Callable[[], None]] = queue.Queue()
        self.events: list[DeviceEvent] = []

    def post(self, fn: Callable[[], None]) -> None:
        self.inbox.put(fn)

    def pump_until(self, done: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return True
            try:
                work = self.inbox.get(timeout=0.02)
            except queue.Empty:
                continue
            work()
        return done()


@pytest.fixture
def core() -> CoreThread:
    return CoreThread()


@pytest.fixture
def manager(core: CoreThread) -> Iterator[DeviceManager]:
    mgr = DeviceManager(core.post)
    mgr.subscribe(core.events.append)
    yield mgr
    mgr.stop()


def scanned(core: CoreThread) -> list[object]:
    return [e.data for e in core.events if isinstance(e, DataEvent)]


def test_scanner_code_reaches_the_core_and_comes_back_after_a_replug(
    manager: DeviceManager, core: CoreThread
) -> None:
    with SerialScannerEmulator("honeywell") as emulator:
        manager.add("scanner", open_device("scanner", emulator.uri))
        manager.start()
        manager.enable("scanner")
        assert core.pump_until(lambda: emulator.trigger_on)
        emulator.scan(TRACK)
        assert core.pump_until(lambda: len(scanned(core)) == 1)

        assert core.pump_until(lambda: not emulator.trigger_on)  # the driver switched it off

        emulator.harness.unplug()
        time.sleep(0.3)
        emulator.commands.clear()
        emulator.harness.replug()
        manager.enable("scanner")
        # Wait for the reopened driver's own trigger-on, not a state left from before the unplug.
        assert core.pump_until(lambda: b"\x16T\r" in bytes(emulator.commands))
        emulator.scan(TRACK)
        assert core.pump_until(lambda: len(scanned(core)) == 2)
        assert manager.report()["scanner"].reconnects >= 1


def test_receipt_printed_through_run_once_per_job_key(manager: DeviceManager, core: CoreThread) -> None:
    with NetworkPrinterEmulator() as emulator:
        manager.add("printer", open_device("printer", emulator.uri + "?profile=58mm"))
        manager.start()
        results: list[object] = []
        doc = ReceiptDocument(title="回执", qr=TRACK.decode())

        def print_job(device: object) -> None:
            device.print_document(doc, "application-1")  # type: ignore[attr-defined]

        def failed(error: DeviceError) -> None:
            results.append(error)

        for _ in range(2):
            manager.run("printer", print_job, results.append, failed)
        # The first job may arrive before the printer is open: retry it like the flows would.
        assert core.pump_until(lambda: len(results) == 2)
        if any(isinstance(r, DeviceError) for r in results):
            results.clear()
            manager.run("printer", print_job, results.append, failed)
            assert core.pump_until(lambda: len(results) == 1)
        assert not any(isinstance(r, DeviceError) for r in results)
        completed = [e for e in core.events if isinstance(e, OutputCompleteEvent)]
        assert [e.job_id for e in completed] == ["application-1"]
        assert emulator.core.printed.count(b"\x1d\x56\x00") == 1
