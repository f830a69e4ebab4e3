"""The flows' seams over the real pieces: the API client (live services) and the outbox (applications).

``ApiServices`` and ``OutboxApplications`` turn wire types into the flows' own types and API errors into
what the citizen is told: no answer → ``ServiceUnavailable`` ("needs the network"), an unknown
application → ``FlowFailure("error.not_found")``, a slot booked full meanwhile →
``FlowFailure("error.slot_full")``, anything else → ``FlowFailure("error.unexpected")``.
Every method blocks on the network: the journey calls them through its runner, never on the UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from kiosk.api_client import ApiClient, ApiError, ClientError, NetworkError, ServerError
from kiosk.flows.model import Choice, Outcome, OutcomeKind, QueryResult, QueryRow, Reason, Ticket
from kiosk.flows.ports import FlowFailure, ServiceUnavailable
from kiosk.identity import Identity

log = logging.getLogger(__name__)

_WEEKDAYS_ZH = "一二三四五六日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Account and enrolment status codes of the central service, as a citizen reads them.
_STATUS: dict[str, tuple[str, str]] = {
    "normal": ("正常", "Normal"),
    "active": ("正常参保", "Enrolled"),
    "paying": ("正常缴存", "Paying in"),
    "sealed": ("封存", "Suspended"),
    "suspended": ("暂停", "Suspended"),
    "retired": ("已退休", "Retired"),
    "closed": ("已销户", "Closed"),
}
_OUTCOMES: frozenset[str] = frozenset({"approved", "rejected", "manual_review", "forwarded", "processing"})


@contextmanager
def explained(action: str, not_found_key: str = "error.no_record") -> Iterator[None]:
    """Turn API errors into the flows' errors (nothing personal is logged: only the action and status)."""
    try:
        yield
    except NetworkError:
        raise ServiceUnavailable(action) from None
    except ServerError as exc:
        log.warning("central service error", extra={"action": action, "status": exc.status})
        raise ServiceUnavailable(action) from None
    except ClientError as exc:
        log.warning("central service refused", extra={"action": action, "status": exc.status})
        if exc.status == 404:
            key = not_found_key
        elif exc.status == 409 and exc.slug == "slot-full":
            key = "error.slot_full"  # taken since the list was shown: the citizen picks another time
        else:
            key = "error.unexpected"
        raise FlowFailure(key, f"{action}: {exc.status}") from None
    except ApiError as exc:
        log.warning("central service call failed", extra={"action": action, "status": exc.status})
        raise FlowFailure("error.unexpected", action) from None


def outcome_from_decision(decision: Any) -> Outcome:
    """From ``kiosk.api_client.Decision``: failed conditions become the reasons shown to the citizen."""
    kind: OutcomeKind = decision.outcome if decision.outcome in _OUTCOMES else "processing"
    reasons = tuple(
        Reason(c.reason_zh, c.reason_en) for c in decision.conditions if not c.passed and not c.skipped
    )
    return Outcome(
        kind=kind,
        application_id=decision.application_id,
        certificate_ref=decision.certificate_ref or "",
        reasons=reasons,
        partner_city=decision.partner_city or "",
        partner_reference=decision.partner_reference or "",
        item_code=decision.item_code,
    )


def _day_choice(day: date, available: int) -> Choice:
    return Choice(
        day.isoformat(),
        f"{day.month}月{day.day}日 周{_WEEKDAYS_ZH[day.weekday()]}",
        f"{_WEEKDAYS_EN[day.weekday()]} {day.day} {day.strftime('%b')}",
        available > 0,
    )


