"""The application flow: item → identify → questions → review → submit → result → receipt."""

from __future__ import annotations

from kiosk.catalog import builtin_catalog
from kiosk.flows.steps import STEPS, FlowState, next_step
from kiosk.flows.views import build_view
from kiosk.i18n import Strings
from kiosk.search import SearchIndex
from tests.support.fakes import (
    ZHANG,
    FakeApplications,
    ManualRunner,
    make_journey,
)

BANK = "6222020200112243445"  # passes the Luhn check


def fill_retirement_withdrawal(rig) -> None:
    rig.act("start")
    rig.act("item", "HF-WITHDRAW-RETIRE")
    assert rig.act("begin") == "identify"
    rig.journey.card_read(ZHANG)
    assert rig.journey.state.step == "form"
    rig.type(BANK)
    assert rig.act("next") == "form"
    rig.type("13800000000")
    assert rig.act("next") == "review"


def test_every_step_in_the_table_leads_to_a_step_in_the_table() -> None:
    catalog = builtin_catalog()
    for name, step in STEPS.items():
        for item in (None, *catalog.items):
            target = step.next(FlowState(step=name, item_code=item.code if item else ""), item)
            assert target in STEPS, (name, target)


def test_item_kind_decides_the_flow() -> None:
    catalog = builtin_catalog()
    state = FlowState(step="item")
    assert next_step(state, catalog.item("HF-WITHDRAW-RETIRE")) == "identify"
    assert next_step(state, catalog.item("HF-WITHDRAW-XPROV")) == "partner"
    assert next_step(state, catalog.item("HALL-APPOINTMENT")) == "zone"
    assert next_step(FlowState(step="identify"), catalog.item("HF-BALANCE")) == "querying"


def test_approved_application_is_saved_submitted_and_printed(rig) -> None:
    fill_retirement_withdrawal(rig)
    assert rig.act("confirm") == "result"
    state = rig.journey.state
    assert state.outcome is not None and state.outcome.kind == "approved"
    saved = rig.applications.saved[0]
    assert saved["item"] == "HF-WITHDRAW-RETIRE"
    assert saved["form"] == {
        "applicant_name": ZHANG.name,
        "id_number": ZHANG.id_number,
        "bank_card_number": BANK,
        "phone": "13800000000",
    }
    assert saved["applicant"] == {
        "name": ZHANG.name,
        "id_number": ZHANG.id_number,
        "source": "idcard",
        "phone": "13800000000",
    }
    assert saved["applicant"]["id_number"] == ZHANG.id_number
    assert rig.act("print") == "done"
    document, job_key = rig.printer.printed[0]
    assert job_key == f"receipt:{state.outcome.application_id}"
    assert document.qr == f"cityapp:track:v1:{state.outcome.application_id}"
    text = repr(document)
    assert ZHANG.id_number not in text and ZHANG.name not in text
    assert "411702********0018" in text


def test_flow_state_repr_leaves_out_the_answers(rig) -> None:
    fill_retirement_withdrawal(rig)
    rig.act("back")  # the phone number is the draft again
    state = rig.journey.state
    assert state.answer("bank_card_number") == BANK and state.draft == "13800000000"
    text = repr(state) + str(state)
    for value in (BANK, "13800000000", ZHANG.name, ZHANG.id_number):
        assert value not in text
    assert "step='form'" in text


def test_answers_are_checked_before_moving_on(rig) -> None:
    rig.act("start")
    rig.act("item", "HF-WITHDRAW-RETIRE")
    rig.act("begin")
    rig.journey.card_read(ZHANG)
    assert rig.act("next") == "form"
    assert rig.journey.state.field_error == "error.field.required"
    rig.type(BANK)
    rig.act("next")
    rig.type("2380000000")
    rig.act("next")
    assert rig.journey.state.field_error == "error.field.phone"
    assert rig.journey.state.step == "form" and rig.journey.state.field_index == 1
    rig.act("key", "5")
    assert rig.journey.state.field_error == ""


