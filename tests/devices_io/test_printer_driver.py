"""The receipt printer driver through the serial (pty) and network (127.0.0.1) emulators."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.base import (
    DeviceConfigError,
    DeviceError,
    DeviceNotFoundError,
    DeviceUserError,
    Health,
    OutputCompleteEvent,
    StatusChangedEvent,
)
from devices.manager import DeviceManager
from devices.printer.document import ReceiptDocument
from devices.printer.driver import EscposPrinter
from devices.printer.emulator import NetworkPrinterEmulator, SerialPrinterEmulator
from devices.printer.profiles import PROFILES
from devices.printer.render import render_receipt
from devices.printer.transport import PrinterTransport, SerialPrinterTransport, TcpPrinterTransport
from devices.registry import open_device
from tests.support.devices import EventLog, FakeCoreLoop
from tests.support.devices_io import Recorder, attach, poll_until

TRACK = "cityapp:track:v1:0190a6c2-7d3e-7abc-8def-0123456789ab"
RECEIPT = ReceiptDocument(
    title="居住证签注受理回执",
    lines=("办理结果：已受理。",),
    rows=(("申请人", "刘䶮"), ("费用", "￥0.00")),
    qr=TRACK,
    footer=("谢谢使用",),
)

Emulator = SerialPrinterEmulator | NetworkPrinterEmulator


@pytest.fixture(params=["serial", "network"])
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    emu: Emulator = SerialPrinterEmulator() if request.param == "serial" else NetworkPrinterEmulator()
    with emu:
        yield emu


@pytest.fixture
def printer(emulator: Emulator) -> Iterator[tuple[EscposPrinter, Recorder]]:
    separator = "&" if "?" in emulator.uri else "?"
    device = open_device("printer", f"{emulator.uri}{separator}profile=58mm&status_timeout=0.3")
    assert isinstance(device, EscposPrinter)
    recorder = attach(device, "printer")
    device.open()
    yield device, recorder
    device.close()


def wait_for_bytes(emulator: Emulator, size: int) -> bytes:
    import time

    deadline = time.monotonic() + 5
    while len(emulator.core.printed) < size and time.monotonic() < deadline:
        time.sleep(0.01)
    return emulator.core.printed


def test_receipt_bytes_arrive_exactly_as_rendered(
    emulator: Emulator, printer: tuple[EscposPrinter, Recorder]
) -> None:
    device, recorder = printer
    expected = render_receipt(RECEIPT, PROFILES["58mm"])
    device.print_document(RECEIPT, "job-1")
    assert wait_for_bytes(emulator, len(expected)) == expected
    assert [e.job_id for e in recorder.events if isinstance(e, OutputCompleteEvent)] == ["job-1"]


def test_repeated_job_key_prints_once(emulator: Emulator, printer: tuple[EscposPrinter, Recorder]) -> None:
    device, recorder = printer
    expected = render_receipt(RECEIPT, PROFILES["58mm"])
    device.print_document(RECEIPT, "job-1")
    device.print_document(RECEIPT, "job-1")
    other = ReceiptDocument(title="另一张")
    device.print_document(other, "job-2")
    second = render_receipt(other, PROFILES["58mm"])
    assert wait_for_bytes(emulator, len(expected) + len(second)) == expected + second
    assert [e.job_id for e in recorder.events if isinstance(e, OutputCompleteEvent)] == ["job-1", "job-2"]


def test_status_online_and_paper_ok(printer: tuple[EscposPrinter, Recorder]) -> None:
    device, _ = printer
    assert device.status() == {"online": "true", "cover": "closed", "paper": "ok", "error": "false"}
    assert device.health is Health.ONLINE


@pytest.mark.parametrize(
    ("state", "expected", "health"),
    [
        ("near_end", {"online": "true", "paper": "near_end"}, Health.ONLINE),
        ("paper_out", {"online": "false", "paper": "out"}, Health.USER_ERROR),
        ("cover_open", {"online": "false", "cover": "open"}, Health.USER_ERROR),
        ("error", {"online": "false", "error": "true"}, Health.HARDWARE_ERROR),
        ("silent", {"online": "unknown", "cover": "unknown", "paper": "unknown"}, Health.ONLINE),
    ],
)
def test_scripted_states_reach_status_and_health(
    emulator: Emulator,
    printer: tuple[EscposPrinter, Recorder],
    state: str,
    expected: dict[str, str],
    health: Health,
) -> None:
    device, recorder = printer
    emulator.core.set_state(state)  # type: ignore[arg-type]
    device.refresh_status()
    status = device.status()
    for key, value in expected.items():
        assert status[key] == value
    assert device.health is health
    changes = [e for e in recorder.events if isinstance(e, StatusChangedEvent)]
    assert changes[-1].status["paper"] == status["paper"]


@pytest.mark.parametrize(("state", "code"), [("paper_out", "paper_out"), ("cover_open", "cover_open")])
def test_printing_is_refused_when_paper_is_out_or_cover_open(
    emulator: Emulator, printer: tuple[EscposPrinter, Recorder], state: str, code: str
) -> None:
    device, _ = printer
    emulator.core.set_state(state)  # type: ignore[arg-type]
    emulator.core.clear()
    with pytest.raises(DeviceUserError) as caught:
        device.print_document(RECEIPT, "job-1")
    assert caught.value.code == code
    assert emulator.core.printed == b""
    # Once the paper is back, the same job key prints: a refused job was not recorded.
    emulator.core.set_state("ok")
    device.print_document(RECEIPT, "job-1")
    assert wait_for_bytes(emulator, 100)


def test_silent_printer_still_prints(emulator: Emulator, printer: tuple[EscposPrinter, Recorder]) -> None:
    device, _ = printer
    emulator.core.set_state("silent")
    device.print_document(ReceiptDocument(title="回执"), "job-9")
    assert wait_for_bytes(emulator, 10).startswith(b"\x1b@\x1c&")
    assert device.status()["paper"] == "unknown"


def _idle_printer(emulator: Emulator, poll_interval_s: float) -> EscposPrinter:
    """A printer as the kiosk runs it (opened, never enabled), checking its status often."""
    transport: PrinterTransport = (
        SerialPrinterTransport(emulator.path)
        if isinstance(emulator, SerialPrinterEmulator)
        else TcpPrinterTransport("127.0.0.1", emulator.port)
    )
    return EscposPrinter(transport, PROFILES["58mm"], status_timeout_s=0.3, poll_interval_s=poll_interval_s)


@pytest.mark.parametrize(
    ("state", "key", "value", "health"),
    [
        ("paper_out", "paper", "out", Health.USER_ERROR),
        ("cover_open", "cover", "open", Health.USER_ERROR),
        ("near_end", "paper", "near_end", Health.ONLINE),
    ],
)
def test_an_idle_printer_s_status_follows_the_device_without_printing(
    emulator: Emulator, state: str, key: str, value: str, health: Health
) -> None:
    device = _idle_printer(emulator, poll_interval_s=0.05)
    recorder = attach(device, "printer")
    device.open()
    try:
        assert device.status()[key] != value
        emulator.core.set_state(state)  # type: ignore[arg-type]
        emulator.core.clear()
        assert poll_until(device, lambda: device.status()[key] == value)
        assert device.health is health
        assert not device.enabled
        assert emulator.core.printed == b""  # noticed without a print
        changes = [e for e in recorder.events if isinstance(e, StatusChangedEvent)]
        assert changes[-1].status[key] == value
        emulator.core.set_state("ok")  # paper loaded, cover closed: back without a reopen
        assert poll_until(device, lambda: device.status()["paper"] == "ok" and device.health is Health.ONLINE)
    finally:
        device.close()


def test_an_idle_printer_unplugged_and_plugged_back_is_seen_under_the_manager() -> None:
    core = FakeCoreLoop()
    manager = DeviceManager(core.post)
    log = EventLog()
    manager.subscribe(log)
    with SerialPrinterEmulator() as emulator:
        manager.add("printer", _idle_printer(emulator, poll_interval_s=0.1))
        manager.start()
        try:
            assert core.run_until(lambda: log.healths()[-1:] == ["online"])
            emulator.core.set_state("paper_out")
            assert core.run_until(lambda: log.healths()[-1:] == ["user_error"])
            emulator.harness.unplug()
            assert core.run_until(lambda: log.healths()[-1:] == ["no_device"] and "no_device" in log.errors())
            emulator.core.set_state("ok")
            emulator.harness.replug()
            assert core.run_until(lambda: log.healths()[-1:] == ["online"])
            assert manager.report()["printer"].reconnects >= 1
        finally:
            manager.stop()


def test_bad_job_key_and_bad_document_are_typed_errors(printer: tuple[EscposPrinter, Recorder]) -> None:
    device, _ = printer
    with pytest.raises(DeviceError) as caught:
        device.print_document(RECEIPT, "")
    assert caught.value.code == "bad_job_key"
    with pytest.raises(DeviceError) as caught:
        device.print_document(ReceiptDocument(title="T", qr="x" * 1000), "job-x")
    assert caught.value.code == "bad_document"


def test_network_printer_switched_off_mid_session() -> None:
    with NetworkPrinterEmulator() as emulator:
        device = open_device("printer", emulator.uri + "?status_timeout=0.3")
        assert isinstance(device, EscposPrinter)
        recorder = attach(device)
        device.open()
        emulator.close()  # the printer goes away
        with pytest.raises(DeviceNotFoundError):
            for n in range(50):  # the first writes may still land in the socket buffer
                device.print_raw(b"x" * 65536, f"job-{n}")
        assert device.health is Health.NO_DEVICE
        assert recorder.errors[-1].code == "no_device"
        device.close()


def test_serial_printer_unplugged() -> None:
    with SerialPrinterEmulator() as emulator:
        device = open_device("printer", emulator.uri + "&status_timeout=0.3")
        assert isinstance(device, EscposPrinter)
        device.open()
        emulator.harness.unplug()
        with pytest.raises(DeviceNotFoundError):
            device.refresh_status()
        device.close()


def test_nothing_listening_is_not_found() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    device = open_device("printer", f"escpos-tcp://127.0.0.1:{port}?timeout=1")
    with pytest.raises(DeviceNotFoundError):
        device.open()


def test_usb_printer_that_is_not_there_is_not_found() -> None:
    # Whether libusb is installed or not, a printer that is not plugged in is "no device", not a crash.
    device = open_device("printer", "escpos-usb://0x0416:0x5011?timeout=1")
    with pytest.raises(DeviceNotFoundError):
        device.open()
    assert device.health is Health.NO_DEVICE


def test_file_printer_writes_bytes_and_reports_unknown_status(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    device = open_device("printer", f"escpos-file://{target}?profile=80mm&qr=raster")
    assert isinstance(device, EscposPrinter)
    device.open()
    device.print_document(RECEIPT, "job-1")
    device.close()
    assert target.read_bytes() == render_receipt(RECEIPT, PROFILES["80mm"].with_options(native_qr=False))
    assert device.status()["paper"] == "unknown"


def test_sim_printer_saves_bytes_and_a_preview_per_job(tmp_path: Path) -> None:
    from PIL import Image

    device = open_device("printer", f"sim:?profile=58mm&out={tmp_path}")
    device.open()
    device.print_document(RECEIPT, "k1")  # type: ignore[attr-defined]
    device.close()
    (png,) = tmp_path.glob("*.png")
    (raw,) = tmp_path.glob("*.bin")
    assert raw.read_bytes() == render_receipt(RECEIPT, PROFILES["58mm"])
    assert Image.open(png).width == 384 + 32


def test_sim_printer_uses_the_real_renderer_and_states() -> None:
    device = open_device("printer", "sim:?state=near_end&profile=58mm")
    assert isinstance(device, EscposPrinter)
    device.open()
    assert device.status()["paper"] == "near_end"
    device.print_document(RECEIPT, "k")
    assert device.transport.core.printed == render_receipt(RECEIPT, PROFILES["58mm"])  # type: ignore[attr-defined]
    device.close()
    failing = open_device("printer", "sim:?fail=no_device")
    with pytest.raises(DeviceNotFoundError):
        failing.open()


@pytest.mark.parametrize(
    "uri",
    [
        "escpos-usb://0416",
        "escpos-usb://zz:11",
        "escpos-serial://",
        "escpos-tcp://host:port",
        "escpos-file://",
        "escpos-tcp://127.0.0.1:9100?profile=110mm",
        "escpos-tcp://127.0.0.1:9100?qr=maybe",
        "escpos-tcp://127.0.0.1:9100?encoding=big5",
        "sim:?state=on_fire",
    ],
)
def test_bad_printer_uris_are_config_errors(uri: str) -> None:
    with pytest.raises(DeviceConfigError):
        open_device("printer", uri)


def test_status_read_while_opening_is_what_health_shows() -> None:
    with NetworkPrinterEmulator("paper_out") as emulator:
        device = open_device("printer", emulator.uri)
        recorder = attach(device)
        device.open()
        assert device.health is Health.USER_ERROR
        assert device.status()["paper"] == "out"
        last = [e for e in recorder.events if isinstance(e, StatusChangedEvent)][-1]
        assert last.new is Health.USER_ERROR
        device.close()


def test_printer_that_stops_accepting_data_times_out_instead_of_hanging() -> None:
    import time

    # A "printer" that accepts the connection and then never reads: the socket buffers fill up.
    server = socket.create_server(("127.0.0.1", 0))
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    port = server.getsockname()[1]
    try:
        device = open_device("printer", f"escpos-tcp://127.0.0.1:{port}?timeout=0.5&status_timeout=0.1")
        assert isinstance(device, EscposPrinter)
        device.open()
        assert device.status()["online"] == "unknown"
        started = time.monotonic()
        with pytest.raises(DeviceError) as caught:
            device.print_raw(b"\x00" * 20_000_000, "big-job")
        assert caught.value.code == "timeout"
        assert time.monotonic() - started < 30
        device.close()
    finally:
        server.close()
