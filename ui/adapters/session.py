"""Adapter for ``kiosk.session.Session`` and its ``Journey``: the screen's view, strings, idle state.

QML binds to ``view`` (what the current screen shows), ``s`` (the string table of the current language),
``elder``, ``language``, ``idlePhase``/``idleRemaining`` and ``online``; it calls ``act`` for every
button, ``touch`` for every tap. On a wipe every property is rebuilt from the (empty) core state, so no
property keeps a citizen's data.

The adapter exists before the session does: the window's first frame (the attract screen) is drawn from
``first_view`` while the flows are still loading, and ``attach`` hands it the session (``ready`` turns
true). A tap that comes in before then is kept and replayed at ``attach``, so nothing a citizen does is
lost. The flow modules are imported only at ``attach``: they take tens of milliseconds to import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.flows.first_view import first_view
from kiosk.i18n import Language, Strings

if TYPE_CHECKING:
    from kiosk.flows.steps import FlowState
    from kiosk.search import SearchIndex
    from kiosk.session import EndReason, Session

log = logging.getLogger(__name__)


class SessionAdapter(QObject):
    viewChanged = Signal()
    settingsChanged = Signal()
    idleChanged = Signal()
    onlineChanged = Signal()
    staffCalledChanged = Signal()
    speechPanelChanged = Signal()
    readyChanged = Signal()
    wiped = Signal(str)

    def __init__(self, language: Language = "zh_CN", elder: bool = False, volume: int = 70) -> None:
        """The attract screen in ``language`` and ``elder`` mode, until ``attach`` brings the session."""
        super().__init__()
        self._session: Session | None = None
        self._search: SearchIndex | None = None
        self._language, self._elder, self._volume = language, elder, volume
        self._strings = Strings(language)
        self._view: dict[str, Any] = first_view(self._strings)
        self._phase = "off"
        self._remaining = 0
        self._online = True  # not known yet: no offline notice until the core says so
        self._staff_called = False
        self._speech_panel = False
        self._early_taps: list[Callable[[], None]] = []

    def attach(self, session: Session, search: SearchIndex) -> None:
        """Take the session: from now on every property comes from it; early taps are replayed."""
        self._session = session
        self._search = search
        self._strings = Strings(session.language)
        self._online = session.journey.is_online
        session.journey.subscribe(self._on_state)
        session.on_change(self._on_settings)
        session.on_wipe(self._on_wipe)
        self.readyChanged.emit()
        self.settingsChanged.emit()
        self.onlineChanged.emit()
        self._rebuild()
        taps, self._early_taps = self._early_taps, []
        for tap in taps:
            tap()

    def _early(self, tap: Callable[[], None]) -> bool:
        """Before ``attach``: keep the tap for later and say so (the caller returns)."""
        if self._session is None:
            self._early_taps.append(tap)
            return True
        return False

    def _get_ready(self) -> bool:
        return self._session is not None

    ready = Property(bool, _get_ready, notify=readyChanged)

    # -- properties --------------------------------------------------------------------------------
    def current_view(self) -> dict[str, Any]:
        """The view as a Python dict (the ``view`` property is for QML)."""
        return self._view

    def _get_view(self) -> dict[str, Any]:
        return self._view

    def _get_strings(self) -> dict[str, str]:
        return self._strings.all()

    def _get_elder(self) -> bool:
        return self._session.elder_mode if self._session is not None else self._elder

    def _get_language(self) -> str:
        return self._session.language if self._session is not None else self._language

    def _get_phase(self) -> str:
        return self._phase

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
        if self._early(lambda: self.act(action, value)):
            return
        assert self._session is not None
        from kiosk.flows.journey import UnknownAction
        from kiosk.session import EndReason

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
        if self._session is not None:
            self._session.touch()
            self.tick()

    @Slot(str)
    def setLanguage(self, language: str) -> None:
        if self._early(lambda: self.setLanguage(language)):
            return
        assert self._session is not None
        self._session.set_language(language)

    @Slot(bool)
    def setElder(self, on: bool) -> None:
        if self._early(lambda: self.setElder(on)):
            return
        assert self._session is not None
        self._session.set_elder_mode(on)

    @Slot(int)
    def changeVolume(self, delta: int) -> None:
        if self._early(lambda: self.changeVolume(delta)):
            return
        assert self._session is not None
        self._session.set_volume(self._session.volume + delta)

    def _get_volume(self) -> int:
        return self._session.volume if self._session is not None else self._volume

    volume = Property(int, _get_volume, notify=settingsChanged)

    @Slot()
    def toggleSpeechPanel(self) -> None:
        if self._early(self.toggleSpeechPanel):
            return
        assert self._session is not None
        self._session.touch()
        self._speech_panel = not self._speech_panel
        self.speechPanelChanged.emit()

    def _get_speech_panel(self) -> bool:
        return self._speech_panel

    speechPanel = Property(bool, _get_speech_panel, notify=speechPanelChanged)

    @Slot()
    def callStaff(self) -> None:
        if self._early(self.callStaff):
            return
        assert self._session is not None
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
        if self._session is None:
            return
        phase = self._session.tick().value
        remaining = self._session.remaining()
        if (phase, remaining) != (self._phase, self._remaining):
            self._phase, self._remaining = phase, remaining
            self.idleChanged.emit()

    def set_search(self, index: SearchIndex) -> None:
        """Take the search index once it is built (it is built off the UI thread at start)."""
        self._search = index
        if self._session is not None:
            self._rebuild()

    def set_online(self, online: bool) -> None:
        if online != self._online:
            self._online = online
            self.onlineChanged.emit()
            if self._session is not None:
                self._rebuild()

    # -- core callbacks ------------------------------------------------------------------------------
    def _on_state(self, state: FlowState) -> None:
        self._rebuild()

    def _on_settings(self) -> None:
        assert self._session is not None
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
        from kiosk.flows.views import build_view

        assert self._session is not None and self._search is not None
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
