"""Suppressing repeats: a camera sees the same code in many consecutive frames."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

DEFAULT_WINDOW_S: Final = 2.0


@dataclass(slots=True)
class RepeatFilter:
    """``accept(payload, now)`` is False for a payload already accepted less than ``window_s`` ago.

    Seeing the payload again while it is suppressed extends the window, so a code held still in
    front of the camera is reported once, not every two seconds.
    """

    window_s: float = DEFAULT_WINDOW_S
    _last_seen: dict[bytes, float] = field(default_factory=dict)

    def accept(self, payload: bytes, now: float) -> bool:
        self._forget_before(now - self.window_s)
        seen = payload in self._last_seen
        self._last_seen[payload] = now
        return not seen

    def clear(self) -> None:
        self._last_seen.clear()

    def _forget_before(self, cutoff: float) -> None:
        for key in [k for k, t in self._last_seen.items() if t < cutoff]:
            del self._last_seen[key]
