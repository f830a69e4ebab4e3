"""Query, appointment, tracking, browsing and search flows."""

from __future__ import annotations

from tests.support.fakes import ZHANG


def test_provident_fund_query(rig) -> None:
    rig.act("start")
    rig.act("item", "HF-BALANCE")
    assert rig.act("begin") == "identify"
    rig.journey.card_read(ZHANG)
    state = rig.journey.state
    assert state.step == "query_result"
    assert state.query_result is not None and state.query_result.rows[0].value == "52340.18 元"
    assert rig.act("print") == "done"
    assert rig.printer.printed[0][0].title == "公积金账户"


def test_query_offline_ends_on_a_clear_error(rig) -> None:
    rig.services.online = False
    rig.act("start")
    rig.act("item", "HF-BALANCE")
    rig.act("begin")
    rig.journey.card_read(ZHANG)
    assert rig.journey.state.step == "error"
    assert rig.journey.state.error_key == "error.offline"


def test_appointment_zone_day_slot_ticket(rig) -> None:
    rig.act("start")
    rig.act("item", "HALL-APPOINTMENT")
    assert rig.act("begin") == "zone"
    assert [c.code for c in rig.journey.state.choices] == ["Z01", "Z02"]
    assert rig.act("choose", "Z01") == "day"
    rig.act("choose", "2026-01-07")  # full: not accepted
    assert rig.journey.state.step == "day"
    assert rig.act("choose", "2026-01-06") == "slot"
    assert rig.act("back") == "day"
    assert rig.act("choose", "2026-01-06") == "slot"
    assert rig.act("choose", "09:00") == "identify"
    rig.journey.card_read(ZHANG)
    state = rig.journey.state
    assert state.step == "ticket" and state.ticket.number == "A017"
    assert len(rig.services.booked) == 1
    rig.act("print")
    assert rig.printer.printed[0][1] == f"ticket:{state.ticket.booking_id}"


def test_appointment_offline_says_so_on_the_zone_screen(rig) -> None:
    rig.services.online = False
    rig.act("start")
    rig.act("item", "HALL-APPOINTMENT")
    rig.act("begin")
    assert rig.journey.state.step == "zone"
    assert rig.journey.state.notice_key == "error.offline"
    assert rig.journey.state.choices == ()


def test_tracking_a_receipt(rig) -> None:
    rig.act("start")
    rig.act("item", "SS-PENSION-CERT")
    rig.act("begin")
    rig.journey.card_read(ZHANG)
    rig.act("choose", "housing")
    rig.act("confirm")
    application_id = rig.journey.state.outcome.application_id
    rig.journey.reset()
    rig.act("start")
    assert rig.act("track") == "track_scan"
    rig.journey.code_scanned("identity", "valid-token-0123456789")
    assert rig.journey.state.notice_key == "notice.wrong_code"
    rig.journey.code_scanned("tracking", application_id)
    state = rig.journey.state
    assert state.step == "track_result" and state.outcome.application_id == application_id


def test_tracking_an_unknown_application(rig) -> None:
    rig.act("start")
    rig.act("track")
    rig.journey.code_scanned("tracking", "0190a0b0-0000-7000-8000-999999999999")
    assert rig.journey.state.step == "error"
    assert rig.journey.state.error_key == "error.not_found"


def test_browse_by_group_and_search(rig) -> None:
    rig.act("start")
    assert rig.act("group", "housing_fund") == "group"
    assert rig.act("back") == "home"
    rig.act("group", "no-such-group")
    assert rig.journey.state.step == "home"
    assert rig.act("search") == "search"
    rig.act("type", "gjj")
    assert rig.journey.state.query == "gjj"
    assert rig.act("item", "HF-BALANCE") == "item"
    assert rig.act("back") == "search"
    assert rig.journey.state.query == "gjj"


def test_home_clears_the_flow(rig) -> None:
    rig.act("start")
    rig.act("item", "HF-WITHDRAW-RETIRE")
    rig.act("begin")
    rig.journey.card_read(ZHANG)
    assert rig.act("home") == "home"
    assert rig.journey.state.identity is None
    assert not rig.journey.can_go_back
