"""What each screen shows and says: the flow state turned into plain data in one language.

``build_view`` returns a dict of strings, numbers, booleans and lists of small dicts; the QML screens
only lay it out. Every label comes from the string table; ``speech`` is what the screen says aloud
(accessibility A12); ``actions`` are the screen's buttons as ``{action, value, label, primary}``.

In elder mode the home is the catalogue's few big sections (``sections``) with search and tracking and
nothing else; a section opens the paged list of its items (screen ``section``).
"""

from __future__ import annotations

from typing import Any

from kiosk.catalog import Catalog, Group, ServiceItem
from kiosk.flows.first_view import spoken
from kiosk.flows.model import Outcome
from kiosk.flows.steps import ALL_GROUPS, FlowState
from kiosk.forms import answer_rows, keypad_keys, questions
from kiosk.i18n import Strings
from kiosk.search import SearchIndex

View = dict[str, Any]
HOME_DEPARTMENTS = 6  # the home screen shows this many department buttons; the rest behind "all"
HOME_LIFE_EVENTS = 4
HOME_ELDER_SECTIONS = 6  # the elder home's grid holds two rows of three big buttons


def _button(
    s: Strings, action: str, label_key: str, value: str = "", primary: bool = False
) -> dict[str, Any]:
    return {"action": action, "value": value, "label": s.text(label_key), "primary": primary}


def city_name(catalog: Catalog, code: str, s: Strings) -> str:
    city = catalog.city(code)
    if city is not None:
        return city.name(s.language)
    return s.text(f"city.{code}") if s.has(f"city.{code}") else code


def _item_entry(item: ServiceItem, s: Strings) -> dict[str, Any]:
    badge = (
        s.text("badge.instant") if item.instant else (s.text("badge.cross") if item.cross_province else "")
    )
    return {"code": item.code, "label": item.name(s.language), "badge": badge}


def step_position(state: FlowState, item: ServiceItem | None) -> tuple[int, int]:
    """(current, total) of the question steps in this flow; (0, 0) where no indicator is shown.

    The total never changes within a flow (A19): it counts every question the item may ask, as known
    before identification. Each question keeps its number; one the identity answers (the city app's
    phone number) is passed over, so the next step's number skips it rather than the total shrinking.
    """
    if item is None:
        return 0, 0
    if item.kind == "appointment":
        order = ["day", "slot", "identify"] if item.appointment_zone else ["zone", "day", "slot", "identify"]
        return (order.index(state.step) + 1, len(order)) if state.step in order else (0, 0)
    if item.kind == "query":
        return (1, 1) if state.step == "identify" else (0, 0)
    lead = ["partner"] if item.cross_province else []
    # With no identity yet, every question the identity might answer is still counted.
    possible = [spec.key for spec in questions(item.form, None)]
    total = len(lead) + 1 + len(possible) + 1
    if state.step == "partner":
        return 1, total
    if state.step == "identify":
        return len(lead) + 1, total
    if state.step == "form":
        asked = questions(item.form, state.identity)
        number = state.field_index
        if state.field_index < len(asked) and asked[state.field_index].key in possible:
            number = possible.index(asked[state.field_index].key)
        return len(lead) + 2 + number, total
    if state.step == "review":
        return total, total
    return 0, 0


def build_view(
    state: FlowState,
    catalog: Catalog,
    index: SearchIndex,
    s: Strings,
    *,
    online: bool,
    can_back: bool,
    page_size: int = 12,
    elder: bool = False,
) -> View:
    """The view of ``state.step`` in the language of ``s``; ``elder`` for the elder-mode home."""
    item = catalog.get(state.item_code) if state.item_code else None
    lang = s.language
    view: View = {
        "screen": state.step,
        "title": "",
        "subtitle": "",
        "canBack": can_back,
        "canHome": state.step not in ("attract", "home", "submitting", "booking", "printing", "querying"),
        "stepText": "",
        "notice": s.text(state.notice_key) if state.notice_key else "",
        "actions": [],
        "rows": [],
        "options": [],
        "lines": [],
    }
    current, total = step_position(state, item)
    if total:
        view["stepText"] = s.text("step.indicator", current=current, total=total)
    builder = _BUILDERS.get(state.step, _simple)
    if elder and state.step == "home" and elder_sections(catalog):
        builder = _elder_home
    builder(view, state, item, catalog, index, s, online)
    if state.step in ("group", "groups", "section", "zone", "day", "slot"):
        _paginate(view, state.page, page_size, s)
    speech_parts = [view["stepText"], view.get("pageText", ""), view["title"], view["subtitle"]]
    if state.step in _SPOKEN_CONTENT:
        speech_parts.extend(_content_speech(view, s))
    speech_parts.append(view["notice"])
    if state.step == "form" and state.field_error:
        speech_parts.append(view.get("error", ""))
    view["speech"] = spoken([p for p in speech_parts if p], lang)
    return view


