"""The attract screen's view as the window's first frame shows it, before the flows are loaded.

It needs nothing but the string table, so the kiosk can draw its first frame while the flows, the
catalogue, the devices and the outbox are still being imported and opened. Once the core is attached,
``kiosk.flows.views.build_view`` takes over; for the initial state and a catalogue without items it
returns this same dict (a test holds the two together), so the screen does not change under a citizen.
"""

from __future__ import annotations

from typing import Any

from kiosk.i18n import Strings


def spoken(parts: list[str], language: str) -> str:
    """The parts read as sentences: a full stop after each, unless it already ends with one ("?")."""
    zh = language == "zh_CN"
    pieces = []
    for part in parts[:-1]:
        if part[-1] in "。？！.?!":
            pieces.append(part if zh else part + " ")
        else:
            pieces.append(part + ("。" if zh else ". "))
    return "".join(pieces) + (parts[-1] if parts else "")


def first_view(s: Strings) -> dict[str, Any]:
    """The attract screen in the language of ``s``, without the most-used items (no catalogue yet)."""
    title, subtitle = s.text("screen.attract.title"), s.text("screen.attract.body")
    return {
        "screen": "attract",
        "title": title,
        "subtitle": subtitle,
        "canBack": False,
        "canHome": False,
        "stepText": "",
        "notice": "",
        "actions": [],
        "rows": [],
        "options": [],
        "lines": [],
        "speech": spoken([title, subtitle], s.language),
    }
