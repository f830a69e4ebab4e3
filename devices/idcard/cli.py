"""``kiosk-devices idcard …``: read a card from a real or emulated reader, or run the emulator.

Exit codes: 0 success; 1 no card within the timeout; 2 bad arguments or card file; 3 the reader
is missing or faulty; 130 interrupted. Failures print exactly one line on stderr. The holder's
personal fields (name, birth date, address, issuer, ID and pass numbers, ...) are printed masked, as
``IdCard.to_json`` masks them, unless ``--unmasked`` is given; the masks keep each value's length,
and the photo's size is shown, so a technician can tell that a read worked without seeing who it was.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any, Final

from devices.base import DataEvent, DeviceError, DeviceEvent, ErrorEvent
from devices.emulators.idcard import SCENARIOS, SamReaderEmulator
from devices.idcard.card import IdCard
from devices.idcard.driver import SamCardReader
from devices.idcard.samples import SAMPLE_CARDS, sample_card

__all__ = ["register"]

EXIT_OK: Final = 0
EXIT_NO_CARD: Final = 1
EXIT_USAGE: Final = 2
EXIT_DEVICE: Final = 3
EXIT_INTERRUPTED: Final = 130


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``idcard`` command group to the ``kiosk-devices`` parser."""
    idcard = subparsers.add_parser("idcard", help="resident ID card reader")
    commands = idcard.add_subparsers(dest="idcard_command", required=True)

    read = commands.add_parser("read", help="wait for a card and print it")
    read.add_argument("--port", required=True, help="serial device of the reader, e.g. /dev/ttyUSB0")
    read.add_argument("--baud", type=int, default=None, help="baud rate to try first (default 115200)")
    read.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a card")
    read.add_argument("--json", action="store_true", help="print the card as JSON")
    read.add_argument(
        "--unmasked", action="store_true", help="print every field in clear (name, address, numbers, ...)"
    )
    read.set_defaults(handler=read_command)

    emulate = commands.add_parser("emulate", help="run a reader emulator on a pseudo-terminal")
    emulate.add_argument("--card", type=Path, default=None, help="card to present (JSON file)")
    emulate.add_argument(
        "--sample", choices=sorted(SAMPLE_CARDS), default="resident", help="sample card to present"
    )
    emulate.add_argument("--scenario", choices=SCENARIOS, default="card_placed")
    emulate.add_argument("--baud", type=int, default=115200, help="the emulated reader's baud rate")
    emulate.set_defaults(handler=emulate_command)


def read_command(args: argparse.Namespace) -> int:
    if args.timeout <= 0:
        return _fail("--timeout must be positive", EXIT_USAGE)
    events: list[DeviceEvent] = []
    reader = SamCardReader(args.port, baud=args.baud)
    reader.attach("idcard", events.append)
    try:
        reader.open()
    except DeviceError as exc:
        return _fail(f"reader not available: {exc.message}", EXIT_DEVICE)
    try:
        card, problem = _wait_for_card(reader, events, args.timeout)
    except DeviceError as exc:
        return _fail(f"reader failed: {exc.message}", EXIT_DEVICE)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    finally:
        reader.close()
    if card is None:
        suffix = f" (last problem: {problem})" if problem else ""
        return _fail(f"no card read within {args.timeout:g} s{suffix}", EXIT_NO_CARD)
    fields = card.to_json(masked=not args.unmasked)
    # Not part of to_json (card files have no photo); its size alone tells whether the photo decoded.
    fields["photo"] = f"{card.photo.width}x{card.photo.height}" if card.photo is not None else None
    if args.json:
        print(json.dumps(fields, ensure_ascii=False, indent=2))
    else:
        _print_card(fields)
    return EXIT_OK


def _wait_for_card(
    reader: SamCardReader, events: list[DeviceEvent], timeout_s: float
) -> tuple[IdCard | None, str | None]:
    deadline = time.monotonic() + timeout_s
    problem: str | None = None
    reader.enable()
    while time.monotonic() < deadline:
        reader.poll()
        for event in events:
            if isinstance(event, DataEvent) and isinstance(event.data, IdCard):
                return event.data, None
            if isinstance(event, ErrorEvent):
                problem = event.message
        events.clear()
        time.sleep(max(0.0, min(reader.poll_interval_s, deadline - time.monotonic())))
    return None, problem


def _print_card(fields: dict[str, Any]) -> None:
    width = max(len(key) for key in fields)
    for key, value in fields.items():
        if value is None:
            continue
        shown = ", ".join(value) if isinstance(value, list) else value
        if shown in ("", []):
            continue
        print(f"{key:<{width}}  {shown}")


def emulate_command(args: argparse.Namespace) -> int:
    card = sample_card(args.sample)
    if args.card is not None:
        try:
            card = IdCard.from_json(json.loads(args.card.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            return _fail(f"cannot use card file {args.card.name}: {exc}", EXIT_USAGE)
    try:
        emulator = SamReaderEmulator(card=card, scenario=args.scenario, baud=args.baud)
    except ValueError as exc:
        return _fail(str(exc), EXIT_USAGE)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with emulator:
        print(emulator.path, flush=True)
        print(f"emulating a SAM reader ({args.scenario}); Ctrl-C stops", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    return EXIT_OK


def _fail(message: str, code: int) -> int:
    print(f"kiosk-devices: {message}", file=sys.stderr)
    return code