def test_a_mistyped_bank_card_number_is_stopped_with_its_own_message(rig) -> None:
    rig.act("start")
    rig.act("item", "HF-WITHDRAW-RETIRE")
    rig.act("begin")
    rig.journey.card_read(ZHANG)
    rig.type("6")
    assert rig.act("next") == "form" and rig.journey.state.field_error == "error.field.length"
    rig.act("clear")
    rig.type("6222020200112243446")  # one digit wrong: the check digit does not match
    assert rig.act("next") == "form" and rig.journey.state.field_index == 0
    assert rig.journey.state.field_error == "error.field.bank_card"
    j = rig.journey
    view = build_view(j.state, j.catalog, SearchIndex(()), Strings("zh_CN"), online=True, can_back=True)
    assert view["error"] == "银行卡号有误，请对照卡面逐位核对" and view["error"] in view["speech"]


def test_back_returns_to_the_previous_question_with_its_answer(rig) -> None:
    fill_retirement_withdrawal(rig)
    assert rig.act("back") == "form"
    assert rig.journey.state.field_index == 1
    assert rig.journey.state.draft == "13800000000"
    assert rig.act("back") == "form"
    assert rig.journey.state.field_index == 0
    assert rig.journey.state.draft == BANK
    assert rig.act("back") == "identify"


def test_no_back_after_submitting(rig) -> None:
    fill_retirement_withdrawal(rig)
    rig.act("confirm")
    assert not rig.journey.can_go_back
    assert rig.act("back") == "result"


def test_offline_application_is_queued_with_a_receipt(rig) -> None:
    rig.applications.online = False
    fill_retirement_withdrawal(rig)
    assert rig.act("confirm") == "result"
    assert rig.journey.state.outcome.kind == "queued"
    assert len(rig.applications.saved) == 1
    rig.act("print")
    assert rig.printer.printed


def test_save_failure_shows_an_error_and_saves_nothing(rig) -> None:
    rig.applications.fail_save = True
    fill_retirement_withdrawal(rig)
    assert rig.act("confirm") == "error"
    assert rig.journey.state.error_key == "error.save"
    assert rig.applications.saved == []


def test_rejected_application_offers_human_review_once(rig) -> None:
    rig.applications.outcome_kind = "rejected"
    fill_retirement_withdrawal(rig)
    rig.act("confirm")
    state = rig.journey.state
    assert state.outcome.kind == "rejected" and state.outcome.reasons
    rig.act("review", "explain")
    rig.act("review", "explain")
    assert rig.applications.reviews == [(state.outcome.application_id, "explain")]
    assert rig.journey.state.review_requested
    assert rig.journey.state.notice_key == "notice.review_sent"


def test_review_request_offline_says_so_and_stays(rig) -> None:
    rig.applications.outcome_kind = "rejected"
    fill_retirement_withdrawal(rig)
    rig.act("confirm")
    rig.applications.online = False
    rig.act("review", "explain")
    assert rig.journey.state.step == "result"
    assert rig.journey.state.notice_key == "error.offline"


def test_cross_province_item_asks_for_the_partner_city(rig) -> None:
    rig.act("start")
    rig.act("item", "HF-WITHDRAW-XPROV")
    assert rig.act("begin") == "partner"
    rig.act("partner", "nowhere")
    assert rig.journey.state.step == "partner"
    assert rig.act("partner", "qianjiang") == "identify"
    rig.journey.card_read(ZHANG)
    rig.type(BANK)
    rig.act("next")
    rig.type("13800000000")
    rig.act("next")
    rig.act("confirm")
    outcome = rig.journey.state.outcome
    assert outcome.kind == "forwarded" and outcome.partner_city == "qianjiang"
    assert rig.applications.saved[0]["partner"] == "qianjiang"


def test_choice_question_moves_on_with_one_tap(rig) -> None:
    rig.act("start")
    rig.act("item", "SS-PENSION-CERT")
    rig.act("begin")
    rig.journey.card_read(ZHANG)
    rig.act("choose", "bogus")
    assert rig.journey.state.field_error == "error.field.choice"
    assert rig.act("choose", "school") == "review"
    assert rig.journey.state.answer("purpose") == "school"


