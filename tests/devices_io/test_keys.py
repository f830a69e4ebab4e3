"""The keyboard-wedge key decoder on synthetic evdev event sequences."""

from __future__ import annotations

import evdev.ecodes as e
from hypothesis import given
from hypothesis import strategies as st

from devices.scanner.keys import EV_KEY, KeyDecoder, TypedCode

EV_SYN = 0
EV_MSC = 4


def press(code: int) -> list[tuple[int, int, int]]:
    return [(EV_MSC, 4, 458756), (EV_KEY, code, 1), (EV_SYN, 0, 0), (EV_KEY, code, 0), (EV_SYN, 0, 0)]


def shifted(code: int) -> list[tuple[int, int, int]]:
    return [(EV_KEY, e.KEY_LEFTSHIFT, 1), *press(code), (EV_KEY, e.KEY_LEFTSHIFT, 0)]


def type_text(text: str) -> list[tuple[int, int, int]]:
    """Events a US-layout wedge scanner sends for ``text`` followed by Enter."""
    shifted_symbols = {":": e.KEY_SEMICOLON, "_": e.KEY_MINUS, "?": e.KEY_SLASH, "&": e.KEY_7}
    plain_symbols = {"-": e.KEY_MINUS, "/": e.KEY_SLASH, ".": e.KEY_DOT, "=": e.KEY_EQUAL, ":": None}
    events: list[tuple[int, int, int]] = []
    for char in text:
        if char.isdigit():
            events += press(e.KEY_0 if char == "0" else getattr(e, f"KEY_{char}"))
        elif char.isalpha():
            code = getattr(e, f"KEY_{char.upper()}")
            events += shifted(code) if char.isupper() else press(code)
        elif char in shifted_symbols:
            events += shifted(shifted_symbols[char])
        else:
            code = plain_symbols[char]
            assert code is not None
            events += press(code)
    return events + press(e.KEY_ENTER)


def decode_all(events: list[tuple[int, int, int]]) -> list[TypedCode]:
    decoder = KeyDecoder()
    return [r for r in (decoder.feed(*ev) for ev in events) if r is not None]


def test_identity_code_with_shift_and_symbols() -> None:
    text = "cityapp:identity:v1:AbCd_Ef-0123456789xyz"
    assert decode_all(type_text(text)) == [TypedCode(text)]


def test_url_with_query() -> None:
    text = "https://example.org/a?b=1&c=D"
    assert decode_all(type_text(text)) == [TypedCode(text)]


def test_right_shift_and_caps_lock() -> None:
    events = [
        (EV_KEY, e.KEY_RIGHTSHIFT, 1), *press(e.KEY_A), (EV_KEY, e.KEY_RIGHTSHIFT, 0),
        *press(e.KEY_CAPSLOCK), *press(e.KEY_B), *shifted(e.KEY_C), *press(e.KEY_1),
        *press(e.KEY_CAPSLOCK), *press(e.KEY_D), *press(e.KEY_KPENTER),
    ]  # fmt: skip
    assert decode_all(events) == [TypedCode("ABc1d")]


def test_key_repeat_and_releases_do_not_type_twice() -> None:
    events = [(EV_KEY, e.KEY_X, 1), (EV_KEY, e.KEY_X, 2), (EV_KEY, e.KEY_X, 0), *press(e.KEY_ENTER)]
    assert decode_all(events) == [TypedCode("xx")]


def test_non_character_keys_are_counted_not_typed() -> None:
    events = [*press(e.KEY_A), *press(e.KEY_F5), *press(e.KEY_ENTER)]
    assert decode_all(events) == [TypedCode("a", undecodable=1)]


def test_alt_keypad_character_codes_are_undecodable_not_digits() -> None:
    # Alt+0233 is how some wedges type "é": the digits must not leak into the payload.
    keypad = [*press(e.KEY_KP0), *press(e.KEY_KP2), *press(e.KEY_KP3), *press(e.KEY_KP3)]
    events = [
        *press(e.KEY_C),
        (EV_KEY, e.KEY_LEFTALT, 1),
        *keypad,
        (EV_KEY, e.KEY_LEFTALT, 0),
        *press(e.KEY_ENTER),
    ]
    assert decode_all(events) == [TypedCode("c", undecodable=4)]


def test_two_codes_in_a_row_and_empty_enter_ignored() -> None:
    events = press(e.KEY_ENTER) + type_text("ab") + type_text("cd")
    assert decode_all(events) == [TypedCode("ab"), TypedCode("cd")]


def test_overlong_code_is_truncated_and_flagged() -> None:
    decoder = KeyDecoder(max_chars=3)
    results = [decoder.feed(*ev) for ev in type_text("abcdef")]
    assert [r for r in results if r is not None] == [TypedCode("abc", truncated=True)]


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 300), st.integers(-1, 3)), max_size=200))
def test_arbitrary_events_never_crash(events: list[tuple[int, int, int]]) -> None:
    decoder = KeyDecoder()
    for event in events:
        result = decoder.feed(*event)
        assert result is None or isinstance(result.text, str)
