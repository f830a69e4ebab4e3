"""From a configured device URI to a driver instance.

``open_device(kind, uri)`` parses the URI, looks the kind up in ``KIND_DRIVERS`` (an explicit table:
one line per device kind) and calls the factory that kind's module registers for the URI's scheme.
Each kind's module is imported only when a device of that kind is configured, so a kiosk without a
camera never imports OpenCV.

A kind's driver module exposes ``DRIVERS: Mapping[str, DriverFactory]`` (scheme → factory). Despite
the name, ``open_device`` does not open the port: the returned ``Device`` is CLOSED, and the manager
(or a command-line tool) opens it on the thread that will own it.

URI forms (``sim:`` everywhere): idcard ``sam:///dev/ttyUSB0?baud=115200``; scanner
``serial:///dev/ttyACM0?profile=honeywell``, ``hid:///dev/input/by-id/…``, ``camera:0``; printer
``escpos-usb://0x0416:0x5011``, ``escpos-serial:///dev/ttyS0?baud=9600``, ``escpos-tcp://host:9100``,
``escpos-file:///path``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from devices.base import Device, DeviceConfigError

__all__ = ["KIND_DRIVERS", "DeviceUri", "DriverFactory", "open_device", "parse_device_uri"]

_T = TypeVar("_T")

KIND_DRIVERS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "idcard": "devices.idcard.drivers",
        "scanner": "devices.scanner.drivers",
        "printer": "devices.printer.drivers",
    }
)
"""Device kind → module whose ``DRIVERS`` maps URI schemes to factories."""


@dataclass(frozen=True)
class DeviceUri:
    """A parsed device URI: ``scheme://netloc/path?key=value``."""

    raw: str
    scheme: str
    netloc: str
    path: str
    params: Mapping[str, str]

    def param(self, key: str, default: str) -> str:
        return self.params.get(key, default)

    def int_param(self, key: str, default: int, *, minimum: int = 0) -> int:
        """An integer parameter, with a typed error naming the key when it is malformed."""
        return self._convert(key, default, int, minimum)

    def float_param(self, key: str, default: float, *, minimum: float = 0.0) -> float:
        """A float parameter, with a typed error naming the key when it is malformed."""
        return self._convert(key, default, float, minimum)

    def bool_param(self, key: str, default: bool) -> bool:
        text = self.params.get(key)
        if text is None:
            return default
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise DeviceConfigError(f"device URI parameter {key!r} must be true or false")

    def _convert(self, key: str, default: _T, convert: Callable[[str], _T], minimum: _T) -> _T:
        text = self.params.get(key)
        if text is None:
            return default
        try:
            value = convert(text)
        except ValueError:
            raise DeviceConfigError(f"device URI parameter {key!r} is not a number") from None
        if value < minimum:  # type: ignore[operator]
            raise DeviceConfigError(f"device URI parameter {key!r} is below {minimum}")
        return value


DriverFactory = Callable[[DeviceUri], Device]


def parse_device_uri(uri: str) -> DeviceUri:
    """Split a device URI; raises ``DeviceConfigError`` when it has no scheme."""
    text = uri.strip()
    parts = urlsplit(text)
    if not parts.scheme:
        raise DeviceConfigError(f"device URI {text!r} has no scheme (expected e.g. 'sim:')")
    params: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in params:
            raise DeviceConfigError(f"device URI parameter {key!r} is given twice")
        params[key] = value
    return DeviceUri(
        raw=text,
        scheme=parts.scheme.lower(),
        netloc=parts.netloc,
        path=unquote(parts.path),
        params=MappingProxyType(params),
    )


def open_device(kind: str, uri: str) -> Device:
    """A CLOSED driver instance for ``uri``; ``DeviceConfigError`` for unknown kinds or schemes."""
    module_name = KIND_DRIVERS.get(kind)
    if module_name is None:
        raise DeviceConfigError(f"unknown device kind {kind!r} (known: {', '.join(sorted(KIND_DRIVERS))})")
    parsed = parse_device_uri(uri)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            raise DeviceConfigError(f"no drivers are installed for {kind!r} devices") from None
        raise
    drivers: Mapping[str, DriverFactory] = module.DRIVERS
    factory = drivers.get(parsed.scheme)
    if factory is None:
        known = ", ".join(f"{scheme}:" for scheme in sorted(drivers))
        raise DeviceConfigError(f"unknown {kind} URI scheme {parsed.scheme!r} (known: {known})")
    return factory(parsed)
