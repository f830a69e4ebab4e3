"""What every scanner driver does with a payload: check it, then deliver it or report it."""

from __future__ import annotations

from devices.base import Device, ErrorEvent, RecommendedAction
from devices.scanner.payload import PayloadRejected, RejectReason, parse_payload


class ScannerDevice(Device):
    """Base of the scanner drivers: ``status()`` has ``scanner`` = on|off."""

    kind = "scanner"
    is_input = True

    def _deliver_payload(self, raw: bytes | str) -> None:
        """Deliver a recognised code (the scanner then disables itself) or emit
        ``ErrorEvent(code="unrecognised_code")`` and stay enabled so the citizen can try again."""
        try:
            code = parse_payload(raw)
        except PayloadRejected as rejected:
            self._reject(rejected.reason)
            return
        self._deliver(code)

    def _reject(self, reason: RejectReason) -> None:
        rejected = PayloadRejected(reason)
        self._emit(
            ErrorEvent(
                device=self.name,
                code=rejected.code,
                message=rejected.message,
                action=RecommendedAction.ASK_USER,
            )
        )

    def _on_enable(self) -> None:
        self._set_status(scanner="on")

    def _on_disable(self) -> None:
        self._set_status(scanner="off")
