"""The tour's scripts: one function per citizen flow, each starting on the attract screen.

A script taps buttons through the adapter exactly as the QML buttons do. The ID card and QR codes are
presented to the simulated devices when the kiosk runs with ``sim:`` devices (so the real drivers and
the device manager carry them), or handed to the journey directly otherwise. Items are picked from the
catalogue in use (the central service's, or the compiled-in one); answers are fictional. Where a
backend is unavailable, the flow ends on the screen the citizen would then see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kiosk.identity import Identity
from ui.tour import Tour
from ui.tour import browse as browse_departments

BANK = "6222020200112243445"
PHONE = "13800000000"
# Identity codes of the reference service's fictional residents (its demo data).
RETIREE = "demo-identity-retiree-zhangsan"
WORKER = "demo-identity-worker-lisi"
QIANJIANG = "demo-identity-qianjiang-zhaoliu"
_ANSWERS = {
    "phone": PHONE,
    "digits": BANK,
    "amount": "5000",
    "date": "20260101",
    "text": "T2019-0031",
    "id_number": "110101199001010015",
}


def _pick(t: Tour, codes: Sequence[str], fallback: Callable[[Any], bool]) -> str | None:
    catalog = t.ui.journey.catalog
    for code in codes:
        if catalog.get(code) is not None:
            return code
    return next((i.code for i in catalog.items if fallback(i)), None)


def _devices(t: Tour) -> dict[str, Any]:
    devices = t.extras.get("devices")
    return devices if isinstance(devices, dict) else {}


def _present_card(t: Tour) -> None:
    from devices.idcard.samples import sample_card

    place_card = t.extras.get("place_card")  # an emulated reader on a pseudo-terminal
    remove_card = t.extras.get("remove_card")
    if callable(place_card):
        place_card()
        read = t.wait_for(lambda: t.screen() != "identify", timeout=15)
        if callable(remove_card):
            remove_card()  # the citizen takes the card back
        if read:
            return
    reader = _devices(t).get("idcard")
    if reader is not None and hasattr(reader, "present"):
        reader.present(sample_card())
        if t.wait_for(lambda: t.screen() != "identify", timeout=10):
            return
    t.ui.journey.card_read(Identity.from_card(sample_card()))


def _present_code(t: Tour, text: str) -> None:
    scanner = _devices(t).get("scanner")
    before = t.screen()
    if scanner is not None and hasattr(scanner, "present"):
        # The scanner is enabled when the screen asks for it, on its own thread: a code shown a moment
        # too early is not taken, so show it again, as a citizen would.
        for _ in range(5):
            scanner.present(text)
            if t.wait_for(lambda: t.screen() != before or bool(t.ui.journey.state.notice_key), timeout=2):
                return
    kind, _, value = text.removeprefix("cityapp:").partition(":v1:")
    kinds = {"identity": "identity", "track": "tracking"}  # as the scanner's payload parser names them
    t.ui.journey.code_scanned(kinds.get(kind, "url") if value else "url", value or text)


def _identify(t: Tour, token: str | None) -> None:
    t.wait_for(lambda: t.screen() == "identify")
    if token:
        _present_code(t, f"cityapp:identity:v1:{token}")
        if t.wait_for(lambda: t.screen() != "identify", timeout=10):
            return
    _present_card(t)


def _type(t: Tour, text: str) -> None:
    for ch in text:
        t.act("key", ch)


def _answer_questions(t: Tour, *, shoot: bool = True) -> None:
    seen: set[str] = set()
    for _ in range(12):
        if not t.wait_for(lambda: t.screen() != "identify", timeout=10) or t.screen() != "form":
            return
        view = t.ui.adapter.view
        kind = str(view.get("kind", ""))
        if shoot and kind not in seen:
            t.shot(f"form-{kind}")
            seen.add(kind)
        if kind == "choice":
            t.act("choose", str(view["options"][0]["code"]))
            continue
        t.act("clear")
        _type(t, _ANSWERS.get(kind, "1234"))
        index = t.ui.journey.state.field_index
        t.act("next")
        if t.ui.journey.state.field_error:
            t.shot("form-error")
            return

        def moved_on(index: int = index) -> bool:
            return bool(t.ui.journey.state.field_index != index or t.screen() != "form")

        t.wait_for(moved_on)


def browse(t: Tour) -> None:
    """Home, search and a department's list; in elder mode also a big section's list and its next page."""
    browse_departments(t)
    t.act("home", expect="home")
    sections = t.ui.adapter.view.get("sections") or []
    if not sections:
        return  # standard mode, or a catalogue without elder sections
    t.act("section", str(sections[0]["code"]), expect="section")
    t.shot()
    if any(a["action"] == "page" for a in t.ui.adapter.view.get("actions") or []):
        t.act("page", "next")
        t.shot("section-page-2")


def _begin(t: Tour, code: str | None, partner: str = "local") -> bool:
    t.act("start", expect="home")
    if code is None:
        return False
    t.act("item", code, expect="item")
    t.shot()
    if not t.ui.adapter.view.get("actions"):
        return False  # offline: the item screen says the service needs the network
    t.act("begin")
    t.wait_for(lambda: t.screen() != "item")
    if t.screen() == "partner":
        t.shot()
        options = t.ui.adapter.view.get("options") or []
        preferred = next((o["code"] for o in options if o["code"] == partner), None)
        t.act("partner", preferred or str(options[-1]["code"]), expect="identify")
    return True


def _finish_result(t: Tour) -> None:
    screen = _settle(t, "result", "error", "query_result", "ticket")
    t.shot()
    if screen == "error":
        return
    outcome = t.ui.journey.state.outcome
    if outcome is not None and outcome.kind == "rejected":
        t.act("review", "explain")
        t.wait_for(lambda: bool(t.ui.journey.state.notice_key))
        t.shot("result-review-requested")
    t.act("print")
    if _settle(t, "done", "receipt_qr", "error") != "done":
        t.shot()
        t.act("finish")
    t.wait_for(lambda: t.screen() == "done")
    t.shot()


def _settle(t: Tour, *screens: str) -> str:
    t.wait_for(lambda: t.screen() in screens)
    return t.screen()


def _apply(
    t: Tour, code: str | None, token: str | None, *, review_shots: bool = True, partner: str = "local"
) -> None:
    if not _begin(t, code, partner):
        return
    if review_shots and t.screen() == "identify":
        t.shot()
    _identify(t, token)
    if t.wait_for(lambda: t.screen() == "form", timeout=5) and review_shots:
        t.act("next")  # nothing typed yet: the error says what to do
        if t.ui.journey.state.field_error:
            t.shot("form-empty-error")
    _answer_questions(t, shoot=review_shots)
    if _settle(t, "review", "error") != "review":
        t.shot()
        return
    t.shot()
    if review_shots:
        t.ui.adapter.callStaff()
        t.shot("call-staff")
        t.ui.adapter.dismissStaff()
    t.act("confirm")
    _finish_result(t)


def apply_instant(t: Tour) -> None:
    code = _pick(t, ("411700-GJJ-0901", "HF-WITHDRAW-RETIRE"), lambda i: i.instant and i.kind == "apply")
    _apply(t, code, RETIREE)


def apply_rejected(t: Tour) -> None:
    code = _pick(t, ("411700-GJJ-0901", "HF-WITHDRAW-RETIRE"), lambda i: i.instant and i.kind == "apply")
    _apply(t, code, WORKER, review_shots=False)


def apply_with_choices(t: Tour) -> None:
    code = _pick(
        t,
        ("411700-RS-0901", "CN-HOIST-DEREG"),
        lambda i: i.kind == "apply" and any(f.kind == "choice" for f in i.form),
    )
    _apply(t, code, RETIREE, review_shots=False)


def apply_text_answer(t: Tour) -> None:
    code = _pick(t, ("411700-ZJ-0901", "CN-HOIST-DEREG"), lambda i: any(f.kind == "text" for f in i.form))
    if not _begin(t, code):
        return
    _identify(t, None)
    _answer_questions(t)
    if _settle(t, "review", "error") == "review":
        t.shot()


def apply_cross_province(t: Tour) -> None:
    code = _pick(
        t, ("411700-GJJ-0901", "HF-WITHDRAW-XPROV"), lambda i: i.kind == "apply" and i.cross_province
    )
    _apply(t, code, QIANJIANG, review_shots=False, partner="qianjiang")


def query_balance(t: Tour) -> None:
    code = _pick(t, ("411700-GJJ-0801", "HF-BALANCE"), lambda i: i.kind == "query")
    if not _begin(t, code):
        return
    _identify(t, RETIREE)
    _finish_result(t)


def appointment(t: Tour) -> None:
    code = _pick(t, ("411700-YY-0001", "HALL-APPOINTMENT"), lambda i: i.kind == "appointment")
    if not _begin(t, code):
        return
    for _ in range(3):
        step = t.screen()
        if step not in ("zone", "day", "slot"):
            break
        t.wait_for(lambda: bool(t.ui.journey.state.choices) or bool(t.ui.journey.state.notice_key))
        t.shot()
        choices = [c for c in t.ui.journey.state.choices if c.available]
        if not choices:
            return
        t.act("choose", choices[0].code)

        def left(step: str = step) -> bool:
            return t.screen() != step

        t.wait_for(left)
    _identify(t, RETIREE)
    _finish_result(t)


def track(t: Tour) -> None:
    t.act("start", expect="home")
    t.act("track", expect="track_scan")
    t.shot()
    _present_code(t, "https://example.org/")
    t.pump()
    t.shot("track-wrong-code")
    saved = t.extras.get("last_application_id")
    if saved:
        _present_code(t, f"cityapp:track:v1:{saved}")
        _settle(t, "track_result", "error")
        t.shot()


def idle_countdown(t: Tour) -> None:
    t.act("start", expect="home")
    skip = t.extras.get("skip_clock")
    if not callable(skip):
        return
    skip(t.ui.session.settings.idle_warning_s * (2 if t.ui.session.elder_mode else 1) + 5)
    t.ui.adapter.tick()
    t.wait_for(lambda: t.ui.adapter.idlePhase == "warning")
    t.shot("idle-countdown")
    t.ui.adapter.touch()


def offline(t: Tour) -> None:
    """The offline indicator, and a live service that says plainly it needs the network."""
    was = t.ui.journey.is_online
    t.ui.timer.stop()  # the tick would put the real connectivity back
    t.ui.adapter.set_online(False)
    code = _pick(t, ("411700-GJJ-0801", "HF-BALANCE"), lambda i: i.kind == "query")
    t.act("start", expect="home")
    if code:
        t.act("item", code, expect="item")
        t.shot("offline-query")
    t.ui.adapter.set_online(was)
    t.ui.timer.start()


def scripts_for(backends: Any) -> list[Callable[[Tour], None]]:
    return [
        browse,
        apply_instant,
        apply_rejected,
        apply_with_choices,
        apply_text_answer,
        apply_cross_province,
        query_balance,
        appointment,
        track,
        idle_countdown,
        offline,
    ]
