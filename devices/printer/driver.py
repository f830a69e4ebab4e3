"""The ESC/POS receipt printer driver.

Contract:

* ``print_document(doc, job_key)`` renders ``doc`` for the printer's profile and sends it; a
  ``job_key`` that already printed is not printed again (no error, no bytes). When the status says
  the paper is out or the cover is open, nothing is sent and a ``DeviceUserError`` (``paper_out``,
  ``cover_open``) is raised. A finished job emits ``OutputCompleteEvent(job_id=job_key)``.
* ``status()`` has the keys ``online`` (true|false|unknown), ``cover`` (closed|open|unknown),
  ``paper`` (ok|near_end|out|unknown) and ``error`` (true|false|unknown); a printer that does not
  answer DLE EOT reports "unknown", never "ok". ``refresh_status()`` asks the printer again.
* ``poll`` refreshes the status every ``poll_interval_s`` seconds, enabled or not (the application
  never enables an output device), so health and the technician's view follow paper running low,
  a cover opened or a printer unplugged between receipts, not only at the next print. A printer
  that is gone fails the poll with ``DeviceNotFoundError`` and its owner reconnects it.

Health: paper out or cover open → USER_ERROR; the printer's error bit → HARDWARE_ERROR; offline for
another reason → OFFLINE; otherwise ONLINE (also when the status is unknown: many serial printers
have no return line, and they print fine).
"""

from __future__ import annotations

from typing import Final

from devices.base import (
    Device,
    DeviceError,
    DeviceHardwareError,
    DeviceInfo,
    DeviceUserError,
    ErrorEvent,
    Health,
    NotSupportedError,
    OutputCompleteEvent,
    RecommendedAction,
)
from devices.printer.document import ReceiptContentError, ReceiptDocument
from devices.printer.fonts import FontNotFoundError, FontSource
from devices.printer.jobs import JobLedger, check_job_key
from devices.printer.profiles import PrinterProfile
from devices.printer.render import ReceiptRenderer
from devices.printer.status import PrinterStatus, read_status
from devices.printer.transport import PrinterTransport

DEFAULT_STATUS_TIMEOUT_S: Final = 0.5


