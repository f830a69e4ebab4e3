"""The simulated scanner (``sim:`` in the ``[devices] scanner`` setting).

``sim:?code=cityapp:track:v1:<uuid>&after=2`` scans ``code`` two seconds after each enable (omit
``after`` to scan only through ``present()``). The payload goes through the same checks as a real
scanner's, so ``present(b"garbage")`` produces the real ``unrecognised_code`` event. Plus the
common ``SimSettings`` (``fail=no_device`` …).
"""

from __future__ import annotations

import threading
import time

from devices.registry import DeviceUri
from devices.scanner.common import ScannerDevice
from devices.sim import SimSettings, SimulatedDevice

__all__ = ["SimScanner"]


class SimScanner(SimulatedDevice, ScannerDevice):
    """A scanner that scans what it is given."""

    def __init__(
        self,
        settings: SimSettings | None = None,
        *,
        code: bytes | None = None,
        present_after_s: float | None = None,
        poll_interval_s: float = 0.1,
        name: str | None = None,
    ) -> None:
        super().__init__(settings, name=name)
        self.poll_interval_s = poll_interval_s
        self._code = code
        self._present_after_s = present_after_s
        self._lock = threading.Lock()
        self._presented: bytes | str | None = None
        self._enabled_at = 0.0

    @classmethod
    def from_uri(cls, uri: DeviceUri) -> SimScanner:
        code = uri.params.get("code")
        after = uri.params.get("after")
        return cls(
            SimSettings.from_uri(uri),
            code=None if code is None else code.encode("utf-8"),
            present_after_s=None if after is None else uri.float_param("after", 0.0),
        )

    def present(self, payload: bytes | str) -> None:
        """Hold a code in front of the scanner (thread-safe); it is read at the next poll while enabled."""
        with self._lock:
            self._presented = payload

    def _open(self) -> None:
        super()._open()
        self._set_status(scanner="off")

    def _on_enable(self) -> None:
        self._enabled_at = time.monotonic()
        with self._lock:
            self._presented = None  # a code shown while nobody asked is not delivered later
        super()._on_enable()

    def _poll(self) -> None:
        with self._lock:
            payload, self._presented = self._presented, None
        due = (
            self._code is not None
            and self._present_after_s is not None
            and time.monotonic() - self._enabled_at >= self._present_after_s
        )
        if payload is None and due:
            payload = self._code
            self._enabled_at = time.monotonic()
        if payload is not None:
            self._deliver_payload(payload)
