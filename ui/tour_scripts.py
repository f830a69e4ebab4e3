"""The tour's scripts: one function per citizen flow, each starting on the attract screen.

A script taps buttons through the adapter exactly as the QML buttons do, and presents the ID card and
QR codes as the devices would report them. Where a backend is unavailable (no central service), the
flow ends on the screen the citizen would then see (saved offline, or the error that says why).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.identity import Identity
from ui.tour import Tour, browse

BANK = "6222020200112233445"
PHONE = "13800000000"


def _card() -> Identity:
    from devices.idcard.samples import sample_card

    return Identity.from_card(sample_card())


def _type(t: Tour, text: str) -> None:
    for ch in text:
        t.act("key", ch)


def _settle(t: Tour, *screens: str) -> str:
    t.wait_for(lambda: t.screen() in screens)
    return t.screen()


def _finish_result(t: Tour) -> None:
    screen = _settle(t, "result", "error", "query_result", "ticket")
    t.shot()
    if screen == "error":
        return
    t.act("print")
    if _settle(t, "done", "receipt_qr", "error") != "done":
        t.shot()
        t.act("finish")
    t.wait_for(lambda: t.screen() == "done")
    t.shot()


def apply_instant(t: Tour) -> None:
    t.act("start", expect="home")
    t.act("item", "HF-WITHDRAW-RETIRE", expect="item")
    t.shot()
    t.act("begin", expect="identify")
    t.shot()
    t.ui.journey.card_read(_card())
    _settle(t, "form")
    t.act("next")
    t.shot("form-error")
    _type(t, BANK)
    t.shot()
    t.act("next")
    _type(t, PHONE)
    t.act("next", expect="review")
    t.shot()
    t.ui.adapter.callStaff()
    t.shot("call-staff")
    t.ui.adapter.dismissStaff()
    t.act("confirm")
    _finish_result(t)


def apply_with_choices(t: Tour) -> None:
    t.act("start", expect="home")
    t.act("item", "CN-HOIST-DEREG", expect="item")
    t.shot()
    t.act("begin", expect="identify")
    t.ui.journey.card_read(_card())
    _settle(t, "form")
    _type(t, "T2019-0031")
    t.shot("form-text")
    t.act("next")
    _settle(t, "form")
    t.shot("form-choice")
    t.act("choose", "scrapped")
    _type(t, PHONE)
    t.act("next", expect="review")
    t.act("confirm")
    _finish_result(t)


def apply_cross_province(t: Tour) -> None:
    t.act("start", expect="home")
    t.act("item", "HF-WITHDRAW-XPROV", expect="item")
    t.shot()
    t.act("begin", expect="partner")
    t.shot()
    t.act("partner", "qianjiang", expect="identify")
    t.ui.journey.card_read(_card())
    _settle(t, "form")
    _type(t, BANK)
    t.act("next")
    _type(t, PHONE)
    t.act("next", expect="review")
    t.shot()
    t.act("confirm")
    _finish_result(t)


def query_balance(t: Tour) -> None:
    t.act("start", expect="home")
    t.act("item", "HF-BALANCE", expect="item")
    t.shot()
    if not t.ui.adapter.view.get("actions"):
        return  # offline: the item screen says the query needs the network
    t.act("begin", expect="identify")
    t.ui.journey.card_read(_card())
    _finish_result(t)


def appointment(t: Tour) -> None:
    t.act("start", expect="home")
    t.act("item", "HALL-APPOINTMENT", expect="item")
    if not t.ui.adapter.view.get("actions"):
        t.shot()
        return
    t.act("begin", expect="zone")
    for step in ("zone", "day", "slot"):
        t.wait_for(lambda: bool(t.ui.journey.state.choices) or bool(t.ui.journey.state.notice_key))
        t.shot()
        choices = [c for c in t.ui.journey.state.choices if c.available]
        if not choices:
            return
        t.act("choose", choices[0].code)
        _settle(t, {"zone": "day", "day": "slot", "slot": "identify"}[step])
    t.ui.journey.card_read(_card())
    _finish_result(t)


def track(t: Tour) -> None:
    t.act("start", expect="home")
    t.act("track", expect="track_scan")
    t.shot()
    t.ui.journey.code_scanned("url", "https://example.org/")
    t.pump()
    t.shot("track-wrong-code")
    saved = t.extras.get("last_application_id")
    if saved:
        t.ui.journey.code_scanned("tracking", saved)
        _settle(t, "track_result", "error")
        t.shot()


def idle_countdown(t: Tour) -> None:
    t.act("start", expect="home")
    skip = t.extras.get("skip_clock")
    if skip is None:
        return
    skip(t.ui.session.settings.idle_warning_s * (2 if t.ui.session.elder_mode else 1) + 5)
    t.ui.adapter.tick()
    t.wait_for(lambda: t.ui.adapter.idlePhase == "warning")
    t.shot("idle-countdown")
    t.ui.adapter.touch()


def scripts_for(backends: Any) -> list[Callable[[Tour], None]]:
    return [
        browse,
        apply_instant,
        apply_with_choices,
        apply_cross_province,
        query_balance,
        appointment,
        track,
        idle_countdown,
    ]
