"""A citizen's session: language, elder mode, the idle countdown, and the wipe at the end.

Idle rule (WCAG 2.2.1): after ``idle_warning_s`` without a touch a visible, spoken countdown of
``countdown_s`` starts; one tap extends (as often as wanted); when it runs out the session ends. Elder
mode multiplies the idle limit by ``elder_idle_factor``. While the kiosk itself works (submitting,
printing) the countdown does not run. The attract screen has no session, so no countdown.

At the end of every session (timeout, finish, card removed mid-application) ``end`` wipes: the journey
drops the citizen's data and every wipe listener (UI adapters, models, the input method, the print
queue) clears its copy; language, elder mode and volume return to the kiosk's defaults.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.clock import Clock
from kiosk.flows.journey import Journey
from kiosk.flows.steps import FlowState
from kiosk.i18n import LANGUAGES, Language

log = logging.getLogger(__name__)


class IdlePhase(enum.Enum):
    OFF = "off"  # no session (attract screen) or the kiosk is working
    ACTIVE = "active"
    WARNING = "warning"
    EXPIRED = "expired"


class EndReason(enum.Enum):
    TIMEOUT = "timeout"
    FINISHED = "finished"
    CARD_REMOVED = "card_removed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class SessionSettings:
    idle_warning_s: float = 60.0
    countdown_s: float = 30.0
    elder_idle_factor: float = 2.0
    done_linger_s: float = 10.0
    default_language: Language = "zh_CN"
    default_elder_mode: bool = False
    default_volume: int = 70


class IdleTimer:
    """Counts idle time on a ``Clock``. ``touch`` restarts it; ``phase``/``remaining`` read it."""

    def __init__(self, clock: Clock, warning_after_s: float, countdown_s: float) -> None:
        self._clock = clock
        self.warning_after_s = warning_after_s
        self.countdown_s = countdown_s
        self.factor = 1.0
        self._last = clock.monotonic()
        self.extensions = 0

    def touch(self) -> None:
        if self.phase() is IdlePhase.WARNING:
            self.extensions += 1
        self._last = self._clock.monotonic()

    def idle_for(self) -> float:
        return self._clock.monotonic() - self._last

    def phase(self) -> IdlePhase:
        idle = self.idle_for()
        warn_at = self.warning_after_s * self.factor
        if idle < warn_at:
            return IdlePhase.ACTIVE
        if idle < warn_at + self.countdown_s:
            return IdlePhase.WARNING
        return IdlePhase.EXPIRED

    def remaining(self) -> int:
        """Whole seconds left in the visible countdown (the countdown length before it starts)."""
        left = self.warning_after_s * self.factor + self.countdown_s - self.idle_for()
        return max(0, min(int(self.countdown_s), int(left + 0.999)))


WipeListener = Callable[[EndReason], None]


class Session:
    """Wraps the journey with the session rules. Call ``tick`` about once a second from the UI loop."""

    def __init__(self, journey: Journey, clock: Clock, settings: SessionSettings) -> None:
        self.journey = journey
        self.settings = settings
        self._clock = clock
        self._idle = IdleTimer(clock, settings.idle_warning_s, settings.countdown_s)
        self._done_since: float | None = None
        self._wipe_listeners: list[WipeListener] = []
        self._change_listeners: list[Callable[[], None]] = []
        self.language: Language = settings.default_language
        self.elder_mode = settings.default_elder_mode
        self.volume = settings.default_volume
        self.ended_count = 0
        self._apply_factor()
        journey.subscribe(self._on_state)

    # -- listeners ---------------------------------------------------------------------------------
    def on_wipe(self, listener: WipeListener) -> None:
        self._wipe_listeners.append(listener)

    def on_change(self, listener: Callable[[], None]) -> None:
        """Language, elder mode, volume or idle phase changed."""
        self._change_listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._change_listeners):
            listener()

    # -- citizen settings --------------------------------------------------------------------------
    def set_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language: {language!r}")
        self.language = language
        self.touch()
        self._changed()

    def set_elder_mode(self, on: bool) -> None:
        self.elder_mode = on
        self._apply_factor()
        self.touch()
        self._changed()

    def set_volume(self, volume: int) -> None:
        self.volume = max(0, min(100, volume))
        self.touch()
        self._changed()

    def _apply_factor(self) -> None:
        self._idle.factor = self.settings.elder_idle_factor if self.elder_mode else 1.0

    # -- idle ----------------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.journey.state.step != "attract"

    def touch(self) -> None:
        """Any tap: restarts the idle timer (and so extends a running countdown)."""
        was_warning = self.phase() is IdlePhase.WARNING
        self._idle.touch()
        if was_warning:
            self._changed()

    def phase(self) -> IdlePhase:
        if not self.active or self.journey.is_working or self.journey.state.step == "done":
            return IdlePhase.OFF
        return self._idle.phase()

    def remaining(self) -> int:
        return self._idle.remaining()

    @property
    def extensions(self) -> int:
        return self._idle.extensions

    def tick(self) -> IdlePhase:
        """Check the clock; ends the session when the countdown ran out or the goodbye lingered enough."""
        if self._done_since is not None:
            if self._clock.monotonic() - self._done_since >= self.settings.done_linger_s:
                self.end(EndReason.FINISHED)
            return IdlePhase.OFF
        if self.journey.is_working:
            # The kiosk's own work does not count as the citizen's idle time.
            self._idle.touch()
            return IdlePhase.OFF
        phase = self.phase()
        if phase is IdlePhase.EXPIRED:
            self.end(EndReason.TIMEOUT)
        return phase

    def card_removed(self) -> None:
        if self.journey.card_removed():
            self.end(EndReason.CARD_REMOVED)

    # -- the end -------------------------------------------------------------------------------------
    def end(self, reason: EndReason) -> None:
        """Wipe everything the citizen left and reset to the kiosk's defaults."""
        log.info("session ended", extra={"reason": reason.value})
        self._done_since = None
        self.journey.reset()
        self.language = self.settings.default_language
        self.elder_mode = self.settings.default_elder_mode
        self.volume = self.settings.default_volume
        self._apply_factor()
        self._idle = IdleTimer(self._clock, self.settings.idle_warning_s, self.settings.countdown_s)
        self._apply_factor()
        self.ended_count += 1
        for listener in list(self._wipe_listeners):
            listener(reason)
        self._changed()

    def _on_state(self, state: FlowState) -> None:
        if state.step == "done":
            if self._done_since is None:
                self._done_since = self._clock.monotonic()
        else:
            self._done_since = None
        if state.step != "attract":
            self._idle.touch()
