"""The real Qt Quick screens, offscreen: taps, every flow, accessibility, idle and wipe."""

from __future__ import annotations

import json

import pytest
from PySide6.QtGui import QAccessible

from kiosk.identity import Identity
from tests.support.fakes import FakeCard
from tests.ui.helpers import all_texts, find, pump, tap, visible_items, wait_for

pytestmark = pytest.mark.ui

CARD = FakeCard(name="王小明", id_number="110101199001010015", address="北京市东城区示例路1号")
BANK = "6222020200112243445"  # passes the Luhn check
PHONE = "13812345678"


def screen(kiosk) -> str:
    return kiosk.ui.adapter.view["screen"]


def go_to_review(kiosk) -> None:
    a = kiosk.ui.adapter
    a.act("start", "")
    a.act("item", "HF-WITHDRAW-RETIRE")
    a.act("begin", "")
    kiosk.ui.journey.card_read(Identity.from_card(CARD))
    for ch in BANK:
        a.act("key", ch)
    a.act("next", "")
    for ch in PHONE:
        a.act("key", ch)
    a.act("next", "")
    pump()
    assert screen(kiosk) == "review"


def test_a_real_tap_on_the_attract_screen_starts(kiosk) -> None:
    pump(0.2)
    assert screen(kiosk) == "attract"
    tap(kiosk.ui.window, "startButton")
    assert wait_for(lambda: screen(kiosk) == "home")
    tap(kiosk.ui.window, "elderButton")
    assert kiosk.ui.session.elder_mode and kiosk.ui.theme.t["bodySize"] >= 34
    tap(kiosk.ui.window, "languageButton")
    assert kiosk.ui.session.language == "en"
    assert "Call staff" in " ".join(all_texts(kiosk.ui.window))


def test_every_flow_through_the_screens(kiosk, tmp_path) -> None:
    from ui.tour import Tour
    from ui.tour_scripts import scripts_for

    tour = Tour(kiosk.ui, tmp_path, None)
    tour.extras["skip_clock"] = kiosk.clock.advance
    tour.run((("zh_CN", False), ("en", True)), scripts_for(None))
    names = {p.stem.split("-", 3)[-1] for p in tour.shots}
    assert "failed" not in names
    for expected in (
        "attract",
        "home",
        "search",
        "group",
        "section",  # elder mode (the tour's English run): a big section's list
        "item",
        "identify",
        "form-empty-error",
        "form-digits",
        "form-phone",
        "form-text",
        "form-choice",
        "review",
        "result",
        "done",
        "partner",
        "query_result",
        "zone",
        "day",
        "slot",
        "ticket",
        "track_scan",
        "track-wrong-code",
        "track_result",
        "idle-countdown",
        "call-staff",
        "offline-query",
    ):
        assert expected in names, expected
    assert len(kiosk.backends.printer.printed) >= 8
    assert all(p.stat().st_size > 10_000 for p in tour.shots)


def test_submit_shows_progress_then_the_result_and_prints(kiosk) -> None:
    go_to_review(kiosk)
    kiosk.ui.adapter.act("confirm", "")
    assert screen(kiosk) == "submitting"
    assert find(kiosk.ui.window, "progressIndicator") is not None
    assert wait_for(lambda: screen(kiosk) == "result")
    assert kiosk.backends.applications.saved[0]["form"]["phone"] == PHONE
    kiosk.ui.adapter.act("print", "")
    assert wait_for(lambda: screen(kiosk) == "done")
    document, _ = kiosk.backends.printer.printed[0]
    assert document.qr.startswith("cityapp:track:v1:")


def test_no_paper_shows_the_receipt_qr_code_on_screen(kiosk) -> None:
    kiosk.backends.printer.paper_state = "out"
    go_to_review(kiosk)
    kiosk.ui.adapter.act("confirm", "")
    assert wait_for(lambda: screen(kiosk) == "result")
    kiosk.ui.adapter.act("print", "")
    assert wait_for(lambda: screen(kiosk) == "receipt_qr")
    qr = find(kiosk.ui.window, "receiptQr")
    assert wait_for(lambda: qr.implicitWidth() > 0)  # the code was drawn


