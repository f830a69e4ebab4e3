"""``kiosk-devices printer …``: test page, status, preview of ESC/POS bytes, printer emulator.

Exit codes: 0 success; 1 the printer answered but cannot print (paper out, cover open, error);
2 bad arguments or unreadable input; 3 the printer is missing or failed. Failures print one line on
stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Final

from devices.base import DeviceError, DeviceUserError
from devices.printer.document import ReceiptDocument
from devices.printer.driver import EscposPrinter
from devices.registry import open_device

__all__ = ["register", "test_page"]

EXIT_OK: Final = 0
EXIT_CANNOT_PRINT: Final = 1
EXIT_USAGE: Final = 2
EXIT_DEVICE: Final = 3


def test_page() -> ReceiptDocument:
    """The technician's test page: Chinese text, full-width punctuation, Latin, a rare character, a QR."""
    return ReceiptDocument(
        title="打印机测试页",
        lines=(
            "中文：政务服务自助终端（测试）",
            "全角标点：，。；：！？（）《》￥",
            "Latin: Café, No. 12 / ABC-123",
            "生僻字：䶮 𠮷 堃 喆",
        ),
        rows=(("纸宽", "58/80 mm"), ("编码", "GB18030")),
        qr="cityapp:track:v1:00000000-0000-4000-8000-000000000000",
        footer=("如能看清以上内容，打印机工作正常。",),
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``printer`` command group to the ``kiosk-devices`` parser."""
    printer = subparsers.add_parser("printer", help="ESC/POS receipt printer")
    commands = printer.add_subparsers(dest="printer_command", required=True)

    test = commands.add_parser("test", help="print a test page (Chinese text, a QR code, a cut)")
    test.add_argument(
        "--uri", required=True, help="printer URI, e.g. escpos-tcp://192.0.2.10:9100?profile=80mm"
    )
    test.set_defaults(handler=test_command)

    status = commands.add_parser("status", help="ask the printer for its status (DLE EOT)")
    status.add_argument("--uri", required=True)
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=status_command)

    preview = commands.add_parser("preview", help="draw ESC/POS bytes as a PNG")
    preview.add_argument("file", type=Path, help="file holding ESC/POS bytes")
    preview.add_argument("--out", type=Path, required=True, help="PNG to write")
    preview.add_argument("--paper", choices=("58mm", "80mm"), default="80mm")
    preview.add_argument("--encoding", choices=("gb18030", "gbk", "utf-8"), default="gb18030")
    preview.set_defaults(handler=preview_command)

    emulate = commands.add_parser("emulate", help="run a network printer emulator on 127.0.0.1")
    emulate.add_argument("--port", type=int, default=9100)
    emulate.add_argument(
        "--state", choices=("ok", "near_end", "paper_out", "cover_open", "error", "silent"), default="ok"
    )
    emulate.add_argument("--record", type=Path, default=None, help="write the received bytes here on exit")
    emulate.set_defaults(handler=emulate_command)


def _open(uri: str) -> EscposPrinter | int:
    try:
        device = open_device("printer", uri)
    except DeviceError as exc:
        return _fail(exc.message, EXIT_USAGE)
    if not isinstance(device, EscposPrinter):
        return _fail("this command needs an ESC/POS printer URI", EXIT_USAGE)
    try:
        device.open()
    except DeviceError as exc:
        return _fail(f"printer not available: {exc.message}", EXIT_DEVICE)
    return device


def test_command(args: argparse.Namespace) -> int:
    printer = _open(args.uri)
    if isinstance(printer, int):
        return printer
    try:
        printer.print_document(test_page(), job_key=f"test-page-{time.time_ns()}")
    except DeviceUserError as exc:
        return _fail(f"cannot print: {exc.message}", EXIT_CANNOT_PRINT)
    except DeviceError as exc:
        return _fail(f"printing failed: {exc.message}", EXIT_DEVICE)
    finally:
        printer.close()
    print("test page sent; status: " + ", ".join(f"{k}={v}" for k, v in printer.status().items()))
    return EXIT_OK


def status_command(args: argparse.Namespace) -> int:
    printer = _open(args.uri)
    if isinstance(printer, int):
        return printer
    try:
        status = printer.status()
        health = printer.health.value
    finally:
        printer.close()
    if args.json:
        print(json.dumps({"health": health, **status}))
    else:
        print(f"health: {health}")
        for key, value in status.items():
            print(f"{key}: {value}")
    return EXIT_OK


def preview_command(args: argparse.Namespace) -> int:
    from devices.printer.fonts import FontNotFoundError
    from devices.printer.preview import PreviewError, render_preview
    from devices.printer.profiles import get_profile

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror}", EXIT_USAGE)
    try:
        image = render_preview(data, paper_dots=get_profile(args.paper).dots, encoding=args.encoding)
    except (PreviewError, FontNotFoundError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    try:
        image.save(args.out, format="PNG")
    except OSError as exc:
        return _fail(f"cannot write {args.out}: {exc.strerror}", EXIT_USAGE)
    print(f"{args.out}: {image.width}×{image.height}")
    return EXIT_OK


def emulate_command(args: argparse.Namespace) -> int:
    from devices.printer.emulator import NetworkPrinterEmulator

    try:
        emulator = NetworkPrinterEmulator(args.state, port=args.port)
    except OSError as exc:
        return _fail(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", EXIT_USAGE)
    with emulator:
        print(emulator.uri, flush=True)
        try:
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        if args.record is not None:
            args.record.write_bytes(emulator.core.printed)
    return EXIT_OK


def _fail(message: str, code: int) -> int:
    print(f"kiosk-devices printer: {message}", file=sys.stderr)
    return code
