"""Decoding a keyboard-wedge scanner's key events into text (US layout, Shift and Caps Lock).

Pure: it works on ``(type, code, value)`` triples as python-evdev delivers them, so it is tested
on synthetic sequences. Key codes are the Linux input ABI numbers (``linux/input-event-codes.h``),
which are stable, so python-evdev is not needed here.

Limitation: a wedge types keys, not characters; anything outside printable ASCII (Chinese
payloads, Alt+keypad sequences) cannot be carried. Those codes come out with ``undecodable > 0``
(any key pressed while Ctrl, Alt or Meta is held counts as undecodable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

EV_KEY: Final = 1
KEY_UP: Final = 0
KEY_DOWN: Final = 1
KEY_REPEAT: Final = 2

KEY_ENTER: Final = 28
KEY_KPENTER: Final = 96
KEY_LEFTSHIFT: Final = 42
KEY_RIGHTSHIFT: Final = 54
KEY_CAPSLOCK: Final = 58
# Ctrl, Alt and Meta: a key pressed while one is held is a command or an Alt+keypad character
# code (how some wedges type non-ASCII), never the plain character.
_CHORD_MODIFIERS: Final = frozenset({29, 56, 97, 100, 125, 126})
KEY_NUMLOCK: Final = 69

# code: (unshifted, shifted)
_KEYMAP: Final[dict[int, tuple[str, str]]] = {
    2: ("1", "!"), 3: ("2", "@"), 4: ("3", "#"), 5: ("4", "$"), 6: ("5", "%"),
    7: ("6", "^"), 8: ("7", "&"), 9: ("8", "*"), 10: ("9", "("), 11: ("0", ")"),
    12: ("-", "_"), 13: ("=", "+"), 15: ("\t", "\t"),
    16: ("q", "Q"), 17: ("w", "W"), 18: ("e", "E"), 19: ("r", "R"), 20: ("t", "T"),
    21: ("y", "Y"), 22: ("u", "U"), 23: ("i", "I"), 24: ("o", "O"), 25: ("p", "P"),
    26: ("[", "{"), 27: ("]", "}"),
    30: ("a", "A"), 31: ("s", "S"), 32: ("d", "D"), 33: ("f", "F"), 34: ("g", "G"),
    35: ("h", "H"), 36: ("j", "J"), 37: ("k", "K"), 38: ("l", "L"), 39: (";", ":"),
    40: ("'", '"'), 41: ("`", "~"), 43: ("\\", "|"),
    44: ("z", "Z"), 45: ("x", "X"), 46: ("c", "C"), 47: ("v", "V"), 48: ("b", "B"),
    49: ("n", "N"), 50: ("m", "M"), 51: (",", "<"), 52: (".", ">"), 53: ("/", "?"),
    55: ("*", "*"), 57: (" ", " "),
    71: ("7", "7"), 72: ("8", "8"), 73: ("9", "9"), 74: ("-", "-"), 75: ("4", "4"),
    76: ("5", "5"), 77: ("6", "6"), 78: ("+", "+"), 79: ("1", "1"), 80: ("2", "2"),
    81: ("3", "3"), 82: ("0", "0"), 83: (".", "."), 98: ("/", "/"),
}  # fmt: skip

DEFAULT_MAX_CHARS: Final = 4096


@dataclass(frozen=True, slots=True)
class TypedCode:
    """The text typed before Enter; ``undecodable`` counts key presses that were not characters."""

    text: str
    undecodable: int = 0
    truncated: bool = False


@dataclass(slots=True)
class KeyDecoder:
    """Feed key events; a completed code is returned when Enter is pressed."""

    max_chars: int = DEFAULT_MAX_CHARS
    _chars: list[str] = field(default_factory=list)
    _shift_down: set[int] = field(default_factory=set)
    _chord_down: set[int] = field(default_factory=set)
    _caps_lock: bool = False
    _undecodable: int = 0
    _truncated: bool = False

    def feed(self, event_type: int, code: int, value: int) -> TypedCode | None:
        """Process one input event; non-key events (EV_SYN, EV_MSC) are ignored."""
        if event_type != EV_KEY:
            return None
        for held, keys in (
            (self._shift_down, (KEY_LEFTSHIFT, KEY_RIGHTSHIFT)),
            (self._chord_down, _CHORD_MODIFIERS),
        ):
            if code in keys:
                if value == KEY_UP:
                    held.discard(code)
                else:
                    held.add(code)
                return None
        if value == KEY_UP:
            return None
        if code == KEY_CAPSLOCK:
            if value == KEY_DOWN:
                self._caps_lock = not self._caps_lock
            return None
        if code in (KEY_ENTER, KEY_KPENTER):
            return self._finish()
        if code == KEY_NUMLOCK:
            return None
        pair = _KEYMAP.get(code)
        if pair is None or self._chord_down:
            self._undecodable += 1
            return None
        self._append(self._character(pair))
        return None

    def reset(self) -> None:
        """Forget a half-typed code (e.g. the scanner was disabled mid-code)."""
        self._chars.clear()
        self._undecodable = 0
        self._truncated = False

    def _character(self, pair: tuple[str, str]) -> str:
        shifted = bool(self._shift_down)
        if self._caps_lock and pair[0].isalpha():
            shifted = not shifted
        return pair[1] if shifted else pair[0]

    def _append(self, char: str) -> None:
        if len(self._chars) >= self.max_chars:
            self._truncated = True
            return
        self._chars.append(char)

    def _finish(self) -> TypedCode | None:
        if not self._chars and not self._undecodable:
            return None
        result = TypedCode("".join(self._chars), self._undecodable, self._truncated)
        self.reset()
        return result