# Screens whose content is what the citizen came for: it is read out as well as shown (A12).
_SPOKEN_CONTENT = ("review", "result", "query_result", "ticket", "track_result")


def _content_speech(view: View, s: Strings) -> list[str]:
    """The screen's content as sentences: the big number, the lines, then each row as "label: value".

    Only what the screen shows is read, as it shows it: values are already masked for display, so the
    speech never says more than the screen (A11)."""

    def labelled(label: str, value: str) -> str:
        return s.text("speech.label_value", label=label, value=value)

    parts = []
    if view.get("big"):
        # Only the ticket screen shows a big number: the ticket number, called out at the counter.
        parts.append(labelled(s.text("receipt.ticket_number"), str(view["big"])))
    parts.extend(str(line) for line in view["lines"] if line)
    parts.extend(labelled(row["label"], row["value"]) for row in view["rows"] if row.get("value"))
    return parts


def _paginate(view: View, page: int, page_size: int, s: Strings) -> None:
    """Long lists are shown a page at a time with buttons: no scrolling gesture is needed (A8).

    ``pageSize`` tells the screen how many entries a full page holds, so rows keep their size on a
    last, shorter page. ``pageText`` ("第 1 页 / 共 2 页", empty on a single page) sits beside
    ``stepText``, which keeps saying which step this is (A19)."""
    options = view["options"]
    view["pageSize"] = page_size
    pages = max(1, -(-len(options) // page_size))
    page = min(page, pages - 1)
    view["options"] = options[page * page_size : (page + 1) * page_size]
    view["pageText"] = ""
    if pages > 1:
        view["pageText"] = s.text("page.indicator", current=page + 1, total=pages)
        if page > 0:
            view["actions"].append(_button(s, "page", "action.prev_page", value="prev"))
        if page < pages - 1:
            view["actions"].append(_button(s, "page", "action.next_page", value="next", primary=True))


def _simple(view: View, state: FlowState, item: ServiceItem | None, *_: Any) -> None:
    s: Strings = _[2]
    view["title"] = s.text(f"screen.{state.step}.title")
    view["subtitle"] = s.text(f"screen.{state.step}.body")


def _attract(
    view: View, state: FlowState, item: Any, catalog: Catalog, index: Any, s: Strings, online: bool
) -> None:
    view["title"] = s.text("screen.attract.title")
    view["subtitle"] = s.text("screen.attract.body")
    view["lines"] = [i.name(s.language) for i in catalog.most_used(4)]


def _home(
    view: View, state: FlowState, item: Any, catalog: Catalog, index: Any, s: Strings, online: bool
) -> None:
    view["title"] = s.text("screen.home.title")
    view["subtitle"] = s.text("screen.home.body")
    departments = [{"code": g.code, "label": g.name(s.language)} for g in catalog.departments]
    # English department names run to several lines: fewer of them fit beside the most-used items.
    shown = HOME_DEPARTMENTS if s.language == "zh_CN" else HOME_DEPARTMENTS - 2
    if len(departments) > shown:
        departments = [
            *departments[: shown - 1],
            {"code": ALL_GROUPS, "label": s.text("home.all_departments")},
        ]
    view["departments"] = departments
    view["lifeEvents"] = [
        {"code": g.code, "label": g.name(s.language)} for g in catalog.life_events[:HOME_LIFE_EVENTS]
    ]
    view["popular"] = [_item_entry(i, s) for i in catalog.most_used(6)]
    view["actions"] = [_button(s, "search", "action.search"), _button(s, "track", "action.track")]


def elder_sections(catalog: Catalog) -> list[Group]:
    """The sections the elder-mode home shows: the catalogue's own, in its order, those with items."""
    shown = [g for g in catalog.elder_sections if catalog.in_elder_section(g.code)]
    return shown[:HOME_ELDER_SECTIONS]


def _elder_home(
    view: View, state: FlowState, item: Any, catalog: Catalog, index: Any, s: Strings, online: bool
) -> None:
    sections = [{"code": g.code, "label": g.name(s.language)} for g in elder_sections(catalog)]
    view["title"] = s.text("screen.home.title")
    # Spoken when the screen opens: the section names, so the choices are heard as well as seen.
    names = s.text("list.separator").join(entry["label"] for entry in sections)
    view["subtitle"] = s.text("screen.home.elder_body", sections=names)
    view["sections"] = sections
    view["actions"] = [_button(s, "search", "action.search"), _button(s, "track", "action.track")]


def _section(
    view: View, state: FlowState, item: Any, catalog: Catalog, index: Any, s: Strings, online: bool
) -> None:
    section = catalog.elder_section(state.section)
    view["title"] = section.name(s.language) if section else ""
    view["subtitle"] = s.text("screen.group.body")
    view["options"] = [_item_entry(i, s) for i in catalog.in_elder_section(state.section)]


def _search(
    view: View, state: FlowState, item: Any, catalog: Catalog, index: SearchIndex, s: Strings, online: bool
) -> None:
    view["title"] = s.text("screen.search.title")
    view["subtitle"] = s.text("screen.search.body")
    view["query"] = state.query
    results = index.search(state.query, limit=12)
    view["options"] = [_item_entry(i, s) for i in results]
    if state.query and not results:
        view["notice"] = s.text("notice.no_results")


def _groups(
    view: View, state: FlowState, item: Any, catalog: Catalog, index: Any, s: Strings, online: bool
) -> None:
    view["title"] = s.text("home.all_departments")
    view["subtitle"] = s.text("screen.group.body")
    view["options"] = [
        {"code": g.code, "label": g.name(s.language), "badge": ""} for g in catalog.departments
    ]


def _group(
    view: View, state: FlowState, item: Any, catalog: Catalog, index: Any, s: Strings, online: bool
) -> None:
    group = catalog.group(state.group)
    view["title"] = group.name(s.language) if group else ""
    view["subtitle"] = s.text("screen.group.body")
    view["options"] = [_item_entry(i, s) for i in catalog.items_in_group(state.group)]


def _item(
    view: View, state: FlowState, item: ServiceItem | None, catalog: Any, index: Any, s: Strings, online: bool
) -> None:
    if item is None:
        return
    view["title"] = item.name(s.language)
    view["subtitle"] = s.text(f"item.kind.{item.kind}")
    view["instant"] = s.text("badge.instant_long") if item.instant else ""
    view["lines"] = list(item.needs(s.language))
    partners = [city_name(catalog, c, s) for c in item.partner_cities]
    view["partnersLine"] = (
        s.text("item.partners_line", cities=s.text("list.separator").join(partners)) if partners else ""
    )
    needs_network = item.kind in ("query", "appointment")
    if needs_network and not online:
        view["notice"] = s.text("notice.needs_network")
    else:
        view["actions"] = [_button(s, "begin", f"action.begin.{item.kind}", primary=True)]
        if item.kind == "apply" and not online:
            view["notice"] = s.text("notice.offline_apply")


def _partner(
    view: View, state: FlowState, item: ServiceItem | None, catalog: Any, index: Any, s: Strings, online: bool
) -> None:
    view["title"] = s.text("screen.partner.title")
    view["subtitle"] = s.text("screen.partner.body")
    cities = item.partner_cities if item else ()
    view["options"] = [{"code": "local", "label": s.text("partner.local"), "badge": ""}] + [
        {"code": c, "label": city_name(catalog, c, s), "badge": s.text("badge.cross")} for c in cities
    ]


def _choices(
    view: View, state: FlowState, item: Any, catalog: Any, index: Any, s: Strings, online: bool
) -> None:
    view["title"] = s.text(f"screen.{state.step}.title")
    view["subtitle"] = s.text(f"screen.{state.step}.body")
    view["loading"] = not state.choices and not state.notice_key
    view["options"] = [
        {
            "code": c.code,
            "label": c.label(s.language),
            "badge": "" if c.available else s.text("badge.full"),
            "enabled": c.available,
        }
        for c in state.choices
    ]


def _identify(
    view: View, state: FlowState, item: Any, catalog: Any, index: Any, s: Strings, online: bool
) -> None:
    view["title"] = s.text("screen.identify.title")
    view["subtitle"] = s.text("screen.identify.body")
    view["lines"] = [s.text("screen.identify.card"), s.text("screen.identify.code")]
    if not online:
        view["lines"] = [s.text("screen.identify.card"), s.text("notice.code_needs_network")]


def _form(
    view: View, state: FlowState, item: ServiceItem | None, catalog: Any, index: Any, s: Strings, online: bool
) -> None:
    asked = questions(item.form, state.identity) if item is not None else ()
    if state.field_index >= len(asked):
        return
    spec = asked[state.field_index]
    view["title"] = spec.label(s.language)
    view["subtitle"] = spec.hint(s.language)
    view["kind"] = spec.kind
    view["draft"] = state.draft
    view["maxLength"] = spec.max_length
    view["extraKeys"] = list(keypad_keys(spec))
    view["error"] = s.text(state.field_error) if state.field_error else ""
    if spec.kind == "choice":
        chosen = state.answer(spec.key)
        view["options"] = [
            {"code": c.value, "label": c.label(s.language), "badge": "", "selected": c.value == chosen}
            for c in spec.choices
        ]
    else:
        view["actions"] = [_button(s, "next", "action.next", primary=True)]
    if state.identity is not None:
        view["greeting"] = s.text("greeting", name=state.identity.masked_name)


def _review(
    view: View, state: FlowState, item: ServiceItem | None, catalog: Any, index: Any, s: Strings, online: bool
) -> None:
    view["title"] = s.text("screen.review.title")
    view["subtitle"] = s.text("screen.review.body")
    rows = []
    if item is not None:
        rows.append({"label": s.text("receipt.item"), "value": item.name(s.language)})
    if state.identity is not None:
        rows.append({"label": s.text("receipt.applicant"), "value": state.identity.masked_name})
        rows.append({"label": s.text("receipt.id_number"), "value": state.identity.masked_id})
    if state.partner_city:
        rows.append({"label": s.text("receipt.partner"), "value": city_name(catalog, state.partner_city, s)})
    if item is not None:
        for label, shown in answer_rows(item.form, state.identity, dict(state.answers), s.language):
            rows.append({"label": label, "value": shown})
    view["rows"] = rows
    view["actions"] = [_button(s, "confirm", "action.confirm", primary=True)]
    if not online:
        view["notice"] = s.text("notice.offline_apply")


def _outcome_rows(view: View, outcome: Outcome, s: Strings, catalog: Catalog) -> None:
    rows = [{"label": s.text("receipt.reference"), "value": outcome.application_id}]
    if outcome.certificate_ref:
        rows.insert(0, {"label": s.text("receipt.certificate"), "value": outcome.certificate_ref})
    if outcome.partner_city:
        rows.insert(
            0, {"label": s.text("receipt.partner"), "value": city_name(catalog, outcome.partner_city, s)}
        )
    view["rows"] = rows
    view["lines"] = [r.text(s.language) for r in outcome.reasons]


def _result(
    view: View, state: FlowState, item: Any, catalog: Any, index: Any, s: Strings, online: bool
) -> None:
    outcome = state.outcome
    if outcome is None:
        return
    view["outcome"] = outcome.kind
    view["title"] = s.text(f"outcome.{outcome.kind}.title")
    view["subtitle"] = s.text(f"outcome.{outcome.kind}.body")
    _outcome_rows(view, outcome, s, catalog)
    actions = [_button(s, "print", "action.print", primary=True)]
    if outcome.kind == "rejected" and state.step == "result":
        if state.review_requested:
            view["notice"] = s.text("notice.review_sent")
        elif not state.review_pending:  # while the request is on its way, no second one
            actions.append(_button(s, "review", "action.ask_review", value="explain"))
    actions.append(_button(s, "finish", "action.finish"))
    view["actions"] = actions


def _query_result(
    view: View, state: FlowState, item: Any, catalog: Any, index: Any, s: Strings, online: bool
) -> None:
    result = state.query_result
    view["title"] = result.title(s.language) if result else s.text("screen.query_result.title")
    view["subtitle"] = s.text("screen.query_result.body")
    if result is not None:
        view["rows"] = [{"label": r.label(s.language), "value": r.value_in(s.language)} for r in result.rows]
    view["actions"] = [
        _button(s, "print", "action.print", primary=True),
        _button(s, "finish", "action.finish"),
    ]


def _ticket(
    view: View, state: FlowState, item: Any, catalog: Any, index: Any, s: Strings, online: bool
) -> None:
    t = state.ticket
    view["title"] = s.text("screen.ticket.title")
    view["subtitle"] = s.text("screen.ticket.body")
    if t is not None:
        view["big"] = t.number
        view["rows"] = [
            {"label": s.text("receipt.zone"), "value": t.zone.label(s.language)},
            {"label": s.text("receipt.day"), "value": t.day.label(s.language)},
            {"label": s.text("receipt.slot"), "value": t.slot.label(s.language)},
        ]
    view["actions"] = [
        _button(s, "print", "action.print", primary=True),
        _button(s, "finish", "action.finish"),
    ]


def _receipt_qr(
    view: View, state: FlowState, item: Any, catalog: Any, index: Any, s: Strings, online: bool
) -> None:
    view["title"] = s.text("screen.receipt_qr.title")
    view["subtitle"] = s.text("screen.receipt_qr.body")
    view["qr"] = state.receipt_qr
    if state.outcome is not None:
        view["rows"] = [{"label": s.text("receipt.reference"), "value": state.outcome.application_id}]
    view["actions"] = [_button(s, "finish", "action.finish", primary=True)]


def _track_result(
    view: View, state: FlowState, item: Any, catalog: Catalog, index: Any, s: Strings, online: bool
) -> None:
    outcome = state.outcome
    if outcome is None:
        return
    tracked = catalog.get(outcome.item_code)
    view["title"] = s.text(f"outcome.{outcome.kind}.title")
    view["subtitle"] = tracked.name(s.language) if tracked else ""
    _outcome_rows(view, outcome, s, catalog)
    view["outcome"] = outcome.kind
    view["actions"] = [_button(s, "finish", "action.finish", primary=True)]


def _error(
    view: View, state: FlowState, item: Any, catalog: Any, index: Any, s: Strings, online: bool
) -> None:
    view["title"] = s.text("screen.error.title")
    view["subtitle"] = s.text(state.error_key or "error.call_staff")
    # "Try again" only where the journey can resume with everything kept; "back to start" says
    # plainly that it starts over.
    if state.resume_step:
        view["actions"] = [
            _button(s, "retry", "action.retry", primary=True),
            _button(s, "home", "action.start_over"),
        ]
    else:
        view["actions"] = [_button(s, "home", "action.start_over", primary=True)]


def _done(
    view: View, state: FlowState, item: Any, catalog: Any, index: Any, s: Strings, online: bool
) -> None:
    _simple(view, state, item, catalog, index, s, online)
    view["actions"] = [_button(s, "end", "action.new_session", primary=True)]


_BUILDERS = {
    "attract": _attract,
    "home": _home,
    "search": _search,
    "group": _group,
    "groups": _groups,
    "section": _section,
    "item": _item,
    "partner": _partner,
    "zone": _choices,
    "day": _choices,
    "slot": _choices,
    "identify": _identify,
    "form": _form,
    "review": _review,
    "result": _result,
    "query_result": _query_result,
    "ticket": _ticket,
    "receipt_qr": _receipt_qr,
    "track_result": _track_result,
    "error": _error,
    "done": _done,
}
