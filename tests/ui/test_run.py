"""The running kiosk tells the rest of the core when citizens come and go."""

from __future__ import annotations

from types import SimpleNamespace

from kiosk.catalog import builtin_catalog
from kiosk.clock import FakeClock
from kiosk.events import EventBus, SessionDidEnd, SessionDidStart
from kiosk.flows.journey import Journey
from kiosk.session import EndReason, Session, SessionSettings
from tests.support.fakes import FakeApplications, FakePrinter, FakeServices, SyncRunner, receipt_context
from ui.run import _publish_session_events


def test_session_start_and_end_are_published_once_each() -> None:
    journey = Journey(
        builtin_catalog(),
        applications=FakeApplications(),
        services=FakeServices(),
        printer=FakePrinter(),
        runner=SyncRunner(),
        receipt_context=receipt_context,
    )
    session = Session(journey, FakeClock(), SessionSettings())
    bus = EventBus()
    seen: list[object] = []
    bus.subscribe(SessionDidStart, seen.append)
    bus.subscribe(SessionDidEnd, seen.append)
    _publish_session_events(SimpleNamespace(journey=journey, session=session), SimpleNamespace(events=bus))
    journey.act("start")
    journey.act("item", "HF-BALANCE")
    journey.act("back")
    session.end(EndReason.TIMEOUT)
    assert seen == [SessionDidStart(), SessionDidEnd("timeout")]
