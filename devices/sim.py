"""Simulated devices: drivers like any other, chosen by configuration (``sim:`` URIs).

``SimulatedDevice`` is the base every kind's simulator builds on. Its failure modes are settings,
so the demo, the tests and a technician can reproduce a fault from the config file alone:

``sim:?fail=no_device``   open fails as if nothing were plugged in (also ``hardware``, ``timeout``)
``sim:?open_delay=0.5``   opening takes this long (a slow USB enumeration)

and, at run time (thread-safe), ``unplug()`` / ``replug()`` make the next poll lose the device
and the following opens fail until it is back, exactly like a real cable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from devices.base import (
    Device,
    DeviceConfigError,
    DeviceError,
    DeviceHardwareError,
    DeviceInfo,
    DeviceNotFoundError,
    DeviceTimeoutError,
)
from devices.registry import DeviceUri

__all__ = ["FAILURES", "SimSettings", "SimulatedDevice"]

FAILURES: Final[Mapping[str, type[DeviceError] | None]] = MappingProxyType(
    {
        "none": None,
        "no_device": DeviceNotFoundError,
        "hardware": DeviceHardwareError,
        "timeout": DeviceTimeoutError,
    }
)


@dataclass(frozen=True)
class SimSettings:
    """Settings common to every simulator."""

    fail: str = "none"
    open_delay_s: float = 0.0

    @classmethod
    def from_uri(cls, uri: DeviceUri) -> SimSettings:
        fail = uri.param("fail", "none")
        if fail not in FAILURES:
            raise DeviceConfigError(f"sim: 'fail' must be one of {', '.join(FAILURES)}")
        return cls(fail=fail, open_delay_s=uri.float_param("open_delay", 0.0))


class SimulatedDevice(Device):
    """Base of every simulator: configured failures, and a cable that can be pulled."""

    def __init__(self, settings: SimSettings | None = None, *, name: str | None = None) -> None:
        super().__init__(name)
        self.settings = settings or SimSettings()
        self._plugged = threading.Event()
        self._plugged.set()

    def unplug(self) -> None:
        """The simulated device goes away (takes effect at the next poll or open)."""
        self._plugged.clear()

    def replug(self) -> None:
        self._plugged.set()

    def _open(self) -> None:
        if self.settings.open_delay_s:
            time.sleep(self.settings.open_delay_s)
        self._check_plugged()
        failure = FAILURES[self.settings.fail]
        if failure is not None:
            raise failure(f"simulated {self.kind}: configured to fail ({self.settings.fail})")

    def _close(self) -> None:
        pass

    def poll(self) -> None:
        if self.state.is_open and not self._plugged.is_set():
            error = DeviceNotFoundError(f"simulated {self.kind} unplugged")
            self._fail(error)
            raise error
        super().poll()

    def _check_plugged(self) -> None:
        if not self._plugged.is_set():
            raise DeviceNotFoundError(f"simulated {self.kind} is unplugged")

    def info(self) -> DeviceInfo:
        return DeviceInfo(model=f"simulated {self.kind}", serial="SIM-0001", firmware="sim")
