"""Resident identity numbers (GB 11643): checksum and masking, the service's own copy."""

from __future__ import annotations

import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[1-9][0-9]{16}[0-9X]$")


def check_character(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def birth_date_of(value: str) -> date | None:
    """The birth date encoded in an identity number, or None when it is not a real date."""
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def is_valid_id_number(value: str) -> bool:
    """True for an 18-character number with a real birth date and a correct check character."""
    if not _SHAPE.match(value):
        return False
    if birth_date_of(value) is None:
        return False
    return check_character(value[:17]) == value[17]


def sex_of(value: str) -> str:
    """ "male" or "female" from the 17th digit."""
    return "male" if int(value[16]) % 2 == 1 else "female"


def mask_id_number(value: str) -> str:
    """First 6 and last 4 characters visible, ``*`` between (the project's one masking rule)."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """First 3 and last 4 digits of a phone number visible."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
