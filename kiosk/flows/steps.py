"""The step table: for every step, the next step as a pure function of the flow state.

The UI maps step names to screens. ``FlowState`` is immutable; the journey keeps a stack of them for
"back". A step is ``navigable`` when the citizen can come back to it, ``working`` when a background job
runs while it shows (the idle countdown pauses: nobody should be timed out while the kiosk thinks), and
``last`` when nothing follows but leaving.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from kiosk.catalog import ServiceItem
from kiosk.flows.model import Choice, Outcome, QueryResult, Ticket
from kiosk.forms import questions
from kiosk.identity import Identity

FlowKind = Literal["browse", "apply", "query", "appointment", "track"]
ALL_GROUPS = "*"  # the "all departments" entry on the home screen


@dataclass(frozen=True)
class FlowState:
    """Everything one citizen's flow holds. Personal data lives only here and is dropped on wipe.

    ``repr`` leaves out the answers, the answer being typed and the query result (bank card and
    phone numbers, balances); ``identity`` masks itself.
    """

    step: str = "attract"
    flow: FlowKind = "browse"
    group: str = ""
    section: str = ""  # an elder-mode home section
    query: str = ""
    item_code: str = ""
    identity: Identity | None = None
    partner_city: str = ""
    field_index: int = 0
    # Personal values: kept out of repr so a state in a log line or traceback cannot leak them.
    answers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    draft: str = field(default="", repr=False)
    field_error: str = ""
    choices: tuple[Choice, ...] = ()
    zone: Choice | None = None
    day: Choice | None = None
    slot: Choice | None = None
    outcome: Outcome | None = None
    query_result: QueryResult | None = field(default=None, repr=False)
    ticket: Ticket | None = None
    # The Idempotency-Key of this booking attempt (a chosen slot): kept while the same attempt is
    # retried, so a retry after a lost answer returns the same ticket instead of booking twice.
    booking_id: str = ""
    error_key: str = ""
    # Where "try again" on the error screen resumes, data kept; "" when only starting over is safe.
    resume_step: str = ""
    notice_key: str = ""
    review_requested: bool = False
    review_pending: bool = False  # a review request is on its way: a second tap sends nothing
    receipt_qr: str = ""
    page: int = 0

    def answer(self, key: str) -> str:
        return dict(self.answers).get(key, "")


Next = Callable[[FlowState, ServiceItem | None], str]


@dataclass(frozen=True)
class Step:
    next: Next
    navigable: bool = True
    working: bool = False
    last: bool = False


def _fixed(name: str) -> Next:
    return lambda state, item: name


def _from_home(state: FlowState, item: ServiceItem | None) -> str:
    if state.flow == "track":
        return "track_scan"
    if item is not None:
        return "item"
    if state.section:
        return "section"
    if state.group == ALL_GROUPS:
        return "groups"
    return "group" if state.group else "search"


def _from_item(state: FlowState, item: ServiceItem | None) -> str:
    if item is None:
        return "home"
    if item.kind == "appointment":
        return "day" if item.appointment_zone else "zone"
    if item.kind == "apply" and item.cross_province:
        return "partner"
    return "identify"


def _from_identify(state: FlowState, item: ServiceItem | None) -> str:
    if item is None:
        return "home"
    if item.kind == "query":
        return "querying"
    if item.kind == "appointment":
        return "booking"
    return _next_question(state, item)


def _from_slot(state: FlowState, item: ServiceItem | None) -> str:
    # Identified already: back on the slot list after the chosen time filled up, book the new one.
    return "identify" if state.identity is None else "booking"


def _next_question(state: FlowState, item: ServiceItem | None) -> str:
    asked = questions(item.form, state.identity) if item else ()
    return "form" if state.field_index < len(asked) else "review"


STEPS: dict[str, Step] = {
    "attract": Step(_fixed("home"), navigable=False),
    "home": Step(_from_home),
    "search": Step(_fixed("item")),
    "groups": Step(_fixed("group")),
    "group": Step(_fixed("item")),
    "section": Step(_fixed("item")),
    "item": Step(_from_item),
    "partner": Step(_fixed("identify")),
    "zone": Step(_fixed("day")),
    "day": Step(_fixed("slot")),
    "slot": Step(_from_slot),
    "identify": Step(_from_identify),
    "form": Step(_next_question),
    "review": Step(_fixed("submitting")),
    "submitting": Step(_fixed("result"), navigable=False, working=True),
    "result": Step(_fixed("printing"), navigable=False),
    "querying": Step(_fixed("query_result"), navigable=False, working=True),
    "query_result": Step(_fixed("printing"), navigable=False),
    "booking": Step(_fixed("ticket"), navigable=False, working=True),
    "ticket": Step(_fixed("printing"), navigable=False),
    "track_scan": Step(_fixed("tracking")),
    "tracking": Step(_fixed("track_result"), navigable=False, working=True),
    "track_result": Step(_fixed("done"), navigable=False),
    "printing": Step(_fixed("done"), navigable=False, working=True),
    "receipt_qr": Step(_fixed("done"), navigable=False),
    "done": Step(_fixed("attract"), navigable=False, last=True),
    "error": Step(_fixed("home"), navigable=False, last=True),
}

# Steps after which the citizen's data has been handed over: "back" may not undo them.
POINTS_OF_NO_RETURN = frozenset({"submitting", "booking"})


def next_step(state: FlowState, item: ServiceItem | None) -> str:
    """The step after ``state.step``; ``KeyError`` for a step not in the table."""
    return STEPS[state.step].next(state, item)
