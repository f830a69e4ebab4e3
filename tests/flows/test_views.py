"""What the screens show and say: results read aloud (A12), a steady step indicator (A19)."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.flows.model import Choice
from kiosk.flows.views import build_view
from kiosk.i18n import Strings
from kiosk.search import SearchIndex
from tests.support.fakes import LI_CODE, ZHANG

BANK = "6222020200112243445"
PHONE = "13900000000"


def view_of(rig, language: str = "zh_CN", page_size: int = 12) -> dict[str, Any]:
    j = rig.journey
    return build_view(
        j.state,
        j.catalog,
        SearchIndex(()),
        Strings(language),  # type: ignore[arg-type]
        online=True,
        can_back=j.can_go_back,
        page_size=page_size,
    )


def fill_withdrawal(rig) -> None:
    rig.act("start")
    rig.act("item", "HF-WITHDRAW-RETIRE")
    rig.act("begin")
    rig.journey.card_read(ZHANG)
    rig.type(BANK)
    rig.act("next")
    rig.type(PHONE)
    assert rig.act("next") == "review"


def test_review_reads_out_the_answers_masked_as_shown(rig) -> None:
    fill_withdrawal(rig)
    for language in ("zh_CN", "en"):
        view = view_of(rig, language)
        speech = view["speech"]
        for row in view["rows"]:
            assert row["label"] in speech and row["value"] in speech
        assert "411702********0018" in speech and "6222 **** 3445" in speech and "139****0000" in speech
        for secret in (ZHANG.id_number, ZHANG.name, BANK, PHONE):
            assert secret not in speech
    assert "证件号码：411702********0018" in view_of(rig)["speech"]
    assert "ID number: 411702********0018" in view_of(rig, "en")["speech"]


@pytest.mark.parametrize(
    ("language", "reason"), [("zh_CN", "缴存未满 12 个月"), ("en", "Less than 12 months of deposits")]
)
def test_a_rejection_reads_out_its_reasons_and_reference(rig, language, reason) -> None:
    rig.applications.outcome_kind = "rejected"
    fill_withdrawal(rig)
    assert rig.act("confirm") == "result"
    speech = view_of(rig, language)["speech"]
    # "The reasons are below" is followed by the reasons themselves, in the screen's language.
    assert reason in speech
    assert speech.index(reason) > speech.index(Strings(language).text("outcome.rejected.body"))
    assert rig.journey.state.outcome.application_id in speech
    assert ZHANG.id_number not in speech and BANK not in speech


def test_the_ticket_number_and_appointment_are_read_out(rig) -> None:
    rig.act("start")
    rig.act("item", "HALL-APPOINTMENT")
    rig.act("begin")
    rig.act("choose", "Z01")
    rig.act("choose", "2026-01-06")
    rig.act("choose", "09:00")
    rig.journey.card_read(ZHANG)
    speech = view_of(rig)["speech"]
    assert "预约号：A017" in speech
    assert "受理区：不动产登记" in speech and "时段：09:00–09:30" in speech
    assert "Ticket number: A017" in view_of(rig, "en")["speech"]


def test_query_balances_are_read_out(rig) -> None:
    rig.act("start")
    rig.act("item", "HF-BALANCE")
    rig.act("begin")
    rig.journey.card_read(ZHANG)
    assert "账户余额：52340.18 元" in view_of(rig)["speech"]
    assert "Balance: 52340.18 元" in view_of(rig, "en")["speech"]


def test_a_tracked_application_reads_out_its_certificate(rig) -> None:
    fill_withdrawal(rig)
    rig.act("confirm")
    application_id = rig.journey.state.outcome.application_id
    rig.journey.reset()
    rig.act("start")
    rig.act("track")
    rig.journey.code_scanned("tracking", application_id)
    assert rig.journey.state.step == "track_result"
    speech = view_of(rig)["speech"]
    assert "证照编号：ZMD-2026-000123" in speech and application_id in speech


def steps_through_cross_province_withdrawal(rig, identify) -> list[tuple[str, str]]:
    """(screen, step text) of every screen with a step, from the partner choice to the review."""
    seen = []

    def note() -> None:
        seen.append((rig.journey.state.step, view_of(rig)["stepText"]))

    rig.act("start")
    rig.act("item", "HF-WITHDRAW-XPROV")
    rig.act("begin")
    note()
    rig.act("partner", "yueyang")
    note()
    identify()
    while rig.journey.state.step == "form":
        note()
        draft = BANK if rig.journey.state.field_index == 0 else PHONE
        rig.type(draft)
        rig.act("next")
    note()
    return seen


def test_step_total_stays_the_same_when_the_city_app_supplies_the_phone(rig) -> None:
    seen = steps_through_cross_province_withdrawal(
        rig, lambda: rig.journey.code_scanned("identity", "valid-token-0123456789")
    )
    assert rig.journey.state.identity == LI_CODE  # the phone came with the identity: not asked
    assert seen == [
        ("partner", "第 1 步 / 共 5 步"),
        ("identify", "第 2 步 / 共 5 步"),
        ("form", "第 3 步 / 共 5 步"),
        ("review", "第 5 步 / 共 5 步"),  # the phone step was answered by the identity
    ]


def test_step_total_stays_the_same_with_the_id_card(rig) -> None:
    seen = steps_through_cross_province_withdrawal(rig, lambda: rig.journey.card_read(ZHANG))
    assert seen == [
        ("partner", "第 1 步 / 共 5 步"),
        ("identify", "第 2 步 / 共 5 步"),
        ("form", "第 3 步 / 共 5 步"),
        ("form", "第 4 步 / 共 5 步"),
        ("review", "第 5 步 / 共 5 步"),
    ]


def test_long_appointment_lists_keep_the_step_beside_the_page(rig) -> None:
    days = [Choice(f"2026-01-{d:02d}", f"1月{d}日", f"{d} Jan") for d in range(5, 11)]
    rig.services.days = lambda zone: days  # type: ignore[method-assign]
    rig.act("start")
    rig.act("item", "HALL-APPOINTMENT")
    rig.act("begin")
    assert rig.act("choose", "Z01") == "day"
    view = view_of(rig, page_size=4)  # elder mode's page of four big buttons
    assert view["stepText"] == "第 2 步 / 共 4 步" and view["pageText"] == "第 1 页 / 共 2 页"
    assert view["speech"].startswith("第 2 步 / 共 4 步。第 1 页 / 共 2 页。")
    rig.act("page", "next")
    view = view_of(rig, "en", page_size=4)
    assert view["stepText"] == "Step 2 of 4" and view["pageText"] == "Page 2 of 2"
    assert view["speech"].startswith("Step 2 of 4. Page 2 of 2. ")
    assert view_of(rig, page_size=12)["pageText"] == ""  # one page: no page indicator
