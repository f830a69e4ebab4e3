"""Adapter for ``kiosk.session.Session`` and its ``Journey``: the screen's view, strings, idle state.

QML binds to ``view`` (what the current screen shows), ``s`` (the string table of the current language),
``elder``, ``language``, ``idlePhase``/``idleRemaining`` and ``online``; it calls ``act`` for every
button, ``touch`` for every tap. On a wipe every property is rebuilt from the (empty) core state, so no
property keeps a citizen's data.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.flows.journey import UnknownAction
from kiosk.flows.steps import FlowState
from kiosk.flows.views import build_view
from kiosk.i18n import Strings
from kiosk.search import SearchIndex
from kiosk.session import EndReason, IdlePhase, Session

log = logging.getLogger(__name__)


class SessionAdapter(QObject):
    viewChanged = Signal()
    settingsChanged = Signal()
    idleChanged = Signal()
    onlineChanged = Signal()
    staffCalledChanged = Signal()
    speechPanelChanged = Signal()
    wiped = Signal(str)

    def __init__(self, session: Session, search: SearchIndex) -> None:
        super().__init__()
        self._session = session
        self._search = search
        self._strings = Strings(session.language)
        self._view: dict[str, Any] = {}
        self._phase = IdlePhase.OFF
        self._remaining = 0
        self._online = session.journey.is_online
        self._staff_called = False
        self._speech_panel = False
        session.journey.subscribe(self._on_state)
        session.on_change(self._on_settings)
        session.on_wipe(self._on_wipe)
        self._rebuild()

    # -- properties --------------------------------------------------------------------------------
    def current_view(self) -> dict[str, Any]:
        """The view as a Python dict (the ``view`` property is for QML)."""
        return self._view

    def _get_view(self) -> dict[str, Any]:
        return self._view

    def _get_strings(self) -> dict[str, str]:
        return self._strings.all()

    def _get_elder(self) -> bool:
        return self._session.elder_mode

    def _get_language(self) -> str:
        return self._session.language

    def _get_phase(self) -> str:
        return self._phase.value

    def _get_remaining(self) -> int:
        return self._remaining

    def _get_online(self) -> bool:
        return self._online

    def _get_staff(self) -> bool:
        return self._staff_called

    view = Property(
        "QVariantMap",  # type: ignore[arg-type]  # Qt type by name
        _get_view,
        notify=viewChanged,
    )
    s = Property(
        "QVariantMap",  # type: ignore[arg-type]  # Qt type by name
        _get_strings,
        notify=settingsChanged,
    )
    elder = Property(bool, _get_elder, notify=settingsChanged)
    language = Property(str, _get_language, notify=settingsChanged)
    idlePhase = Property(str, _get_phase, notify=idleChanged)
    idleRemaining = Property(int, _get_remaining, notify=idleChanged)
    online = Property(bool, _get_online, notify=onlineChanged)
    staffCalled = Property(bool, _get_staff, notify=staffCalledChanged)

    # -- slots ---------------------------------------------------------------------------------------
    @Slot(str, str)
    def act(self, action: str, value: str) -> None:
        self._session.touch()
        if action == "end":
            self._session.end(EndReason.FINISHED)
            return
        try:
            self._session.journey.act(action, value)
        except UnknownAction:
            log.error("unknown UI action", extra={"action": action})

    @Slot()
    def touch(self) -> None:
        self._session.touch()
        self.tick()

    @Slot(str)
    def setLanguage(self, language: str) -> None:
        self._session.set_language(language)

    @Slot(bool)
    def setElder(self, on: bool) -> None:
        self._session.set_elder_mode(on)

    @Slot(int)
    def changeVolume(self, delta: int) -> None:
        self._session.set_volume(self._session.volume + delta)

    def _get_volume(self) -> int:
        return self._session.volume

    volume = Property(int, _get_volume, notify=settingsChanged)

    @Slot()
    def toggleSpeechPanel(self) -> None:
        self._session.touch()
        self._speech_panel = not self._speech_panel
        self.speechPanelChanged.emit()

    def _get_speech_panel(self) -> bool:
        return self._speech_panel

    speechPanel = Property(bool, _get_speech_panel, notify=speechPanelChanged)

    @Slot()
    def callStaff(self) -> None:
        self._session.touch()
        self._staff_called = True
        self.staffCalledChanged.emit()
        log.info("staff called", extra={"screen": self._session.journey.state.step})

    @Slot()
    def dismissStaff(self) -> None:
        self._staff_called = False
        self.staffCalledChanged.emit()

    @Slot()
    def tick(self) -> None:
        phase = self._session.tick()
        remaining = self._session.remaining()
        if (phase, remaining) != (self._phase, self._remaining):
            self._phase, self._remaining = phase, remaining
            self.idleChanged.emit()

    def set_search(self, index: SearchIndex) -> None:
        """Take the search index once it is built (it is built off the UI thread at start)."""
        self._search = index
        self._rebuild()

    def set_online(self, online: bool) -> None:
        if online != self._online:
            self._online = online
            self.onlineChanged.emit()
            self._rebuild()

    # -- core callbacks ------------------------------------------------------------------------------
    def _on_state(self, state: FlowState) -> None:
        self._rebuild()

    def _on_settings(self) -> None:
        if self._strings.language != self._session.language:
            self._strings = Strings(self._session.language)
        self.settingsChanged.emit()
        self._rebuild()
        self.tick()

    def _on_wipe(self, reason: EndReason) -> None:
        self._staff_called = False
        self._speech_panel = False
        self.staffCalledChanged.emit()
        self.speechPanelChanged.emit()
        self._rebuild()
        self.wiped.emit(reason.value)

    def _rebuild(self) -> None:
        journey = self._session.journey
        self._view = build_view(
            journey.state,
            journey.catalog,
            self._search,
            self._strings,
            online=self._online,
            can_back=journey.can_go_back,
            # As many list entries as fit without scrolling: 3×3 standard, 2×2 elder.
            page_size=4 if self._session.elder_mode else 9,
            elder=self._session.elder_mode,
        )
        self.viewChanged.emit()
