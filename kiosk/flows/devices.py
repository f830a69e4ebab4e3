"""The flows' view of the devices: the receipt printer as a ``ReceiptPrinter``, and device events routed
to the citizen's session (card read, code scanned, code rejected, printer status).

Readers are enabled only on the screens that wait for them (identify, track) and disabled elsewhere, so
a card left on the reader or a code waved at the scanner on another screen does nothing.

Thread rules: ``DevicePrinter.print_receipt`` blocks a worker thread (never the core thread) until the
printer's own thread has printed; everything else runs on the core thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from devices.base import DataEvent, DeviceError, ErrorEvent, StatusChangedEvent
from kiosk.flows.ports import PaperOut
from kiosk.flows.steps import FlowState
from kiosk.identity import Identity

log = logging.getLogger(__name__)

PRINT_TIMEOUT_S = 60.0
READERS_BY_STEP: Mapping[str, tuple[str, ...]] = {
    "identify": ("idcard", "scanner"),
    "track_scan": ("scanner",),
}


class DevicePrinter:
    """``ReceiptPrinter`` over the device manager's printer (``name``)."""

    def __init__(self, manager: Any, name: str = "printer", *, timeout_s: float = PRINT_TIMEOUT_S) -> None:
        self._manager = manager
        self._name = name
        self._timeout_s = timeout_s
        self._paper = "unknown"

    def on_status(self, status: Mapping[str, str]) -> None:
        """Printer status snapshot (core thread): paper ``ok|near_end|out|unknown``, cover, online."""
        paper = status.get("paper", "unknown")
        if status.get("online") == "false" or status.get("cover") == "open":
            paper = "out"
        self._paper = paper

    def paper(self) -> str:
        return self._paper

    def print_receipt(self, document: Any, job_key: str) -> None:
        done = threading.Event()
        failure: list[DeviceError] = []

        def on_error(error: DeviceError) -> None:
            failure.append(error)
            done.set()

        self._manager.run(
            self._name,
            lambda device: device.print_document(document, job_key),
            lambda _: done.set(),
            on_error,
        )
        if not done.wait(self._timeout_s):
            raise PaperOut("the printer did not finish in time")
        if failure:
            # Whatever stops the printer, the citizen still gets the receipt: as a QR code on screen.
            log.warning("receipt not printed", extra={"code": failure[0].code})
            raise PaperOut(failure[0].code)


class DeviceRouter:
    """Routes device events to the session's journey and keeps the readers enabled only when wanted."""

    def __init__(self, manager: Any, session: Any, printer: DevicePrinter | None = None) -> None:
        self._manager = manager
        self._session = session
        self._printer = printer
        self._enabled: set[str] = set()
        self._names = set(manager.names)
        manager.subscribe(self.on_event)
        session.journey.subscribe(self._on_state)

    def on_event(self, event: object) -> None:
        journey = self._session.journey
        if isinstance(event, DataEvent):
            self._enabled.discard(event.device)  # input devices disable themselves after one input
            if event.device == "idcard":
                journey.card_read(Identity.from_card(event.data))
            elif event.device == "scanner":
                code = event.data
                journey.code_scanned(str(getattr(code, "kind", "")), str(getattr(code, "value", "")))
            self._sync(journey.state)
        elif isinstance(event, ErrorEvent):
            if event.device == "scanner" and event.code == "unrecognised_code":
                journey.code_rejected()
                self._sync(journey.state, force=True)
        elif (
            isinstance(event, StatusChangedEvent) and event.device == "printer" and self._printer is not None
        ):
            self._printer.on_status(event.status)

    def _on_state(self, state: FlowState) -> None:
        self._sync(state)

    def _sync(self, state: FlowState, *, force: bool = False) -> None:
        wanted = {n for n in READERS_BY_STEP.get(state.step, ()) if n in self._names}
        for name in sorted(wanted - self._enabled if not force else wanted):
            self._manager.enable(name)
        for name in sorted(self._enabled - wanted):
            self._manager.disable(name)
        self._enabled = wanted
