"""``kiosk-devices``: technicians' tool for the kiosk's devices.

Each device kind adds its own command group from its ``cli`` module (``register(subparsers)``,
each command setting ``handler=fn(args) -> int``); ``KIND_COMMANDS`` lists them, one line per kind.
``list`` reads the ``[devices]`` table of the kiosk config file and shows each device's health.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from devices.base import DeviceError
from devices.idcard import cli as idcard_cli
from devices.printer import cli as printer_cli
from devices.registry import KIND_DRIVERS, open_device
from devices.scanner import cli as scanner_cli

__all__ = ["main"]

KIND_COMMANDS: Final[tuple[ModuleType, ...]] = (
    idcard_cli,
    scanner_cli,
    printer_cli,
)  # fmt: skip

DEFAULT_CONFIG: Final = Path("/etc/civic-kiosk/kiosk.toml")
EXIT_USAGE: Final = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-devices", description="Check and exercise kiosk devices.")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="show the configured devices and their health")
    listing.add_argument(
        "--config", type=Path, default=None, help=f"kiosk config file (default {DEFAULT_CONFIG})"
    )
    listing.add_argument("--json", action="store_true", help="print the report as JSON")
    listing.set_defaults(handler=list_command)
    for module in KIND_COMMANDS:
        module.register(commands)
    args = parser.parse_args(argv)
    return int(args.handler(args))


def configured_devices(path: Path | None) -> dict[str, str]:
    """``[devices]`` of the config file: kind → URI; every kind ``sim:`` when there is no file.

    Raises ``ValueError`` with a one-line reason for an unreadable file or a malformed table.
    """
    defaults = dict.fromkeys(KIND_DRIVERS, "sim:")
    if path is None:
        if not DEFAULT_CONFIG.exists():
            return defaults
        path = DEFAULT_CONFIG
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {path.name}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path.name} is not valid TOML: {exc}") from None
    table = document.get("devices", {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ValueError(f"[devices] in {path.name} must map device kinds to URI strings")
    return {**defaults, **table}


def _check(kind: str, uri: str) -> dict[str, Any]:
    """Open one device briefly and describe it."""
    row: dict[str, Any] = {"device": kind, "uri": uri}
    try:
        device = open_device(kind, uri)
        device.open()
    except DeviceError as exc:
        return {**row, "health": "error" if exc.health is None else exc.health.value, "error": exc.message}
    try:
        info = device.info()
        return {
            **row,
            "health": device.health.value,
            "model": info.model,
            "serial": info.serial,
            "firmware": info.firmware,
            "status": dict(device.status()),
        }
    finally:
        device.close()


def list_command(args: argparse.Namespace) -> int:
    try:
        devices = configured_devices(args.config)
    except ValueError as exc:
        print(f"kiosk-devices: {exc}", file=sys.stderr)
        return EXIT_USAGE
    rows = [_check(kind, uri) for kind, uri in devices.items()]
    # Non-zero when anything is not online, so scripts and monitoring can use the exit code.
    code = 0 if all(row["health"] == "online" for row in rows) else 1
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return code
    for row in rows:
        detail = row.get("error") or f"{row.get('model')} (serial {row.get('serial')})"
        status = ", ".join(f"{k}={v}" for k, v in row.get("status", {}).items())
        suffix = f" [{status}]" if status else ""
        print(f"{row['device']:<8} {row['health']:<15} {row['uri']:<40} {detail}{suffix}")
    return code


if __name__ == "__main__":
    sys.exit(main())
