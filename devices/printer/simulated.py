"""The simulated receipt printer (``sim:`` in the ``[devices] printer`` setting).

It is the real ESC/POS driver on an in-memory transport that ends in the emulator's printer core,
so receipts go through the real renderer, idempotency and status logic. ``sim:?state=near_end``
sets the scripted paper/cover state (see ``emulator.STATES``); ``profile``/``qr``/… as for real
printers; ``out=/some/dir`` also writes each job's bytes and a PNG preview there (for the demo).
Plus the common ``SimSettings`` (``fail=no_device`` …).
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

from devices.base import Device, DeviceConfigError, DeviceHardwareError, DeviceTimeoutError
from devices.printer.driver import EscposPrinter
from devices.printer.emulator import STATES, PrinterCore
from devices.printer.transport import PrinterTransport
from devices.registry import DeviceUri
from devices.sim import FAILURES, SimSettings

__all__ = ["MemoryPrinterTransport", "sim_printer"]


class MemoryPrinterTransport(PrinterTransport):
    """A transport into a :class:`PrinterCore` in the same process."""

    description = "simulated printer"

    def __init__(
        self,
        core: PrinterCore,
        settings: SimSettings | None = None,
        *,
        out_dir: Path | None = None,
        paper_dots: int = 576,
    ) -> None:
        super().__init__(timeout_s=1.0)
        self.core = core
        self.settings = settings or SimSettings()
        self._answers: deque[int] = deque()
        self._out_dir = out_dir
        self._paper_dots = paper_dots
        self._open = False

    def open(self) -> None:
        if self.settings.open_delay_s:
            time.sleep(self.settings.open_delay_s)
        failure = FAILURES[self.settings.fail]
        if failure is not None:
            raise failure(f"simulated printer: configured to fail ({self.settings.fail})")
        self._open = True

    def _write_chunk(self, chunk: bytes) -> None:
        if not self._open:
            raise DeviceTimeoutError("simulated printer is not open")
        self._answers.extend(self.core.feed(chunk))

    def write(self, data: bytes) -> None:
        super().write(data)
        if self._out_dir is not None and not data.startswith(b"\x10\x04"):
            self._save(data)

    def read_byte(self, timeout_s: float) -> int | None:
        return self._answers.popleft() if self._answers else None

    def close(self) -> None:
        self._open = False
        self._answers.clear()

    def _save(self, data: bytes) -> None:
        from devices.printer.preview import render_preview

        assert self._out_dir is not None
        self._out_dir.mkdir(parents=True, exist_ok=True)
        stem = self._out_dir / f"receipt-{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns() % 10**6:06d}"
        stem.with_suffix(".bin").write_bytes(data)
        try:
            render_preview(data, paper_dots=self._paper_dots).save(stem.with_suffix(".png"))
        except (ValueError, LookupError, OSError) as exc:
            raise DeviceHardwareError(f"simulated printer could not save a preview: {exc}") from None


def sim_printer(uri: DeviceUri) -> Device:
    """The ``sim:`` printer factory."""
    from devices.printer.drivers import profile_from_uri

    state = uri.param("state", "ok")
    if state not in STATES:
        raise DeviceConfigError(f"sim printer: 'state' must be one of {', '.join(STATES)}")
    out = uri.params.get("out")
    profile = profile_from_uri(uri)
    transport = MemoryPrinterTransport(
        PrinterCore(state),  # type: ignore[arg-type]
        SimSettings.from_uri(uri),
        out_dir=Path(out) if out else None,
        paper_dots=profile.dots,
    )
    return EscposPrinter(transport, profile, status_timeout_s=0.01)
