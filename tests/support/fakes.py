"""Hand-written fakes of the flows' seams (applications, services, printer, runner)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from kiosk.catalog import Catalog, builtin_catalog
from kiosk.flows.journey import Journey
from kiosk.flows.model import Choice, Outcome, QueryResult, QueryRow, Reason, Ticket
from kiosk.flows.ports import (
    Applications,
    FlowFailure,
    PaperOut,
    ReceiptPrinter,
    Runner,
    Services,
    ServiceUnavailable,
)
from kiosk.identity import Identity
from kiosk.receipts import ReceiptContext

# Fictional people; the ID numbers pass the GB 11643 check.
ZHANG = Identity(
    name="张三丰",
    id_number="411702195001010018",
    source="card",
    sex="男",
    birth_date=date(1950, 1, 1),
    address="河南省驻马店市驿城区示例路1号",
)
LI_CODE = Identity(name="李小梅", id_number="41170219900101122X", source="code", phone="13800000000")


@dataclass
class FakeCard:
    """Shaped like ``devices.idcard.card.IdCard`` for ``Identity.from_card``."""

    name: str = "张三丰"
    id_number: str = "411702195001010018"
    sex: str = "男"
    birth_date: date = date(1950, 1, 1)
    address: str = "河南省驻马店市驿城区示例路1号"
    appended_address: str = ""


class SyncRunner:
    """Runs jobs at once, on the calling thread."""

    def run(
        self, fn: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[Exception], None]
    ) -> None:
        try:
            result = fn()
        except Exception as exc:
            on_error(exc)
        else:
            on_done(result)


class ManualRunner:
    """Holds jobs until the test runs them: lets a test see the 'working' screens and stale results."""

    def __init__(self) -> None:
        self.pending: list[tuple[Callable[[], Any], Callable[[Any], None], Callable[[Exception], None]]] = []

    def run(
        self, fn: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[Exception], None]
    ) -> None:
        self.pending.append((fn, on_done, on_error))

    def finish_all(self) -> None:
        while self.pending:
            fn, on_done, on_error = self.pending.pop(0)
            SyncRunner().run(fn, on_done, on_error)


@dataclass
class FakeApplications:
    online: bool = True
    outcome_kind: str = "approved"
    fail_save: bool = False
    saved: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_online(self) -> bool:
        return self.online

    def save_and_submit(
        self, item_code: str, applicant: Mapping[str, str], form: Mapping[str, str], partner_city: str | None
    ) -> Outcome:
        if self.fail_save:
            raise FlowFailure("error.save", "disk full")
        application_id = f"0190a0b0-0000-7000-8000-{len(self.saved):012d}"
        self.saved.append(
            {
                "id": application_id,
                "item": item_code,
                "applicant": dict(applicant),
                "form": dict(form),
                "partner": partner_city,
            }
        )
        if not self.online:
            return Outcome("queued", application_id, item_code=item_code)
        kind = "forwarded" if partner_city else self.outcome_kind
        reasons = (
            (Reason("缴存未满 12 个月", "Less than 12 months of deposits"),) if kind == "rejected" else ()
        )
        return Outcome(
            kind,
            application_id,
            certificate_ref="ZMD-2026-000123" if kind == "approved" else "",  # type: ignore[arg-type]
            reasons=reasons,
            partner_city=partner_city or "",
            item_code=item_code,
        )

    def status(self, application_id: str) -> Outcome:
        if not self.online:
            raise ServiceUnavailable("offline")
        for saved in self.saved:
            if saved["id"] == application_id:
                return Outcome(
                    "approved", application_id, certificate_ref="ZMD-2026-000123", item_code=saved["item"]
                )
        raise FlowFailure("error.not_found")

    def request_human_review(self, application_id: str, reason: str) -> None:
        if not self.online:
            raise ServiceUnavailable("offline")
        self.reviews.append((application_id, reason))


@dataclass
class FakeServices:
    online: bool = True
    booked: list[str] = field(default_factory=list)

    def _check(self) -> None:
        if not self.online:
            raise ServiceUnavailable("offline")

    def resolve_identity_code(self, token: str) -> Identity:
        self._check()
        if token != "valid-token-0123456789" and not token.startswith("demo-identity-"):
            raise FlowFailure("notice.wrong_code")
        return LI_CODE

    def query(self, endpoint: str, identity: Identity) -> QueryResult:
        self._check()
        return QueryResult(
            "公积金账户",
            "Provident fund account",
            (
                QueryRow("账户余额", "Balance", "52340.18 元"),
                QueryRow("月缴存额", "Monthly deposit", "1260.00 元"),
            ),
        )

    def zones(self) -> list[Choice]:
        self._check()
        return [Choice("Z01", "不动产登记", "Real estate"), Choice("Z02", "社保医保", "Social insurance")]

    def days(self, zone: str) -> list[Choice]:
        self._check()
        return [
            Choice("2026-01-06", "1月6日 周二", "Tue 6 Jan"),
            Choice("2026-01-07", "1月7日 周三", "Wed 7 Jan", False),
        ]

    def slots(self, zone: str, day: str) -> list[Choice]:
        self._check()
        return [
            Choice("09:00", "09:00–09:30", "09:00–09:30"),
            Choice("09:30", "09:30–10:00", "09:30–10:00", False),
        ]

    def book(self, booking_id: str, zone: Choice, day: Choice, slot: Choice, identity: Identity) -> Ticket:
        self._check()
        self.booked.append(booking_id)
        return Ticket(booking_id, "A017", zone, day, slot)


@dataclass
class FakePrinter:
    paper_state: str = "ok"
    printed: list[tuple[Any, str]] = field(default_factory=list)
    jam: bool = False

    def paper(self) -> str:
        return self.paper_state

    def print_receipt(self, document: Any, job_key: str) -> None:
        if self.jam:
            raise PaperOut("paper ran out while printing")
        if any(key == job_key for _, key in self.printed):
            return
        self.printed.append((document, job_key))


def receipt_context() -> ReceiptContext:
    return ReceiptContext("zh_CN", "demo-kiosk-01", datetime(2026, 1, 5, 9, 30, tzinfo=UTC))


def make_journey(
    *,
    applications: Applications | None = None,
    services: Services | None = None,
    printer: ReceiptPrinter | None = None,
    runner: Runner | None = None,
    catalog: Catalog | None = None,
) -> Journey:
    """A journey over the built-in catalogue, with a fresh fake for every seam not given (and a
    runner that finishes work at once)."""
    return Journey(
        catalog or builtin_catalog(),
        applications=applications or FakeApplications(),
        services=services or FakeServices(),
        printer=printer or FakePrinter(),
        runner=runner or SyncRunner(),
        receipt_context=receipt_context,
    )