def test_every_interactive_item_has_an_accessible_name(kiosk) -> None:
    QAccessible.setActive(True)
    seen_screens = set()
    go_to_review(kiosk)
    for action in (None, "back", "back", "home", "search"):
        if action:
            kiosk.ui.adapter.act(action, "")
        pump(0.1)
        seen_screens.add(screen(kiosk))
        unnamed = []
        buttons = 0
        for item in visible_items(kiosk.ui.window.contentItem()):
            iface = QAccessible.queryAccessibleInterface(item)
            if iface is None or iface.role() != QAccessible.Role.Button:
                continue
            buttons += 1
            if not iface.text(QAccessible.Text.Name).strip():
                unnamed.append(item)
        assert buttons > 3
        assert unnamed == [], screen(kiosk)
    assert {"review", "form", "home", "search"} <= seen_screens


def test_touch_targets_meet_the_minimum_sizes(kiosk) -> None:
    for elder, minimum in ((False, 72), (True, 100)):
        kiosk.ui.session.set_elder_mode(elder)
        kiosk.ui.adapter.act("start", "")
        kiosk.ui.adapter.act("search", "")
        pump(0.1)
        small = []
        for item in visible_items(kiosk.ui.window.contentItem()):
            iface = QAccessible.queryAccessibleInterface(item)
            is_button = iface is not None and iface.role() == QAccessible.Role.Button
            if is_button and (item.width() < minimum or item.height() < minimum):
                small.append((iface.text(QAccessible.Text.Name), item.width(), item.height()))
        assert small == []
        kiosk.ui.adapter.act("home", "")


def test_idle_countdown_is_visible_and_one_tap_extends(kiosk) -> None:
    kiosk.ui.adapter.act("start", "")
    kiosk.clock.advance(61)
    kiosk.ui.adapter.tick()
    pump()
    overlay = find(kiosk.ui.window, "idleOverlay")
    assert overlay.isVisible()
    assert find(kiosk.ui.window, "idleCountdown").property("text") == "29"
    assert "点击屏幕" in kiosk.ui.speech.lastSpoken  # spoken as well as shown
    tap(kiosk.ui.window, "idleExtendButton")
    assert not overlay.isVisible()
    assert screen(kiosk) == "home"


def test_after_a_timeout_no_property_or_model_holds_the_citizens_data(kiosk) -> None:
    go_to_review(kiosk)
    kiosk.ui.adapter.act("confirm", "")
    assert wait_for(lambda: screen(kiosk) == "result")
    kiosk.ui.speech.say(kiosk.ui.adapter.view["speech"])
    secrets = [
        CARD.name,
        CARD.id_number,
        "110101",
        "0015",
        BANK,
        "3445",
        PHONE,
        "5678",
        "王*",
        kiosk.backends.applications.saved[0]["id"],
    ]
    assert any(s in json.dumps(kiosk.ui.adapter.view, ensure_ascii=False) for s in secrets)
    kiosk.clock.advance(91)
    kiosk.ui.adapter.tick()
    pump(0.2)
    assert screen(kiosk) == "attract"
    adapter = kiosk.ui.adapter
    exposed = json.dumps(
        [adapter.view, adapter.idlePhase, adapter.staffCalled, kiosk.ui.speech.lastSpoken], ensure_ascii=False
    ) + " ".join(all_texts(kiosk.ui.window))
    for secret in secrets:
        assert secret not in exposed, secret
    assert kiosk.ui.journey.state.identity is None and kiosk.ui.journey.state.answers == ()
    assert not kiosk.ui.journey.can_go_back


