"""The seams the flows use, as protocols, with null objects for absent services.

The composition root hands the journey real implementations (``kiosk.flows.services`` adapts the API
client, the outbox and the printer); tests hand it fakes. Every call here may block: the journey runs
them through a ``Runner`` (``kiosk.dispatch.BackgroundWork`` in the app), never on the core thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from kiosk.flows.model import Choice, Outcome, QueryResult, Ticket
from kiosk.identity import Identity

T = TypeVar("T")


class ServiceUnavailable(Exception):
    """The service needs the network and it is not reachable now."""


class FlowFailure(Exception):
    """A failure the citizen is told about: ``message_key`` is the i18n key saying what to do."""

    def __init__(self, message_key: str, detail: str = "") -> None:
        super().__init__(detail or message_key)
        self.message_key = message_key


class PaperOut(Exception):
    """The printer cannot print now (no paper, cover open, offline): show the receipt's QR on screen."""


class Runner(Protocol):
    def run(
        self, fn: Callable[[], T], on_done: Callable[[T], None], on_error: Callable[[Exception], None]
    ) -> Any: ...


class Applications(Protocol):
    """Saving and submitting applications (the outbox in front of the central service)."""

    def save_and_submit(
        self, item_code: str, applicant: Mapping[str, str], form: Mapping[str, str], partner_city: str | None
    ) -> Outcome:
        """Save durably (raises ``FlowFailure`` if that fails), then try to submit; ``queued`` if offline."""
        ...

    def status(self, application_id: str) -> Outcome: ...

    def request_human_review(self, application_id: str, reason: str) -> None: ...

    @property
    def is_online(self) -> bool: ...


class Services(Protocol):
    """Live government data: identity codes, queries, appointments."""

    def resolve_identity_code(self, token: str) -> Identity: ...

    def query(self, endpoint: str, identity: Identity) -> QueryResult:
        """Read live data for a query item (``endpoint``: e.g. ``provident_fund``)."""
        ...

    def zones(self) -> list[Choice]: ...

    def days(self, zone: str) -> list[Choice]: ...

    def slots(self, zone: str, day: str) -> list[Choice]: ...

    def book(
        self, booking_id: str, zone: Choice, day: Choice, slot: Choice, identity: Identity
    ) -> Ticket: ...


class ReceiptPrinter(Protocol):
    def paper(self) -> str:
        """``ok``, ``near_end``, ``out`` or ``unknown``."""
        ...

    def print_receipt(self, document: Any, job_key: str) -> None:
        """Print (blocking); a repeated ``job_key`` is not printed twice; ``PaperOut`` if it cannot."""
        ...


class NoServices:
    """Null object for a kiosk with no central service configured: every live service is unavailable."""

    def resolve_identity_code(self, token: str) -> Identity:
        raise ServiceUnavailable("no central service")

    def query(self, endpoint: str, identity: Identity) -> QueryResult:
        raise ServiceUnavailable("no central service")

    def zones(self) -> list[Choice]:
        raise ServiceUnavailable("no central service")

    def days(self, zone: str) -> list[Choice]:
        raise ServiceUnavailable("no central service")

    def slots(self, zone: str, day: str) -> list[Choice]:
        raise ServiceUnavailable("no central service")

    def book(self, booking_id: str, zone: Choice, day: Choice, slot: Choice, identity: Identity) -> Ticket:
        raise ServiceUnavailable("no central service")


class NoPrinter:
    """Null object for a kiosk without a receipt printer: receipts are shown as a QR code instead."""

    def paper(self) -> str:
        return "out"

    def print_receipt(self, document: Any, job_key: str) -> None:
        raise PaperOut("no printer")


class NoApplications:
    """Null object for a kiosk with no outbox configured: applications cannot be taken."""

    @property
    def is_online(self) -> bool:
        return False

    def save_and_submit(
        self, item_code: str, applicant: Mapping[str, str], form: Mapping[str, str], partner_city: str | None
    ) -> Outcome:
        raise FlowFailure("error.save", "no outbox configured")

    def status(self, application_id: str) -> Outcome:
        raise ServiceUnavailable("no central service")

    def request_human_review(self, application_id: str, reason: str) -> None:
        raise ServiceUnavailable("no central service")
