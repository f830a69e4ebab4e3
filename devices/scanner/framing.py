"""Serial scanner framing: a code ends on the configured suffix followed by a short quiet spell,
or on a longer idle gap when no suffix arrives.

Why both: a QR payload may itself contain CR or CR LF, and a scanner may have its suffix switched
off. A scanner sends a whole code at wire speed, so a suffix that is immediately followed by more
bytes is part of the payload; a suffix followed by silence ends the code.

The framer is pure: the caller passes the current monotonic time with every call, which makes it
testable without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

SuffixName = Literal["cr", "crlf", "lf", "none"]
SUFFIXES: Final[dict[SuffixName, bytes]] = {"cr": b"\r", "crlf": b"\r\n", "lf": b"\n", "none": b""}

DEFAULT_SUFFIX_GAP_S: Final = 0.02
DEFAULT_IDLE_GAP_S: Final = 0.08
# The framer never holds more than this; a longer burst is cut and reported as oversize.
DEFAULT_MAX_FRAME_BYTES: Final = 4096


@dataclass(frozen=True, slots=True)
class Frame:
    """One framed payload (suffix removed). ``oversize`` means bytes were dropped: reject it."""

    data: bytes
    oversize: bool = False


@dataclass(slots=True)
class SerialFramer:
    """Accumulates bytes and cuts them into frames; see the module docstring for the rule."""

    suffix: bytes = b"\r"
    suffix_gap_s: float = DEFAULT_SUFFIX_GAP_S
    idle_gap_s: float = DEFAULT_IDLE_GAP_S
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    _buffer: bytearray = field(default_factory=bytearray)
    _last_byte_at: float = 0.0
    _oversize: bool = False

    def __post_init__(self) -> None:
        if self.suffix_gap_s <= 0 or self.idle_gap_s <= 0:
            raise ValueError("gaps must be positive")
        if self.max_frame_bytes < 1:
            raise ValueError("max_frame_bytes must be at least 1")

    def feed(self, data: bytes, now: float) -> list[Frame]:
        """Add ``data`` received at ``now``; returns the frames that ended before it (by a gap)."""
        frames: list[Frame] = []
        if not data:
            return self.poll(now)
        if self._buffer and now - self._last_byte_at >= self._gap_for_buffer():
            frames.append(self._take())
        room = self.max_frame_bytes - len(self._buffer)
        if len(data) > room:
            data = data[: max(room, 0)]
            self._oversize = True
        self._buffer += data
        self._last_byte_at = now
        return frames

    def poll(self, now: float) -> list[Frame]:
        """Return the pending frame if the line has been quiet long enough at ``now``."""
        if self._buffer and now - self._last_byte_at >= self._gap_for_buffer():
            return [self._take()]
        if self._oversize and not self._buffer:
            self._oversize = False
        return []

    def deadline(self) -> float | None:
        """When the pending frame ends if nothing more arrives (None: nothing pending)."""
        if not self._buffer:
            return None
        return self._last_byte_at + self._gap_for_buffer()

    def reset(self) -> None:
        """Drop anything pending (used when the scanner is disabled)."""
        self._buffer.clear()
        self._oversize = False

    def _gap_for_buffer(self) -> float:
        if self.suffix and self._buffer.endswith(self.suffix):
            return min(self.suffix_gap_s, self.idle_gap_s)
        return self.idle_gap_s

    def _take(self) -> Frame:
        data = bytes(self._buffer)
        if self.suffix and data.endswith(self.suffix):
            data = data[: -len(self.suffix)]
        frame = Frame(data, self._oversize)
        self._buffer.clear()
        self._oversize = False
        return frame
