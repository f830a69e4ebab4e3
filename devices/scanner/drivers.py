"""Scanner URI schemes → driver factories (read by ``devices.registry``).

``serial:///dev/ttyACM0?profile=honeywell&baud=9600&suffix=cr&idle_gap=0.08`` (profile: passive,
honeywell, zebra-ssi, zkteco, gm65; suffix: cr, crlf, lf, none),
``hid:///dev/input/by-id/usb-…-event-kbd`` (needs the ``evdev`` extra and access to the device),
``camera:0`` (a V4L2 camera index) or ``camera:///dev/video0``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from devices.base import Device, DeviceConfigError
from devices.registry import DeviceUri, DriverFactory
from devices.scanner.framing import DEFAULT_IDLE_GAP_S, DEFAULT_SUFFIX_GAP_S, SUFFIXES
from devices.scanner.profiles import get_profile


def _serial(uri: DeviceUri) -> Device:
    from devices.scanner.serial_driver import SerialScanner

    if not uri.path:
        raise DeviceConfigError("serial scanner URIs need a device path: serial:///dev/ttyACM0")
    try:
        profile = get_profile(uri.param("profile", "passive"))
    except ValueError as exc:
        raise DeviceConfigError(str(exc)) from None
    suffix_name = uri.param("suffix", "cr")
    if suffix_name not in SUFFIXES:
        raise DeviceConfigError(f"scanner 'suffix' must be one of {', '.join(SUFFIXES)}")
    return SerialScanner(
        uri.path,
        profile=profile,
        baud=uri.int_param("baud", 9600, minimum=300),
        suffix=SUFFIXES[suffix_name],
        suffix_gap_s=uri.float_param("suffix_gap", DEFAULT_SUFFIX_GAP_S, minimum=0.001),
        idle_gap_s=uri.float_param("idle_gap", DEFAULT_IDLE_GAP_S, minimum=0.005),
    )


def _hid(uri: DeviceUri) -> Device:
    from devices.scanner.hid_driver import HidScanner

    if not uri.path:
        raise DeviceConfigError("hid scanner URIs need an input device: hid:///dev/input/by-id/…-event-kbd")
    return HidScanner(uri.path, grab=uri.bool_param("grab", True))


def _camera(uri: DeviceUri) -> Device:
    from devices.scanner.camera_driver import CameraScanner

    target = uri.path or uri.netloc
    source: int | str
    if target.isdigit():
        source = int(target)
    elif target.startswith("/"):
        source = target
    else:
        raise DeviceConfigError("camera URIs look like camera:0 or camera:///dev/video0")
    return CameraScanner(source, max_fps=uri.float_param("fps", 10.0, minimum=0.5))


def _sim(uri: DeviceUri) -> Device:
    from devices.scanner.simulated import SimScanner

    return SimScanner.from_uri(uri)


DRIVERS: Final[Mapping[str, DriverFactory]] = MappingProxyType(
    {"serial": _serial, "hid": _hid, "camera": _camera, "sim": _sim}
)
