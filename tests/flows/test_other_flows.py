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


def test_a_new_catalogue_waits_for_the_next_citizen(rig) -> None:
    from kiosk.catalog import Catalog

    fresh = Catalog(items=(rig.journey.catalog.item("HF-BALANCE"),), version="2")
    rig.act("start")
    rig.act("item", "HF-WITHDRAW-RETIRE")
    rig.journey.set_catalog(fresh)
    assert rig.journey.item is not None and rig.journey.item.code == "HF-WITHDRAW-RETIRE"
    rig.journey.reset()
    assert rig.journey.catalog.version == "2"
    rig.journey.set_catalog(Catalog(items=(), version="3"))
    assert rig.journey.catalog.version == "3"  # on the attract screen: at once


def test_long_lists_are_paged_and_all_departments_are_reachable(rig) -> None:
    from kiosk.catalog import Catalog, Group, ServiceItem
    from kiosk.flows.views import build_view
    from kiosk.i18n import Strings
    from kiosk.search import SearchIndex

    departments = tuple(Group(f"D{n}", f"部门{n}", f"Department {n}") for n in range(12))
    items = tuple(ServiceItem(f"I{n}", f"事项{n}", f"Item {n}", "D0") for n in range(20))
    rig.journey.set_catalog(Catalog(items, departments))
    s = Strings("zh_CN")

    def view():
        j = rig.journey
        return build_view(
            j.state, j.catalog, SearchIndex(()), s, online=True, can_back=j.can_go_back, page_size=8
        )

    rig.act("start")
    home = view()
    assert len(home["departments"]) == 6 and home["departments"][-1]["code"] == "*"
    assert rig.act("group", "*") == "groups"
    assert len(view()["options"]) == 8 and view()["pageText"] == "第 1 页 / 共 2 页"
    assert rig.act("group", "D0") == "group"
    assert [o["code"] for o in view()["options"]][:2] == ["I0", "I1"]
    rig.act("page", "next")
    rig.act("page", "next")
    rig.act("page", "next")  # beyond the end: stays on the last page
    assert view()["pageText"] == "第 3 页 / 共 3 页"
    assert [o["code"] for o in view()["options"]] == ["I16", "I17", "I18", "I19"]
    assert rig.act("item", "I17") == "item"
    assert rig.act("back") == "group"
    assert view()["options"][0]["code"] == "I16"  # back to the same page
    assert rig.act("back") == "groups"
