"""Plain results the flows show: decisions, balances, appointment slots, tickets.

These are the flows' own types; ``kiosk.flows.services`` converts what the API client and the outbox
return into them, so the step table never depends on wire formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OutcomeKind = Literal[
    "approved", "rejected", "manual_review", "forwarded", "processing", "queued", "needs_staff"
]


@dataclass(frozen=True)
class Reason:
    """Why a condition of an instant-approval rule failed, in both languages."""

    zh: str
    en: str

    def text(self, language: str) -> str:
        return self.zh if language == "zh_CN" else self.en


@dataclass(frozen=True)
class Outcome:
    """What became of an application. ``queued`` means saved offline; the result will come by SMS.
    ``needs_staff``: the service refused it (kept on the kiosk, never sent again): staff must help."""

    kind: OutcomeKind
    application_id: str
    certificate_ref: str = ""
    reasons: tuple[Reason, ...] = ()
    partner_city: str = ""
    partner_reference: str = ""
    item_code: str = ""


@dataclass(frozen=True)
class QueryRow:
    label_zh: str
    label_en: str
    value: str
    value_en: str = ""  # when the value itself is words (a status), its English form

    def label(self, language: str) -> str:
        return self.label_zh if language == "zh_CN" else self.label_en

    def value_in(self, language: str) -> str:
        return self.value_en if language == "en" and self.value_en else self.value


@dataclass(frozen=True)
class QueryResult:
    """Live data read for the citizen (e.g. a provident-fund balance), as labelled rows."""

    title_zh: str
    title_en: str
    rows: tuple[QueryRow, ...]

    def title(self, language: str) -> str:
        return self.title_zh if language == "zh_CN" else self.title_en


@dataclass(frozen=True)
class Choice:
    """One choice on a list screen (zone, day, slot): ``code`` is sent back, labels are shown."""

    code: str
    label_zh: str
    label_en: str
    available: bool = True

    def label(self, language: str) -> str:
        return self.label_zh if language == "zh_CN" else self.label_en


@dataclass(frozen=True)
class Ticket:
    """An appointment ticket."""

    booking_id: str
    number: str
    zone: Choice
    day: Choice
    slot: Choice
