"""One citizen's journey through the step table, with its side effects.

The journey owns the current ``FlowState`` and a back stack of earlier states. Citizen actions and
device events change the state through ``_advance`` (which asks the step table for the next step);
blocking work (save and submit, queries, bookings, printing) goes through the ``Runner`` and comes back
on the core thread. A result that arrives after the session was wiped is dropped: each job carries the
generation it started in. A job that fills in a screen (a list of days, say) is also dropped when the
citizen has moved on or asked for something else meanwhile.

A failure at a working step ends on the error screen, which offers "try again" (back where the work
started, everything kept) when repeating it is safe: queries, bookings (same booking id, so at most one
ticket), tracking and printing; never a submission, which could be saved already.

Thread rule: every public method runs on the core thread.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kiosk.catalog import Catalog, ServiceItem
from kiosk.flows.model import Choice
from kiosk.flows.ports import (
    Applications,
    FlowFailure,
    PaperOut,
    ReceiptPrinter,
    Runner,
    Services,
    ServiceUnavailable,
)
from kiosk.flows.steps import ALL_GROUPS, POINTS_OF_NO_RETURN, STEPS, FlowKind, FlowState, next_step
from kiosk.forms import FieldSpec, keypad_accepts, prefilled, questions, set_text, submitted_value, validate
from kiosk.identity import Identity
from kiosk.receipts import ReceiptContext, receipt_for, tracking_code

log = logging.getLogger(__name__)

Listener = Callable[[FlowState], None]
LOCAL = "local"  # the partner-city choice "handle it here, in this city"


class UnknownAction(ValueError):
    """The UI asked for an action the journey does not have."""


class Journey:
    """Drives one citizen's flow. Create once; ``reset`` wipes it between citizens."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        applications: Applications,
        services: Services,
        printer: ReceiptPrinter,
        runner: Runner,
        receipt_context: Callable[[], ReceiptContext],
    ) -> None:
        self.catalog = catalog
        self._applications = applications
        self._services = services
        self._printer = printer
        self._runner = runner
        self._receipt_context = receipt_context
        self._state = FlowState()
        self._stack: list[FlowState] = []
        self._generation = 0
        self._listeners: list[Listener] = []
        self._pending_catalog: Catalog | None = None

    # -- state -------------------------------------------------------------------------------------
    @property
    def state(self) -> FlowState:
        return self._state

    @property
    def item(self) -> ServiceItem | None:
        return self.catalog.get(self._state.item_code) if self._state.item_code else None

    @property
    def can_go_back(self) -> bool:
        return bool(self._stack) and STEPS[self._state.step].navigable

    @property
    def is_working(self) -> bool:
        return STEPS[self._state.step].working

    @property
    def is_online(self) -> bool:
        return self._applications.is_online

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def set_catalog(self, catalog: Catalog) -> None:
        """Take a new catalogue version: now on the attract screen, else from the next citizen on."""
        if self._state.step == "attract":
            self.catalog = catalog
            self._pending_catalog = None
        else:
            self._pending_catalog = catalog

    def reset(self) -> None:
        """Wipe: drop every bit of the citizen's data and go back to the attract screen."""
        self._generation += 1
        self._stack.clear()
        if self._pending_catalog is not None:
            self.catalog, self._pending_catalog = self._pending_catalog, None
        self._set(FlowState())

    # -- dispatch from the UI ----------------------------------------------------------------------
    def act(self, action: str, value: str = "") -> None:
        """Run the UI action ``action`` (a button) with its ``value``; ``UnknownAction`` if none."""
        handler = _ACTIONS.get(action)
        if handler is None:
            raise UnknownAction(action)
        handler(self, value)

    def start(self, _: str = "") -> None:
        if self._state.step == "attract":
            self._advance()

    def go_home(self, _: str = "") -> None:
        if self._state.step in POINTS_OF_NO_RETURN:
            return
        self._stack.clear()
        self._set(FlowState(step="home"))

    def back(self, _: str = "") -> None:
        if self.can_go_back:
            self._set(self._stack.pop())

    def open_group(self, code: str) -> None:
        """A department or life event (or ``*``: the list of all departments)."""
        if self.catalog.group(code) is not None or (code == ALL_GROUPS and self._state.step == "home"):
            self._advance(group=code, section="", item_code="", page=0)

    def open_section(self, code: str) -> None:
        """One of the elder-mode home's big sections: the list of its items."""
        if self._state.step == "home" and self.catalog.elder_section(code) is not None:
            self._advance(section=code, group="", item_code="", page=0)

    def turn_page(self, direction: str) -> None:
        """``next`` or ``prev`` on a long list; the view keeps the page in range."""
        step = 1 if direction == "next" else -1
        self._set(replace(self._state, page=max(0, self._state.page + step)))

    def open_search(self, _: str = "") -> None:
        self._advance(group="", section="", item_code="")

    def type_search(self, text: str) -> None:
        if self._state.step == "search":
            self._set(replace(self._state, query=text[:40], page=0))

    def choose_item(self, code: str) -> None:
        item = self.catalog.get(code)
        if item is None:
            return
        flow: FlowKind = item.kind
        self._advance(item_code=code, flow=flow, page=0)

    def begin(self, _: str = "") -> None:
        if self._state.step == "item" and self.item is not None:
            item = self.item
            zone = self.catalog.zone(item.appointment_zone) if item.appointment_zone else None
            if zone is not None:
                chosen = Choice(zone.code, zone.name_zh, zone.name_en)
                self._advance(zone=chosen)
                self._load_choices(lambda: self._services.days(chosen.code))
                return
            self._advance()
            if self._state.step == "zone":
                self._load_choices(lambda: self._services.zones())

    def choose_partner(self, city: str) -> None:
        """The partner city that handles a cross-province item, or ``local`` to handle it here."""
        item = self.item
        if self._state.step != "partner" or item is None:
            return
        if city == LOCAL:
            self._advance(partner_city="")
        elif city in item.partner_cities:
            self._advance(partner_city=city)

    def choose(self, code: str) -> None:
        """A choice on the zone / day / slot screens, or a choice field of the form."""
        step = self._state.step
        if step == "form":
            self._answer(code)
            return
        chosen = next((c for c in self._state.choices if c.code == code and c.available), None)
        if chosen is None:
            return
        if step == "zone":
            self._advance(zone=chosen, choices=())
            self._load_choices(lambda: self._services.days(chosen.code))
        elif step == "day" and self._state.zone is not None:
            zone = self._state.zone
            self._advance(day=chosen, choices=())
            self._load_choices(lambda: self._services.slots(zone.code, chosen.code))
        elif step == "slot":
            # A new booking attempt, with its own booking id (the Idempotency-Key).
            self._advance(slot=chosen, choices=(), booking_id=str(uuid.uuid4()))

    def key(self, key: str) -> None:
        """A keypad key on a form question."""
        spec = self._current_field()
        if spec is None:
            return
        draft = self._state.draft
        if keypad_accepts(spec, draft, key):
            self._set(replace(self._state, draft=draft + key, field_error=""))

    def set_answer(self, value: str) -> None:
        """The whole text of a free-text answer, from the optional on-screen Pinyin keyboard."""
        spec = self._current_field()
        text = set_text(spec, value) if spec is not None else None
        if text is not None:
            self._set(replace(self._state, draft=text, field_error=""))

    def delete(self, _: str = "") -> None:
        if self._state.step == "form" and self._state.draft:
            self._set(replace(self._state, draft=self._state.draft[:-1], field_error=""))

    def clear(self, _: str = "") -> None:
        if self._state.step == "form":
            self._set(replace(self._state, draft="", field_error=""))

    def next(self, _: str = "") -> None:
        """ "Next" on a form question: check the typed answer and move on."""
        if self._state.step == "form":
            self._answer(self._state.draft)
        elif self._state.step in ("result", "query_result", "ticket"):
            self.print_receipt()

    def confirm(self, _: str = "") -> None:
        """ "Submit" on the review screen: save durably, then submit (offline: queued for later)."""
        state, item = self._state, self.item
        if state.step != "review" or item is None or state.identity is None:
            return
        form = {**prefilled(item.form, state.identity), **dict(state.answers)}
        specs = {spec.key: spec for spec in item.form}
        answers = {key: submitted_value(specs[key], value) for key, value in form.items() if key in specs}
        applicant = state.identity.applicant(phone=answers.get("phone", ""))
        partner = state.partner_city or None
        self._advance()
        self._work(
            lambda: self._applications.save_and_submit(item.code, applicant, answers, partner),
            lambda outcome: self._advance(outcome=outcome, receipt_qr=tracking_code(outcome.application_id)),
        )

    def ask_review(self, reason: str) -> None:
        """Rejected: ask for a person to review the application."""
        outcome = self._state.outcome
        if self._state.step != "result" or outcome is None or outcome.kind != "rejected":
            return
        if self._state.review_requested or self._state.review_pending:
            return
        application_id = outcome.application_id
        # Marked before the request starts: a second tap while it is on its way sends nothing.
        self._set(replace(self._state, review_pending=True))
        self._work(
            lambda: self._applications.request_human_review(application_id, reason or "explain"),
            self._review_sent,
            on_error=self._review_failed,
        )

    def _review_sent(self, _: object) -> None:
        # Recorded even if the citizen has moved on (it was sent); the notice only on the result.
        state = self._state
        notice = "notice.review_sent" if state.step == "result" else state.notice_key
        self._set(replace(state, review_pending=False, review_requested=True, notice_key=notice))

    def _review_failed(self, exc: Exception) -> None:
        # Not sent: the button comes back, and the result screen says why.
        state = replace(self._state, review_pending=False)
        if state.step == "result":
            state = replace(state, notice_key=self._failure_key(exc))
        self._set(state)

    def print_receipt(self, _: str = "") -> None:
        if self._state.step not in ("result", "query_result", "ticket", "track_result"):
            return
        context = self._receipt_context()
        document = receipt_for(self._state, self.item, context, self.catalog)
        job_key = self._job_key()
        if self._printer.paper() == "out":
            self._no_paper()
            return
        self._advance(step_override="printing")
        self._work(lambda: self._printer.print_receipt(document, job_key), lambda _: self._advance())

    def finish(self, _: str = "") -> None:
        """ "Done": end of the citizen's business (the session wipes on ``session_did_end``)."""
        self._set(replace(self._state, step="done"))

    def track(self, _: str = "") -> None:
        if self._state.step == "home":
            self._advance(flow="track", item_code="", group="", section="")

    def retry(self, _: str = "") -> None:
        """ "Try again" on the error screen: back where the failed work started, everything kept, and
        the work repeated (a booking with the same booking id). With nothing to resume: start over."""
        state = self._state
        if state.step != "error":
            return  # e.g. a second tap after the first one already resumed: never wipe mid-work
        resume = state.resume_step
        if not resume:
            self.go_home()
        elif resume in ("querying", "booking"):
            self._advance(step_override=resume, resume_step="")
        elif self._stack and self._stack[-1].step == resume:
            self._set(self._stack.pop())  # a navigable step, as it was: "back" from it still works
        else:
            self._set(replace(state, step=resume, error_key="", resume_step=""))

    # -- device events -----------------------------------------------------------------------------
    def card_read(self, identity: Identity) -> None:
        if self._state.step == "identify":
            self._advance(identity=identity, field_index=0, draft=self._prefill(0, identity))

    def card_removed(self) -> bool:
        """The ID card left the reader. True when that ends the session (mid-application, card-based)."""
        state = self._state
        identity = state.identity
        return (
            identity is not None and identity.source == "card" and state.step in ("partner", "form", "review")
        )

    def code_scanned(self, kind: str, value: str) -> None:
        step = self._state.step
        if step == "identify" and kind == "identity":
            self._work(
                lambda: self._services.resolve_identity_code(value),
                lambda identity: self._advance(
                    identity=identity, field_index=0, draft=self._prefill(0, identity)
                ),
                keep_step=True,
            )
        elif step == "track_scan" and kind == "tracking":
            self._advance()
            self._work(
                lambda: self._applications.status(value),
                lambda outcome: self._advance(
                    outcome=outcome, receipt_qr=tracking_code(outcome.application_id)
                ),
            )
        elif step in ("identify", "track_scan"):
            self._set(replace(self._state, notice_key="notice.wrong_code"))

    def code_rejected(self) -> None:
        if self._state.step in ("identify", "track_scan"):
            self._set(replace(self._state, notice_key="notice.wrong_code"))

    # -- internals ---------------------------------------------------------------------------------
    def _set(self, state: FlowState) -> None:
        self._state = state
        for listener in list(self._listeners):
            listener(state)

    def _advance(self, step_override: str = "", **changes: Any) -> None:
        current = self._state
        changed = replace(current, notice_key="", error_key="", **changes)
        target = step_override or next_step(changed, self.catalog.get(changed.item_code))
        if STEPS[current.step].navigable:
            self._stack.append(current)
        if target in POINTS_OF_NO_RETURN:
            self._stack.clear()
        self._set(replace(changed, step=target))
        if target in ("querying", "booking"):
            self._start_lookup(target)

    def _start_lookup(self, step: str) -> None:
        state = self._state
        identity = state.identity
        if identity is None:
            return
        if step == "querying":
            item = self.item
            endpoint = (item.query if item else None) or ""
            self._work(
                lambda: self._services.query(endpoint, identity), lambda r: self._advance(query_result=r)
            )
        elif state.zone and state.day and state.slot:
            zone, day, slot = state.zone, state.day, state.slot
            # The attempt's id, the same on every retry: the service then returns the ticket it
            # already issued instead of booking the slot a second time.
            booking_id = state.booking_id
            if not booking_id:
                booking_id = str(uuid.uuid4())
                self._set(replace(state, booking_id=booking_id))
            self._work(
                lambda: self._services.book(booking_id, zone, day, slot, identity),
                lambda ticket: self._advance(ticket=ticket),
            )

    def _load_choices(self, fetch: Callable[[], list[Choice]]) -> None:
        """Fetch the list for the zone / day / slot screen now showing.

        The list belongs to the zone and day it was asked for: if the citizen has gone back and chosen
        another meanwhile, it arrives stale and is dropped (the new choice's own list follows)."""
        zone, day = self._state.zone, self._state.day
        self._work(
            fetch,
            lambda choices: self._set(replace(self._state, choices=tuple(choices))),
            keep_step=True,
            still_asked=lambda: self._state.zone == zone and self._state.day == day,
        )

    def _work(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        *,
        keep_step: bool = False,
        still_asked: Callable[[], bool] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        """Run ``fn`` through the runner; ``on_done`` gets its result on the core thread.

        Nothing comes back into a later session (the generation changed). ``keep_step``: the job
        belongs to the screen it started on; its result is applied, or its failure shown there as a
        notice, only while that screen still shows (same step and, if given, ``still_asked()``), else
        both are dropped. Otherwise a failure goes to ``on_error``, or by default to the error screen.
        """
        generation = self._generation
        started_at = self._state.step

        def still_there() -> bool:
            return self._state.step == started_at and (still_asked is None or still_asked())

        def done(result: Any) -> None:
            if generation == self._generation and (not keep_step or still_there()):
                on_done(result)

        def failed(exc: Exception) -> None:
            if generation != self._generation:
                return
            if on_error is not None:
                on_error(exc)
            elif not keep_step:
                self._fail(exc, started_at)
            elif still_there():
                self._set(replace(self._state, notice_key=self._failure_key(exc)))

        self._runner.run(fn, done, failed)

    def _failure_key(self, exc: Exception) -> str:
        """The i18n key telling the citizen about ``exc`` (nothing personal is logged)."""
        if isinstance(exc, FlowFailure):
            return exc.message_key
        if isinstance(exc, ServiceUnavailable):
            return "error.offline"
        log.warning("flow step failed", extra={"step": self._state.step, "error": type(exc).__name__})
        return "error.unexpected"

    def _fail(self, exc: Exception, started_at: str) -> None:
        """The work of the working step ``started_at`` failed: the error screen, with "try again"
        where repeating it is safe; a full slot and a printer without paper have their own screens."""
        if isinstance(exc, PaperOut):
            self._no_paper()
            return
        key = self._failure_key(exc)
        if key == "error.slot_full" and started_at == "booking":
            self._slot_taken()
            return
        resume = _resume_step(self._state, started_at)
        if not resume and key == "error.unexpected":
            key = "error.call_staff"  # "error.unexpected" says "try again", and there is no retry here
        self._set(replace(self._state, step="error", error_key=key, resume_step=resume))

    def _no_paper(self) -> None:
        """No paper: an application's receipt is shown as its QR code instead; a ticket or a query
        result has no such code, so it stays on screen with a notice and the citizen can note it."""
        state = self._state
        if state.receipt_qr:
            self._set(replace(state, step="receipt_qr", notice_key="notice.no_paper"))
        else:
            self._set(replace(state, step=_result_step(state), notice_key="notice.no_paper_note"))

    def _slot_taken(self) -> None:
        """The chosen time filled up before the booking went through: back to that day's times,
        fetched again, with zone, day and identity kept; the next time chosen is a new attempt."""
        state = self._state
        zone, day = state.zone, state.day
        self._set(
            replace(
                state,
                step="slot",
                slot=None,
                choices=(),
                booking_id="",
                error_key="",
                notice_key="error.slot_full",
            )
        )
        if zone is not None and day is not None:
            self._load_choices(lambda: self._services.slots(zone.code, day.code))

    def questions(self) -> tuple[FieldSpec, ...]:
        """The form fields this citizen is asked for the current item."""
        item = self.item
        return questions(item.form, self._state.identity) if item is not None else ()

    def _current_field(self) -> FieldSpec | None:
        asked = self.questions()
        if self._state.step != "form" or self._state.field_index >= len(asked):
            return None
        return asked[self._state.field_index]

    def _prefill(self, index: int, identity: Identity | None) -> str:
        item = self.item
        asked = questions(item.form, identity) if item is not None else ()
        if index >= len(asked):
            return ""
        return dict(self._state.answers).get(asked[index].key, "")

    def _answer(self, value: str) -> None:
        spec = self._current_field()
        if spec is None:
            return
        error = validate(spec, value)
        if error:
            self._set(replace(self._state, field_error=error))
            return
        answers = (*tuple((k, v) for k, v in self._state.answers if k != spec.key), (spec.key, value))
        index = self._state.field_index + 1
        self._advance(
            answers=answers,
            field_index=index,
            draft=self._prefill(index, self._state.identity),
            field_error="",
        )

    def _job_key(self) -> str:
        state = self._state
        if state.outcome is not None:
            return f"receipt:{state.outcome.application_id}"
        if state.ticket is not None:
            return f"ticket:{state.ticket.booking_id}"
        return f"slip:{uuid.uuid4()}"


def _result_step(state: FlowState) -> str:
    """The result screen whose receipt ``state`` prints (where a failed print comes back to)."""
    if state.ticket is not None:
        return "ticket"
    if state.query_result is not None:
        return "query_result"
    return "track_result" if state.flow == "track" else "result"


# Where "try again" resumes after the work of a working step failed. Queries are reads and bookings
# repeat with their booking id, so both run again; tracking asks for the code again. A submission is
# never repeated from here: the application may be saved already, and it would be sent twice.
_RESUME = {"querying": "querying", "booking": "booking", "tracking": "track_scan"}


def _resume_step(state: FlowState, started_at: str) -> str:
    """The step "try again" returns to after a failure at ``started_at``; "" when none is safe."""
    if started_at == "printing":
        return _result_step(state)  # the result is still there: print it again, or note it down
    return _RESUME.get(started_at, "")


_ACTIONS: dict[str, Callable[[Journey, str], None]] = {
    "start": Journey.start,
    "home": Journey.go_home,
    "back": Journey.back,
    "group": Journey.open_group,
    "section": Journey.open_section,
    "page": Journey.turn_page,
    "search": Journey.open_search,
    "type": Journey.type_search,
    "item": Journey.choose_item,
    "begin": Journey.begin,
    "partner": Journey.choose_partner,
    "choose": Journey.choose,
    "key": Journey.key,
    "delete": Journey.delete,
    "set": Journey.set_answer,
    "clear": Journey.clear,
    "next": Journey.next,
    "confirm": Journey.confirm,
    "review": Journey.ask_review,
    "print": Journey.print_receipt,
    "finish": Journey.finish,
    "track": Journey.track,
    "retry": Journey.retry,
}
ACTION_NAMES = frozenset(_ACTIONS)
