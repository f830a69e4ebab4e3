"""Citizen ID numbers: THE masking function and the GB 11643-1999 check.

``mask_id_number`` is the only way an ID number may be shown anywhere (screens, receipts, logs,
maintenance views): first 6 and last 4 characters kept, everything between (the birth date)
replaced by ``*``.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

__all__ = ["check_id_number", "id_number_birth_date", "id_number_sex", "mask_id_number"]

_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS: Final = "10X98765432"
_KEEP_HEAD: Final = 6
_KEEP_TAIL: Final = 4
_ASCII_DIGITS: Final = frozenset("0123456789")


def mask_id_number(value: str) -> str:
    """Keep the first 6 and last 4 characters, ``*`` for each one between.

    A value too short to keep 10 characters and still hide something is masked entirely: a
    masking function must never return its input unchanged.
    """
    if len(value) <= _KEEP_HEAD + _KEEP_TAIL:
        return "*" * len(value)
    hidden = len(value) - _KEEP_HEAD - _KEEP_TAIL
    return value[:_KEEP_HEAD] + "*" * hidden + value[-_KEEP_TAIL:]


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for 17 digits."""
    if len(first17) != 17 or not set(first17) <= _ASCII_DIGITS:
        raise ValueError("need exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def id_number_birth_date(value: str) -> dt.date | None:
    """The birth date coded in an 18-character number (positions 7–14), or None if not a date."""
    if len(value) != 18 or not set(value[6:14]) <= _ASCII_DIGITS:
        return None
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None
    # Nobody alive was born before 1850; a smaller year is a corrupted number.
    return born if born.year >= 1850 else None


def id_number_sex(value: str) -> Literal["male", "female"] | None:
    """The sex coded by the sequence digit (17th character): odd male, even female."""
    if len(value) != 18 or value[16] not in _ASCII_DIGITS:
        return None
    return "male" if int(value[16]) % 2 == 1 else "female"


def check_id_number(value: str) -> bool:
    """True if ``value`` is a well-formed 18-character GB 11643 number.

    Checks the digits, a real birth date, and the check character (``X`` in either case).
    """
    if len(value) != 18 or not set(value[:17]) <= _ASCII_DIGITS:
        return False
    if id_number_birth_date(value) is None:
        return False
    return check_character(value[:17]) == value[17].upper()