class EscposPrinter(Device):
    """A receipt printer on any :class:`PrinterTransport`."""

    kind = "printer"
    is_input = False

    def __init__(
        self,
        transport: PrinterTransport,
        profile: PrinterProfile,
        *,
        status_timeout_s: float = DEFAULT_STATUS_TIMEOUT_S,
        poll_interval_s: float = 5.0,
        font: FontSource | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.transport = transport
        self.profile = profile
        self.poll_interval_s = poll_interval_s
        # Idle, ``poll`` runs ``_keepalive`` at this rate: the same modest rate as while enabled
        # (three one-byte DLE EOT answers, or one status timeout for a printer that never answers).
        self.keepalive_interval_s = poll_interval_s
        self._status_timeout_s = status_timeout_s
        self._renderer = ReceiptRenderer(profile, font=font)
        self._ledger = JobLedger()
        self._last_status = PrinterStatus()

    # -- lifecycle -------------------------------------------------------------------------------

    def open(self) -> None:
        """Open, then show the status read while opening (the base class reports ONLINE)."""
        was_closed = not self.state.is_open
        super().open()
        if was_closed and self.state.is_open:
            self._apply(self._last_status)

    def _open(self) -> None:
        self.transport.open()
        # Applied by open() once the base class has finished (it reports ONLINE on success).
        self._last_status = self._query_status()

    def _close(self) -> None:
        self.transport.close()

    def info(self) -> DeviceInfo:
        return DeviceInfo(
            model=f"ESC/POS receipt printer ({self.profile.name})",
            extra={
                "transport": self.transport.description,
                "encoding": self.profile.encoding,
                "font_charset": self.profile.font_charset,
                "qr": "native" if self.profile.supports_native_qr else "raster",
            },
        )

    def _poll(self) -> None:
        self.refresh_status()

    def _keepalive(self) -> None:
        # Nobody enables a printer, so this is what keeps its status current between receipts.
        self.refresh_status()

    # -- operations ------------------------------------------------------------------------------

    def refresh_status(self) -> PrinterStatus:
        """Ask the printer (DLE EOT 1, 2, 4) and update health and the status snapshot."""
        self._assert_io_thread()
        self._require_open()
        status = self._query_status()
        self._apply(status)
        return status

    def print_document(self, doc: ReceiptDocument, job_key: str) -> None:
        """Print ``doc`` once per ``job_key`` (see the module docstring)."""
        self._assert_io_thread()
        self._require_open()
        key = _checked_key(job_key)
        if self._ledger.printed(key):
            return
        try:
            data = self._renderer.render(doc)
        except (ReceiptContentError, ValueError) as exc:
            raise DeviceError(
                f"the receipt cannot be printed: {exc}", code="bad_document", action=RecommendedAction.NONE
            ) from None
        except FontNotFoundError as exc:
            raise NotSupportedError(
                str(exc), code="font_missing", action=RecommendedAction.NEEDS_MAINTENANCE
            ) from None
        self.print_raw(data, key)
        if self._renderer.missing_glyphs:
            # Printed anyway (an empty box beats no receipt), but a technician should add a font.
            self._emit(
                ErrorEvent(
                    device=self.name,
                    code="glyph_missing",
                    message=f"{self._renderer.missing_glyphs} character(s) had no glyph in any installed "
                    "font and printed as a box; install a font covering CJK Extension B and beyond",
                    action=RecommendedAction.NEEDS_MAINTENANCE,
                )
            )

    def print_raw(self, data: bytes, job_key: str) -> None:
        """Send prepared ESC/POS bytes once per ``job_key`` (test pages, maintenance)."""
        self._assert_io_thread()
        self._require_open()
        key = _checked_key(job_key)
        if self._ledger.printed(key):
            return
        self._refuse_if_unable(self.refresh_status())
        with self._busy():
            try:
                self.transport.write(data)
            except DeviceError as error:
                self._fail(error)
                raise
        self._ledger.record(key)
        self._emit(OutputCompleteEvent(device=self.name, job_id=key))
        if self.transport.can_read:
            self.refresh_status()

    # -- internals -------------------------------------------------------------------------------

    def _query_status(self) -> PrinterStatus:
        timeout = self._status_timeout_s
        try:
            return read_status(lambda request: self.transport.query(request, timeout))
        except DeviceError as error:
            self._fail(error)
            raise

    def _apply(self, status: PrinterStatus) -> None:
        self._last_status = status
        self._set_health(_health_for(status), **status.as_dict())

    def _refuse_if_unable(self, status: PrinterStatus) -> None:
        if status.paper == "out":
            raise DeviceUserError(
                "the printer is out of paper", code="paper_out", action=RecommendedAction.NEEDS_MAINTENANCE
            )
        if status.cover == "open":
            raise DeviceUserError(
                "the printer cover is open", code="cover_open", action=RecommendedAction.NEEDS_MAINTENANCE
            )
        if status.error == "true":
            raise DeviceHardwareError("the printer reports an error (cutter or head)")

    def _require_open(self) -> None:
        if not self.state.is_open:
            raise DeviceError("the printer is not open", code="not_open")


def _checked_key(job_key: str) -> str:
    try:
        return check_job_key(job_key)
    except ValueError as exc:
        raise DeviceError(str(exc), code="bad_job_key", action=RecommendedAction.NONE) from None


def _health_for(status: PrinterStatus) -> Health:
    if status.paper == "out" or status.cover == "open":
        return Health.USER_ERROR
    if status.error == "true":
        return Health.HARDWARE_ERROR
    if status.online == "false":
        return Health.OFFLINE
    return Health.ONLINE
