"""The running kiosk tells the rest of the core when citizens come and go."""

from __future__ import annotations

from types import SimpleNamespace

from kiosk.clock import FakeClock
from kiosk.events import EventBus, SessionDidEnd, SessionDidStart
from kiosk.logs import Redactor
from kiosk.session import EndReason, Session, SessionSettings
from tests.support.fakes import (
    LI_CODE,
    ZHANG,
    make_journey,
)
from ui.run import _publish_session_events


def test_session_start_and_end_are_published_once_each() -> None:
    journey = make_journey()
    session = Session(journey, FakeClock(), SessionSettings())
    bus = EventBus()
    seen: list[object] = []
    bus.subscribe(SessionDidStart, seen.append)
    bus.subscribe(SessionDidEnd, seen.append)
    kiosk = SimpleNamespace(events=bus, redactor=Redactor())
    _publish_session_events(SimpleNamespace(journey=journey, session=session), kiosk)
    journey.act("start")
    journey.act("item", "HF-BALANCE")
    journey.act("back")
    session.end(EndReason.TIMEOUT)
    assert seen == [SessionDidStart(), SessionDidEnd("timeout")]


def test_from_identification_to_the_wipe_logs_mask_the_citizen_whatever_the_line() -> None:
    journey = make_journey()
    session = Session(journey, FakeClock(), SessionSettings())
    redactor = Redactor()
    kiosk = SimpleNamespace(events=EventBus(), redactor=redactor)
    _publish_session_events(SimpleNamespace(journey=journey, session=session), kiosk)
    line = f"{ZHANG.name} lives at {ZHANG.address}"
    assert redactor.text(line) == line  # nobody identified yet: nothing to mask beyond the patterns
    journey.act("start")
    journey.act("item", "HF-WITHDRAW-RETIRE")
    journey.act("begin")
    journey.card_read(ZHANG)
    masked = redactor.text(line)
    assert ZHANG.name not in masked and ZHANG.address not in masked
    session.end(EndReason.FINISHED)
    assert redactor.text(line) == line  # wiped with the session: the next citizen starts clean
    journey.act("start")
    journey.act("item", "HF-WITHDRAW-RETIRE")
    journey.act("begin")
    journey.card_read(LI_CODE)  # the next citizen is remembered in turn
    assert redactor.text(f"sms for {LI_CODE.name}") == "sms for 李**"