class ApiServices:
    """Identity codes, queries and appointments from the central service.

    ``on_answer`` is called after every call the service answered (it feeds the online indicator).
    """

    def __init__(self, client: ApiClient, *, on_answer: Callable[[], None] | None = None) -> None:
        self._client = client
        self._on_answer = on_answer or (lambda: None)

    @contextmanager
    def _call(self, action: str) -> Iterator[None]:
        with explained(action):
            yield
        self._on_answer()

    def resolve_identity_code(self, token: str) -> Identity:
        with self._call("identity code"):
            resolved = self._client.resolve_identity_code(token)
        return Identity.from_resolved(resolved)

    def query(self, endpoint: str, identity: Identity) -> QueryResult:
        endpoint = endpoint.replace("-", "_")
        if endpoint not in ("provident_fund", "social_insurance"):
            raise FlowFailure("error.query_unavailable", endpoint)
        with self._call(f"query {endpoint}"):
            if endpoint == "social_insurance":
                s = self._client.social_insurance(identity.id_number)
                rows = [
                    QueryRow("参保状态", "Status", s.status),
                    QueryRow("缴费月数", "Months paid", str(s.months_paid)),
                ]
                if s.pension_monthly:
                    rows.append(
                        QueryRow(
                            "月养老金",
                            "Monthly pension",
                            f"{s.pension_monthly} 元",
                            f"CNY {s.pension_monthly}",
                        )
                    )
                return QueryResult("社保参保信息", "Social insurance", tuple(rows))
            account = self._client.provident_fund(identity.id_number)
        rows = [
            QueryRow("账户余额", "Balance", f"{account.balance} 元", f"CNY {account.balance}"),
            QueryRow(
                "月缴存额",
                "Monthly deposit",
                f"{account.monthly_contribution} 元",
                f"CNY {account.monthly_contribution}",
            ),
            QueryRow(
                "账户状态", "Account status", *_STATUS.get(account.status, (account.status, account.status))
            ),
            QueryRow("最近缴存", "Last deposit", account.last_contribution),
            QueryRow("管理部门", "Managed by", account.managed_by),
        ]
        return QueryResult("公积金账户", "Provident fund account", tuple(rows))

    def zones(self) -> list[Choice]:
        with self._call("appointment zones"):
            zones = self._client.appointment_zones()
        return [Choice(z.code, z.name_zh, z.name_en) for z in zones]

    def days(self, zone: str) -> list[Choice]:
        with self._call("appointment days"):
            days = self._client.appointment_days(zone)
        return [_day_choice(d.day, d.available) for d in days]

    def slots(self, zone: str, day: str) -> list[Choice]:
        with self._call("appointment slots"):
            slots = self._client.appointment_slots(zone, day)
        return [Choice(s.slot, s.slot, s.slot, s.available > 0) for s in slots]

    def book(self, booking_id: str, zone: Choice, day: Choice, slot: Choice, identity: Identity) -> Ticket:
        with self._call("appointment booking"):
            ticket = self._client.book_appointment(
                booking_id, zone.code, day.code, slot.code, identity.applicant()
            )
        return Ticket(booking_id, ticket.ticket_number, zone, day, slot)


class OutboxApplications:
    """Applications saved durably in the outbox, then submitted at once (or later, when offline)."""

    def __init__(
        self, submissions: Any, client: ApiClient, *, online: Callable[[], bool] | None = None
    ) -> None:
        self._submissions = submissions
        self._client = client
        self._online = online

    @property
    def is_online(self) -> bool:
        return bool(self._online() if self._online is not None else self._submissions.is_online)

    def save_and_submit(
        self, item_code: str, applicant: Mapping[str, str], form: Mapping[str, str], partner_city: str | None
    ) -> Outcome:
        """Save durably (``FlowFailure("error.save")`` if that fails), then one attempt to submit.

        The decision when the service gave one; ``queued`` when the relay will send it later (offline,
        server busy, an attempt in flight); ``needs_staff`` when the service refused it for good."""
        from kiosk.submissions import SaveFailed

        try:
            saved = self._submissions.save(item_code, applicant, form, partner_city)
        except SaveFailed as exc:
            raise FlowFailure("error.save", exc.reason) from None
        result = self._submissions.submit_now(saved.application_id)
        if hasattr(result, "outcome"):
            return outcome_from_decision(result)
        if getattr(result, "reason", "") == "needs_staff":
            # Dead-lettered: the service refused it and it will never be sent by itself. Saying
            # "saved, sent later" would be false; staff need the application id to deal with it.
            return Outcome("needs_staff", saved.application_id, item_code=item_code)
        # Queued (offline, server busy, in progress): the relay delivers it later; result by SMS.
        return Outcome("queued", saved.application_id, item_code=item_code)

    def status(self, application_id: str) -> Outcome:
        stored = self._submissions.decision_for(application_id)
        if stored is not None:
            return outcome_from_decision(stored)
        with explained("application status", not_found_key="error.not_found"):
            return outcome_from_decision(self._client.get_application(application_id))

    def request_human_review(self, application_id: str, reason: str) -> None:
        with explained("human review"):
            self._client.request_human_review(application_id, reason)
