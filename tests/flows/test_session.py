"""Idle countdown, extension, elder factor, and the wipe at the end of a session."""

from __future__ import annotations

from kiosk.clock import FakeClock
from kiosk.flows.steps import FlowState
from kiosk.session import EndReason, IdlePhase, Session, SessionSettings
from tests.support.fakes import (
    ZHANG,
    ManualRunner,
    make_journey,
)


def make(runner=None, **settings) -> tuple[Session, FakeClock]:
    clock = FakeClock()
    journey = make_journey(runner=runner)
    return Session(journey, clock, SessionSettings(**settings)), clock


def test_no_countdown_on_the_attract_screen() -> None:
    session, clock = make()
    clock.advance(1000)
    assert session.tick() is IdlePhase.OFF
    assert session.ended_count == 0


def test_warning_after_60_s_then_30_s_countdown_then_wipe() -> None:
    session, clock = make()
    session.journey.act("start")
    clock.advance(59)
    assert session.tick() is IdlePhase.ACTIVE
    clock.advance(1)
    assert session.tick() is IdlePhase.WARNING
    assert session.remaining() == 30
    clock.advance(20)
    assert session.remaining() == 10
    clock.advance(10)
    session.tick()
    assert session.ended_count == 1
    assert session.journey.state == FlowState()


def test_one_tap_extends_and_extending_works_many_times() -> None:
    session, clock = make()
    session.journey.act("start")
    for _ in range(12):
        clock.advance(75)
        assert session.tick() is IdlePhase.WARNING
        session.touch()
        assert session.tick() is IdlePhase.ACTIVE
    assert session.extensions == 12
    assert session.ended_count == 0


def test_elder_mode_doubles_the_idle_limit() -> None:
    session, clock = make()
    session.journey.act("start")
    session.set_elder_mode(True)
    clock.advance(100)
    assert session.tick() is IdlePhase.ACTIVE
    clock.advance(20)
    assert session.tick() is IdlePhase.WARNING


def test_no_countdown_while_the_kiosk_works() -> None:
    runner = ManualRunner()
    session, clock = make(runner)
    j = session.journey
    j.act("start")
    j.act("item", "SS-PENSION-CERT")
    j.act("begin")
    j.card_read(ZHANG)
    j.act("choose", "housing")
    j.act("confirm")
    clock.advance(500)
    assert session.tick() is IdlePhase.OFF
    runner.finish_all()
    assert j.state.step == "result"
    assert session.tick() is IdlePhase.ACTIVE


def test_wipe_resets_language_elder_mode_volume_and_notifies() -> None:
    session, _clock = make()
    reasons: list[EndReason] = []
    session.on_wipe(reasons.append)
    session.journey.act("start")
    session.set_language("en")
    session.set_elder_mode(True)
    session.set_volume(100)
    session.end(EndReason.FINISHED)
    assert (session.language, session.elder_mode, session.volume) == ("zh_CN", False, 70)
    assert reasons == [EndReason.FINISHED]


def test_done_screen_lingers_then_ends_the_session() -> None:
    session, clock = make(done_linger_s=10)
    j = session.journey
    j.act("start")
    j.act("finish")
    assert j.state.step == "done"
    clock.advance(5)
    session.tick()
    assert session.ended_count == 0
    clock.advance(5)
    session.tick()
    assert session.ended_count == 1 and j.state.step == "attract"


def test_card_removed_mid_application_ends_the_session() -> None:
    session, _clock = make()
    j = session.journey
    j.act("start")
    j.act("item", "HF-WITHDRAW-RETIRE")
    j.act("begin")
    j.card_read(ZHANG)
    session.card_removed()
    assert session.ended_count == 1
    assert j.state.identity is None


def test_card_removed_after_the_result_does_not_end_it() -> None:
    session, _clock = make()
    j = session.journey
    j.act("start")
    j.act("item", "HF-BALANCE")
    j.act("begin")
    j.card_read(ZHANG)
    session.card_removed()
    assert session.ended_count == 0
    assert j.state.step == "query_result"


def test_unsupported_language_is_refused() -> None:
    import pytest

    session, _ = make()
    with pytest.raises(ValueError):
        session.set_language("fr")
