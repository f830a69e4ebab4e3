"""When something goes wrong mid-flow: no paper, a full slot, a lost answer, a refused application,
stale results and double taps. The citizen keeps what they have, and every screen says what is true."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kiosk.flows.journey import Journey
from kiosk.flows.model import Choice, Outcome, Ticket
from kiosk.flows.ports import FlowFailure, ServiceUnavailable
from kiosk.flows.steps import FlowState
from kiosk.flows.views import build_view
from kiosk.i18n import Language, Strings
from kiosk.identity import Identity
from kiosk.receipts import receipt_for
from kiosk.search import SearchIndex
from tests.support.fakes import (
    ZHANG,
    FakeApplications,
    FakePrinter,
    FakeServices,
    ManualRunner,
    SyncRunner,
    make_journey,
    receipt_context,
)


def make(
    services: FakeServices | None = None,
    applications: FakeApplications | None = None,
    printer: FakePrinter | None = None,
    runner: SyncRunner | ManualRunner | None = None,
) -> Journey:
    return make_journey(services=services, applications=applications, printer=printer, runner=runner)


def view(journey: Journey, language: Language = "zh_CN") -> dict:
    return build_view(
        journey.state,
        journey.catalog,
        SearchIndex(()),
        Strings(language),
        online=True,
        can_back=journey.can_go_back,
    )


def buttons(shown: dict) -> list[tuple[str, str]]:
    return [(b["action"], b["label"]) for b in shown["actions"]]


def confirm_pension_certificate(journey: Journey) -> None:
    """Apply for the pension certificate with the ID card, up to and including the confirmation."""
    journey.act("start")
    journey.act("item", "SS-PENSION-CERT")
    journey.act("begin")
    journey.card_read(ZHANG)
    journey.act("choose", "housing")
    journey.act("confirm")


def book_appointment(journey: Journey, slot: str = "09:00") -> None:
    journey.act("start")
    journey.act("item", "HALL-APPOINTMENT")
    journey.act("begin")
    journey.act("choose", "Z01")
    journey.act("choose", "2026-01-06")
    journey.act("choose", slot)
    assert journey.state.step == "identify"
    journey.card_read(ZHANG)


# -- no paper --------------------------------------------------------------------------------------


def test_no_paper_keeps_the_ticket_and_its_number_on_screen(rig) -> None:
    book_appointment(rig.journey)
    assert rig.journey.state.step == "ticket"
    rig.printer.paper_state = "out"
    assert rig.act("print") == "ticket"
    shown = view(rig.journey)
    assert shown["big"] == "A017"
    assert shown["notice"] == "打印机缺纸，无法打印。请记下屏幕上的信息，或呼叫工作人员"
    assert shown["notice"] in shown["speech"]
    assert "二维码" not in shown["speech"]  # there is no code to scan
    assert ("print", "打印凭条") in buttons(shown) and ("finish", "办理完成") in buttons(shown)
    assert rig.printer.printed == []
    rig.printer.paper_state = "ok"  # staff put paper in: the same ticket prints
    assert rig.act("print") == "done"
    assert rig.printer.printed[0][0].title == "预约凭条"


def test_no_paper_keeps_the_balance_on_screen(rig) -> None:
    rig.act("start")
    rig.act("item", "HF-BALANCE")
    rig.act("begin")
    rig.journey.card_read(ZHANG)
    rig.printer.paper_state = "out"
    assert rig.act("print") == "query_result"
    shown = view(rig.journey, "en")
    assert {"label": "Balance", "value": "52340.18 元"} in shown["rows"]
    assert shown["notice"].startswith("The printer is out of paper")
    assert "Scan the code" not in shown["speech"]


def test_paper_running_out_while_printing_a_ticket_returns_to_the_ticket(rig) -> None:
    book_appointment(rig.journey)
    rig.printer.jam = True
    assert rig.act("print") == "ticket"
    assert rig.journey.state.ticket is not None and rig.journey.state.ticket.number == "A017"
    assert rig.journey.state.notice_key == "notice.no_paper_note"


# -- a full slot, a lost answer, an honest error screen ----------------------------------------------


@dataclass
class BusyHall(FakeServices):
    """Someone else takes 09:00 between the list and the booking."""

    taken: set[str] = field(default_factory=set)
    attempts: list[tuple[str, str]] = field(default_factory=list)

    def slots(self, zone: str, day: str) -> list[Choice]:
        return [
            Choice(code, f"{code} 起", f"from {code}", code not in self.taken) for code in ("09:00", "10:00")
        ]

    def book(self, booking_id: str, zone: Choice, day: Choice, slot: Choice, identity: Identity) -> Ticket:
        self.attempts.append((booking_id, slot.code))
        if slot.code == "09:00":
            self.taken.add("09:00")
            raise FlowFailure("error.slot_full", "appointment booking: 409")
        return super().book(booking_id, zone, day, slot, identity)


def test_a_slot_filled_meanwhile_returns_to_the_refreshed_times_with_everything_kept() -> None:
    hall = BusyHall()
    journey = make(services=hall)
    book_appointment(journey, "09:00")
    state = journey.state
    assert state.step == "slot"
    assert state.zone.code == "Z01" and state.day.code == "2026-01-06" and state.identity == ZHANG
    assert state.slot is None
    assert [(c.code, c.available) for c in state.choices] == [("09:00", False), ("10:00", True)]
    shown = view(journey)
    assert shown["notice"] == "您选的时段刚刚约满了，请另选一个时段"
    assert shown["notice"] in shown["speech"]
    assert [(o["code"], o["badge"]) for o in shown["options"]] == [("09:00", "已约满"), ("10:00", "")]
    journey.act("choose", "10:00")
    assert journey.state.step == "ticket"  # identified already: no second card read
    assert journey.state.ticket.slot.code == "10:00"
    first, second = hall.attempts
    assert first[0] != second[0]  # another slot is another booking: its own Idempotency-Key


@dataclass
class LostAnswer(FakeServices):
    """The first booking goes through but its answer is lost (a timeout); the service keeps tickets by
    booking id, as the central service does for a repeated Idempotency-Key."""

    attempts: list[str] = field(default_factory=list)
    tickets: dict[str, Ticket] = field(default_factory=dict)

    def book(self, booking_id: str, zone: Choice, day: Choice, slot: Choice, identity: Identity) -> Ticket:
        self.attempts.append(booking_id)
        if booking_id not in self.tickets:
            self.tickets[booking_id] = Ticket(booking_id, f"A{17 + len(self.tickets):03d}", zone, day, slot)
            if len(self.attempts) == 1:
                raise ServiceUnavailable("read timed out")
        return self.tickets[booking_id]


def test_try_again_after_a_lost_booking_answer_books_once_and_keeps_everything() -> None:
    lost = LostAnswer()
    journey = make(services=lost)
    book_appointment(journey)
    assert journey.state.step == "error"
    shown = view(journey)
    assert shown["subtitle"] == "网络暂时中断，此项服务需要联网。请稍后再试，或呼叫工作人员"
    assert buttons(shown) == [("retry", "重试"), ("home", "回到首页")]
    journey.act("retry")
    assert journey.state.step == "ticket" and journey.state.ticket.number == "A017"
    assert len(lost.tickets) == 1 and lost.attempts == [lost.attempts[0]] * 2


def test_try_again_repeats_a_failed_query_without_reading_the_card_again(rig) -> None:
    rig.services.online = False
    rig.act("start")
    rig.act("item", "HF-BALANCE")
    rig.act("begin")
    rig.journey.card_read(ZHANG)
    assert rig.journey.state.step == "error"
    rig.services.online = True
    assert rig.act("retry") == "query_result"
    assert rig.journey.state.query_result.rows[0].value == "52340.18 元"


def test_try_again_after_an_unknown_tracking_code_asks_for_the_code_again(rig) -> None:
    rig.act("start")
    rig.act("track")
    rig.journey.code_scanned("tracking", "0190a0b0-0000-7000-8000-999999999999")
    assert rig.act("retry") == "track_scan"
    assert rig.act("back") == "home"  # one track screen to go back from, not two


class BrokenApplications(FakeApplications):
    """Fails in a way nobody planned for: whether the application was saved is unknown."""

    def save_and_submit(
        self, item_code: str, applicant: Mapping[str, str], form: Mapping[str, str], partner_city: str | None
    ) -> Outcome:
        raise RuntimeError("driver bug")


def test_an_error_without_a_safe_retry_does_not_promise_one() -> None:
    journey = make(applications=BrokenApplications())
    confirm_pension_certificate(journey)
    assert journey.state.step == "error"
    for language, home in (("zh_CN", "回到首页"), ("en", "Back to start")):
        shown = view(journey, language)
        assert buttons(shown) == [("home", home)]  # the button says it starts over, and it does
        assert "没有丢失" not in shown["speech"] and "nothing you entered was lost" not in shown["speech"]
        assert "工作人员" in shown["subtitle"] or "staff" in shown["subtitle"]
    journey.act("home")
    assert journey.state == FlowState(step="home")


def test_a_second_tap_on_try_again_does_not_wipe_the_running_query() -> None:
    runner = ManualRunner()
    services = FakeServices(online=False)
    journey = make(services=services, runner=runner)
    journey.act("start")
    journey.act("item", "HF-BALANCE")
    journey.act("begin")
    journey.card_read(ZHANG)
    runner.finish_all()
    assert journey.state.step == "error"
    services.online = True
    journey.act("retry")
    journey.act("retry")
    assert journey.state.step == "querying" and journey.state.identity == ZHANG
    runner.finish_all()
    assert journey.state.step == "query_result"


# -- a refused application ---------------------------------------------------------------------------


def test_a_refused_application_says_so_and_asks_for_staff(rig) -> None:
    rig.applications.outcome_kind = "needs_staff"
    confirm_pension_certificate(rig.journey)
    assert rig.journey.state.step == "result"
    application_id = rig.journey.state.outcome.application_id
    zh, en = view(rig.journey, "zh_CN"), view(rig.journey, "en")
    assert zh["title"] == "申请未被受理" and en["title"] == "Application not accepted"
    for shown, staff in ((zh, "呼叫工作人员"), (en, "call staff")):
        assert staff in shown["subtitle"] and shown["subtitle"] in shown["speech"]
        assert shown["rows"][-1]["value"] == application_id
    assert "联网后自动提交" not in zh["speech"] and "sent automatically; the result" not in en["speech"]
    receipt = receipt_for(rig.journey.state, rig.journey.item, receipt_context(), rig.journey.catalog)
    assert "未被受理，请向工作人员出示本凭条" in receipt.footer
    assert ("受理编号", application_id) in receipt.rows


def test_an_offline_application_keeps_the_saved_and_sent_later_text(rig) -> None:
    rig.applications.online = False
    confirm_pension_certificate(rig.journey)
    assert view(rig.journey)["title"] == "申请已保存"


# -- stale results and double taps ---------------------------------------------------------------------


class DaysPerZone(FakeServices):
    """Each zone has its own day, so a list shows whose it is."""

    def days(self, zone: str) -> list[Choice]:
        self._check()
        return [Choice(f"2026-01-0{zone[-1]}", f"{zone} 的日期", f"{zone} day")]


def held_journey(
    services: FakeServices, applications: FakeApplications | None = None
) -> tuple[Journey, ManualRunner]:
    runner = ManualRunner()
    return make(services=services, applications=applications, runner=runner), runner


def test_the_days_of_a_zone_left_behind_are_not_shown_under_the_next_zone() -> None:
    journey, runner = held_journey(DaysPerZone())
    journey.act("start")
    journey.act("item", "HALL-APPOINTMENT")
    journey.act("begin")
    runner.finish_all()
    journey.act("choose", "Z01")
    journey.act("back")
    journey.act("choose", "Z02")
    assert len(runner.pending) == 2
    SyncRunner().run(*runner.pending.pop(0))  # Z01's days arrive while Z02's day screen shows
    assert journey.state.zone.code == "Z02" and journey.state.choices == ()  # still loading Z02's
    assert view(journey)["loading"]
    runner.finish_all()
    assert [c.code for c in journey.state.choices] == ["2026-01-02"]


def test_a_failure_for_a_zone_left_behind_is_not_shown_under_the_next_zone() -> None:
    services = DaysPerZone()
    journey, runner = held_journey(services)
    journey.act("start")
    journey.act("item", "HALL-APPOINTMENT")
    journey.act("begin")
    runner.finish_all()
    journey.act("choose", "Z01")
    journey.act("back")
    journey.act("choose", "Z02")
    services.online = False
    SyncRunner().run(*runner.pending.pop(0))  # Z01's days fail after the citizen moved to Z02
    assert journey.state.step == "day" and journey.state.zone.code == "Z02"
    assert journey.state.notice_key == ""  # Z02's own list is still on its way


def test_a_double_tap_on_ask_for_review_sends_one_request() -> None:
    applications = FakeApplications(outcome_kind="rejected")
    journey, runner = held_journey(FakeServices(), applications)
    confirm_pension_certificate(journey)
    runner.finish_all()
    journey.act("review", "explain")
    shown = view(journey)
    assert "review" not in [action for action, _ in buttons(shown)]  # on its way: no second button
    journey.act("review", "explain")
    runner.finish_all()
    assert len(applications.reviews) == 1
    assert journey.state.review_requested and journey.state.notice_key == "notice.review_sent"


def test_a_review_request_that_failed_can_be_made_again() -> None:
    applications = FakeApplications(outcome_kind="rejected")
    journey, runner = held_journey(FakeServices(), applications)
    confirm_pension_certificate(journey)
    runner.finish_all()
    applications.online = False
    journey.act("review", "explain")
    runner.finish_all()
    assert journey.state.step == "result" and journey.state.notice_key == "error.offline"
    assert "review" in [action for action, _ in buttons(view(journey))]
    applications.online = True
    journey.act("review", "explain")
    runner.finish_all()
    assert len(applications.reviews) == 1 and journey.state.review_requested
