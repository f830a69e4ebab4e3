"""The one typed catalogue of core events, and the bus that carries them on the core thread.

Events are named ``subject_did_verb`` (something happened) or ``subject_will_verb`` (about to happen).
Each is a frozen dataclass; the bus dispatches on the class. Device threads and network workers never
publish directly: they hand a callable to the composition root's ``post``, which runs it on the core
thread, and that callable publishes. The bus is therefore not thread-safe, by design.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base of every event in the catalogue."""


@dataclass(frozen=True)
class CardDidRead(Event):
    card: Any  # devices.idcard.card.IdCard


@dataclass(frozen=True)
class CardDidFail(Event):
    code: str
    message_key: str


@dataclass(frozen=True)
class CodeDidScan(Event):
    code: Any  # devices.scanner.payload.ScannedCode


@dataclass(frozen=True)
class CodeDidReject(Event):
    reason: str


@dataclass(frozen=True)
class PrinterDidChangeStatus(Event):
    status: dict[str, str]


@dataclass(frozen=True)
class PrintDidComplete(Event):
    job_key: str


@dataclass(frozen=True)
class PrintDidFail(Event):
    job_key: str
    code: str


@dataclass(frozen=True)
class DeviceDidChangeHealth(Event):
    device: str
    old: str
    new: str


@dataclass(frozen=True)
class ApplicationDidSave(Event):
    application_id: str


@dataclass(frozen=True)
class ApplicationDidSubmit(Event):
    application_id: str
    outcome: str


@dataclass(frozen=True)
class ApplicationDidQueue(Event):
    application_id: str


@dataclass(frozen=True)
class ConnectivityDidChange(Event):
    online: bool


@dataclass(frozen=True)
class ConfigDidActivate(Event):
    version: int


@dataclass(frozen=True)
class ConfigDidReject(Event):
    reason: str


@dataclass(frozen=True)
class SessionDidStart(Event):
    pass


@dataclass(frozen=True)
class SessionWillEnd(Event):
    reason: str


@dataclass(frozen=True)
class SessionDidEnd(Event):
    reason: str


@dataclass(frozen=True)
class TechnicianAlertDidRaise(Event):
    code: str
    detail: str = ""


@dataclass(frozen=True)
class KioskWillStop(Event):
    reason: str = "signal"


E = TypeVar("E", bound=Event)


@dataclass
class EventBus:
    """Synchronous publish/subscribe on the core thread.

    A handler that raises is logged and does not stop the other handlers: one broken screen must not
    keep the outbox from hearing that an application was saved.
    """

    _handlers: dict[type[Event], list[Callable[[Any], None]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call ``handler`` for every published event of ``kind``; returns an unsubscribe function."""
        self._handlers[kind].append(handler)

        def unsubscribe() -> None:
            if handler in self._handlers[kind]:
                self._handlers[kind].remove(handler)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for handler in list(self._handlers.get(type(event), ())):
            try:
                handler(event)
            except Exception:
                log.exception("event handler failed", extra={"event": type(event).__name__})
