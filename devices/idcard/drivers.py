"""The ID card reader's URI schemes, for ``devices.registry``.

``sam:///dev/ttyUSB0?baud=115200&poll=0.3&timeout_scale=1&appended=true`` (baud: probed first,
then 115200 and 9600); ``sim:`` (see ``devices.idcard.simulated``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from devices.base import Device, DeviceConfigError
from devices.idcard.driver import SamCardReader
from devices.idcard.simulated import SimCardReader
from devices.registry import DeviceUri, DriverFactory

__all__ = ["DRIVERS"]


def open_sam(uri: DeviceUri) -> Device:
    """A serial SAM reader; the URI path is the serial device."""
    if not uri.path:
        raise DeviceConfigError("sam: URI needs a serial device path, e.g. sam:///dev/ttyUSB0")
    return SamCardReader(
        uri.path,
        baud=uri.int_param("baud", 0, minimum=0) or None,
        poll_interval_s=uri.float_param("poll", 0.3, minimum=0.05),
        timeout_scale=uri.float_param("timeout_scale", 1.0, minimum=0.1),
        read_appended_address=uri.bool_param("appended", True),
    )


DRIVERS: Final[Mapping[str, DriverFactory]] = MappingProxyType(
    {"sam": open_sam, "sim": SimCardReader.from_uri}
)