def test_identity_code_identifies_and_prefills_the_phone(rig) -> None:
    rig.act("start")
    rig.act("item", "HF-WITHDRAW-RETIRE")
    rig.act("begin")
    rig.journey.code_scanned("identity", "valid-token-0123456789")
    state = rig.journey.state
    assert state.identity is not None and state.identity.source == "code"
    rig.type(BANK)
    assert rig.act("next") == "review"  # the city app knows the phone: not asked
    rig.act("confirm")
    saved = rig.applications.saved[0]
    assert saved["applicant"]["phone"] == "13800000000" and saved["form"]["phone"] == "13800000000"


def test_wrong_identity_code_keeps_the_identify_screen(rig) -> None:
    rig.act("start")
    rig.act("item", "HF-WITHDRAW-RETIRE")
    rig.act("begin")
    rig.journey.code_scanned("identity", "not-a-citizen-token")
    assert rig.journey.state.step == "identify"
    assert rig.journey.state.notice_key == "notice.wrong_code"
    rig.journey.code_scanned("url", "https://example.org/")
    assert rig.journey.state.notice_key == "notice.wrong_code"


def test_identity_code_offline_is_explained(rig) -> None:
    rig.services.online = False
    rig.act("start")
    rig.act("item", "HF-WITHDRAW-RETIRE")
    rig.act("begin")
    rig.journey.code_scanned("identity", "valid-token-0123456789")
    assert rig.journey.state.step == "identify"
    assert rig.journey.state.notice_key == "error.offline"


def test_submitting_screen_shows_until_the_decision_arrives() -> None:
    runner = ManualRunner()
    applications = FakeApplications()
    journey = make_journey(applications=applications, runner=runner)
    journey.act("start")
    journey.act("item", "SS-PENSION-CERT")
    journey.act("begin")
    journey.card_read(ZHANG)
    journey.act("choose", "housing")
    journey.act("confirm")
    assert journey.state.step == "submitting" and journey.is_working
    runner.finish_all()
    assert journey.state.step == "result"


def test_a_result_arriving_after_the_wipe_is_dropped() -> None:
    runner = ManualRunner()
    journey = make_journey(runner=runner)
    journey.act("start")
    journey.act("item", "SS-PENSION-CERT")
    journey.act("begin")
    journey.card_read(ZHANG)
    journey.act("choose", "housing")
    journey.act("confirm")
    journey.reset()
    runner.finish_all()
    assert journey.state == FlowState()


def test_no_paper_shows_the_receipt_code_on_screen(rig) -> None:
    rig.printer.paper_state = "out"
    fill_retirement_withdrawal(rig)
    rig.act("confirm")
    assert rig.act("print") == "receipt_qr"
    state = rig.journey.state
    assert state.receipt_qr == f"cityapp:track:v1:{state.outcome.application_id}"
    assert rig.printer.printed == []


def test_paper_running_out_while_printing_shows_the_code(rig) -> None:
    rig.printer.jam = True
    fill_retirement_withdrawal(rig)
    rig.act("confirm")
    assert rig.act("print") == "receipt_qr"


def test_unknown_action_is_a_typed_error(rig) -> None:
    import pytest

    from kiosk.flows.journey import UnknownAction

    with pytest.raises(UnknownAction):
        rig.act("format-disk")


def test_card_read_outside_identify_is_ignored(rig) -> None:
    rig.act("start")
    rig.journey.card_read(ZHANG)
    assert rig.journey.state.identity is None


def test_a_cross_province_item_can_be_handled_here(rig) -> None:
    rig.act("start")
    rig.act("item", "HF-WITHDRAW-XPROV")
    rig.act("begin")
    assert rig.act("partner", "local") == "identify"
    assert rig.journey.state.partner_city == ""


def test_a_free_text_answer_from_the_pinyin_keyboard(rig) -> None:
    rig.act("start")
    rig.act("item", "CN-HOIST-DEREG")
    rig.act("begin")
    rig.journey.card_read(ZHANG)
    rig.act("set", "豫Q-T2019-0031\x1b")
    assert rig.journey.state.draft == "豫Q-T2019-0031"  # control characters dropped
    assert rig.act("next") == "form"
    assert rig.journey.state.answer("equipment_record_number") == "豫Q-T2019-0031"
    rig.act("set", "ignored on a choice question")
    assert rig.journey.state.draft == ""
