"""``kiosk-devices scanner …``: listen to a scanner, decode still images, run a scanner emulator.

Exit codes: 0 success; 1 nothing scanned within the timeout or an image without a code (non-JSON
mode); 2 bad arguments; 3 the scanner is missing or faulty. Failures print one line on stderr.

The token of a city app identity code is a bearer credential (the central service resolves it to the
citizen's name and ID number), so ``listen`` and ``decode`` print it masked, its first 4 and last 2
characters kept, unless ``--unmasked`` is given. Tracking codes and links are printed in clear.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Final

from devices.base import DataEvent, DeviceError, DeviceEvent, ErrorEvent
from devices.registry import open_device
from devices.scanner.payload import IDENTITY_PREFIX, ScannedCode

__all__ = ["register"]

EXIT_OK: Final = 0
EXIT_NOTHING: Final = 1
EXIT_USAGE: Final = 2
EXIT_DEVICE: Final = 3


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``scanner`` command group to the ``kiosk-devices`` parser."""
    scanner = subparsers.add_parser("scanner", help="QR scanners (serial, keyboard-wedge, camera)")
    commands = scanner.add_subparsers(dest="scanner_command", required=True)

    listen = commands.add_parser("listen", help="print each code the scanner reads")
    listen.add_argument(
        "--uri", required=True, help="scanner URI, e.g. serial:///dev/ttyACM0?profile=honeywell"
    )
    listen.add_argument("--count", type=int, default=0, help="stop after this many codes (0: never)")
    listen.add_argument("--timeout", type=float, default=0.0, help="stop after this many seconds (0: never)")
    listen.add_argument("--json", action="store_true", help="one JSON object per line")
    listen.add_argument("--unmasked", action="store_true", help="print identity-code tokens in clear")
    listen.set_defaults(handler=listen_command)

    decode = commands.add_parser("decode", help="decode QR codes in still images with the camera pipeline")
    decode.add_argument("images", nargs="+", type=Path, help="image files (PNG, JPEG, …)")
    decode.add_argument("--json", action="store_true", help='one line per image: {"image", "payload", "ms"}')
    decode.add_argument("--unmasked", action="store_true", help="print identity-code tokens in clear")
    decode.set_defaults(handler=decode_command)

    emulate = commands.add_parser("emulate", help="run a serial scanner emulator; each stdin line is scanned")
    emulate.add_argument("--profile", default="passive", help="trigger profile of the emulated scanner")
    emulate.add_argument("--suffix", choices=("cr", "crlf", "lf", "none"), default="cr")
    emulate.set_defaults(handler=emulate_command)


def listen_command(args: argparse.Namespace) -> int:
    if args.count < 0 or args.timeout < 0:
        return _fail("--count and --timeout must not be negative", EXIT_USAGE)
    try:
        device = open_device("scanner", args.uri)
    except DeviceError as exc:
        return _fail(exc.message, EXIT_USAGE)
    events: list[DeviceEvent] = []
    device.attach("scanner", events.append)
    try:
        device.open()
        device.enable()
    except DeviceError as exc:
        device.close()
        return _fail(f"scanner not available: {exc.message}", EXIT_DEVICE)
    deadline = time.monotonic() + args.timeout if args.timeout else None
    delivered = 0
    try:
        while deadline is None or time.monotonic() < deadline:
            device.poll()
            for event in events:
                if isinstance(event, DataEvent) and isinstance(event.data, ScannedCode):
                    _print_code(event.data, as_json=args.json, masked=not args.unmasked)
                    delivered += 1
                elif isinstance(event, ErrorEvent):
                    print(f"rejected: {event.message}", file=sys.stderr, flush=True)
            events.clear()
            if args.count and delivered >= args.count:
                break
            if not device.enabled:
                device.enable()  # input devices disable themselves after each code
            time.sleep(device.poll_interval_s)
    except DeviceError as exc:
        return _fail(f"scanner failed: {exc.message}", EXIT_DEVICE)
    except KeyboardInterrupt:
        pass
    finally:
        device.close()
    return EXIT_OK if delivered or not (args.count or args.timeout) else EXIT_NOTHING


def _print_code(code: ScannedCode, *, as_json: bool, masked: bool) -> None:
    text, value = code.text, code.value
    if masked and code.kind == "identity":
        text, value = _mask_payload(text), _mask_token(value)
    if as_json:
        print(json.dumps({"kind": code.kind, "text": text, "value": value}, ensure_ascii=False))
    else:
        print(f"{code.kind}\t{text}")
    sys.stdout.flush()


def _mask_payload(text: str) -> str:
    """``text`` with the token of an identity code masked; any other payload unchanged."""
    if text.startswith(IDENTITY_PREFIX):
        return IDENTITY_PREFIX + _mask_token(text[len(IDENTITY_PREFIX) :])
    return text


def _mask_token(token: str) -> str:
    """First 4 and last 2 characters kept, length kept (enough to match a code against a test sheet).

    A token too short for that to hide more than half of it is masked entirely.
    """
    if len(token) <= 12:
        return "*" * len(token)
    return token[:4] + "*" * (len(token) - 6) + token[-2:]


def decode_command(args: argparse.Namespace) -> int:
    import cv2
    import numpy as np

    from devices.scanner.decode import QrDecoder

    decoder = QrDecoder()
    missing = 0
    for path in args.images:
        started = time.perf_counter()
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        payload = decoder.decode(np.asarray(frame, dtype=np.uint8)) if frame is not None else None
        ms = (time.perf_counter() - started) * 1000
        text = payload.decode("utf-8", errors="replace") if payload is not None else None
        if text is not None and not args.unmasked:
            text = _mask_payload(text)
        if frame is None:
            print(f"{path}: not a readable image", file=sys.stderr)
        if text is None:
            missing += 1
        if args.json:
            print(json.dumps({"image": str(path), "payload": text, "ms": round(ms, 2)}, ensure_ascii=False))
        else:
            print(f"{path}\t{text if text is not None else '(no code)'}\t{ms:.1f} ms")
    return EXIT_OK if args.json or not missing else EXIT_NOTHING


def emulate_command(args: argparse.Namespace) -> int:
    from devices.scanner.emulator import SerialScannerEmulator

    suffix = {"cr": b"\r", "crlf": b"\r\n", "lf": b"\n", "none": b""}[args.suffix]
    try:
        emulator = SerialScannerEmulator(args.profile, suffix=suffix)
    except ValueError as exc:
        return _fail(str(exc), EXIT_USAGE)
    with emulator:
        print(emulator.uri, flush=True)
        print("type a payload and press Enter to scan it; Ctrl-D ends", file=sys.stderr)
        try:
            for line in sys.stdin:
                if not emulator.scan(line.rstrip("\n").encode("utf-8")):
                    print("not sent: the host has the trigger off", file=sys.stderr)
        except KeyboardInterrupt:
            pass
    return EXIT_OK


def _fail(message: str, code: int) -> int:
    print(f"kiosk-devices scanner: {message}", file=sys.stderr)
    return code