def test_offline_indicator_and_services_that_need_the_network(kiosk) -> None:
    kiosk.ui.adapter.set_online(False)
    kiosk.ui.adapter.act("start", "")
    kiosk.ui.adapter.act("item", "HF-BALANCE")
    pump()
    assert find(kiosk.ui.window, "offlineIndicator").isVisible()
    assert kiosk.ui.adapter.view["actions"] == []
    assert "联网" in kiosk.ui.adapter.view["notice"]


def test_speech_panel_repeats_stops_and_sets_the_volume(kiosk) -> None:
    kiosk.ui.adapter.act("start", "")
    pump()
    tap(kiosk.ui.window, "speechButton")
    assert find(kiosk.ui.window, "speechPanel").isVisible()
    tap(kiosk.ui.window, "repeatButton")
    assert kiosk.ui.speech.lastSpoken == kiosk.ui.adapter.current_view()["speech"] != ""
    tap(kiosk.ui.window, "volumeUpButton")
    assert kiosk.ui.session.volume == 80
    tap(kiosk.ui.window, "speechCloseButton")
    assert not find(kiosk.ui.window, "speechPanel").isVisible()
    kiosk.ui.session.end(__import__("kiosk.session", fromlist=["EndReason"]).EndReason.TIMEOUT)
    assert kiosk.ui.session.volume == 70 and kiosk.ui.speech.lastSpoken == ""


def test_the_elder_switch_on_the_attract_screen_does_not_start(kiosk) -> None:
    pump(0.2)
    tap(kiosk.ui.window, "attractElderButton")
    assert kiosk.ui.session.elder_mode
    assert screen(kiosk) == "attract"


def test_the_free_text_answer_is_kept_out_of_the_input_methods_memory(kiosk) -> None:
    from PySide6.QtCore import Qt

    a = kiosk.ui.adapter
    a.act("start", "")
    a.act("item", "CN-HOIST-DEREG")
    a.act("begin", "")
    kiosk.ui.journey.card_read(Identity.from_card(CARD))
    assert wait_for(lambda: screen(kiosk) == "form" and a.view["kind"] == "text")
    field = find(kiosk.ui.window, "freeTextInput")
    assert field is not None
    hints = Qt.InputMethodHint(field.property("inputMethodHints"))
    # No user dictionary, no learnt predictions: the next citizen's Pinyin keyboard suggests nothing of ours.
    assert hints & Qt.InputMethodHint.ImhSensitiveData
    assert hints & Qt.InputMethodHint.ImhNoPredictiveText


def test_long_appointment_lists_show_the_step_beside_the_page(kiosk) -> None:
    from PySide6.QtCore import QRectF

    from kiosk.flows.model import Choice

    days = [Choice(f"2026-01-{d:02d}", f"1月{d}日", f"{d} Jan") for d in range(5, 11)]
    kiosk.backends.services.days = lambda zone: days
    kiosk.ui.session.set_elder_mode(True)  # pages of four big buttons: six days need two
    a = kiosk.ui.adapter
    a.act("start", "")
    a.act("item", "HALL-APPOINTMENT")
    a.act("begin", "")
    assert wait_for(lambda: screen(kiosk) == "zone" and bool(a.view["options"]))
    a.act("choose", "Z01")
    assert wait_for(lambda: screen(kiosk) == "day" and bool(a.view["options"]))
    pump(0.1)
    window = kiosk.ui.window

    def box(name: str) -> QRectF:
        item = find(window, name)
        assert item is not None and item.isVisible(), name
        return item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))

    assert find(window, "stepIndicator").property("text") == "第 2 步 / 共 4 步"
    assert find(window, "pageIndicator").property("text") == "第 1 页 / 共 2 页"
    home, step, page, speech = (
        box(n) for n in ("homeButton", "stepIndicator", "pageIndicator", "speechButton")
    )
    # In one line, left to right, clear of the buttons either side.
    assert home.right() < step.left() < step.right() < page.left() < page.right() < speech.left()
    assert abs(step.center().y() - page.center().y()) < 1
    assert a.view["speech"].startswith("第 2 步 / 共 4 步。第 1 页 / 共 2 页。")
