"""The data read from an identity card, as the application sees it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from devices.idcard.idnumber import mask_id_number

__all__ = ["CARD_TYPES", "LONG_TERM", "SEXES", "CardType", "IdCard", "Photo", "Sex"]

CardType = Literal["resident", "hmt_permit", "foreign_2017", "foreign_2023"]
Sex = Literal["male", "female", "unknown", "unspecified"]
CARD_TYPES: Final[tuple[CardType, ...]] = ("resident", "hmt_permit", "foreign_2017", "foreign_2023")
SEXES: Final[tuple[Sex, ...]] = ("male", "female", "unknown", "unspecified")
LONG_TERM: Final = "long-term"
"""``valid_to`` of a card that never expires ("长期" on the card)."""

ValidTo = dt.date | Literal["long-term"]


@dataclass(frozen=True)
class Photo:
    """A decoded card photo: raw BGR pixels, row by row."""

    width: int
    height: int
    bgr: bytes = field(repr=False)


@dataclass(frozen=True)
class IdCard:
    """One card as read. Fields a card type lacks are None.

    ``id_number_valid`` and ``problems`` are the reader's verdict: a card whose number fails the
    GB 11643 check, whose sex or birth date disagrees with its number, or whose fields do not
    decode is still delivered, but says so (problem codes such as ``id_number_check_failed``,
    ``sex_mismatch``, ``birth_date_mismatch``, ``bad_date:valid_from``). ``photo`` is None unless a
    licensed decoder is installed; it is never part of ``to_json``, ``repr`` or equality.

    ``repr`` masks the ID and pass numbers, so a card that reaches a log line does not leak them.
    """

    card_type: CardType
    name: str
    name_en: str | None
    sex: Sex
    nation: str | None
    nation_code: str | None
    birth_date: dt.date | None
    address: str | None
    appended_address: str | None
    id_number: str
    issuer: str | None
    valid_from: dt.date | None
    valid_to: ValidTo | None
    pass_number: str | None
    issue_count: int | None
    nationality: str | None
    id_number_valid: bool
    problems: tuple[str, ...] = ()
    photo: Photo | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        return (
            f"IdCard(card_type={self.card_type!r}, id_number={mask_id_number(self.id_number)!r}, "
            f"id_number_valid={self.id_number_valid}, problems={self.problems!r})"
        )

    def to_json(self, masked: bool = True) -> dict[str, Any]:
        """The card as a JSON-ready dict (ISO dates); personal fields are masked unless ``masked`` is False.

        Masked, the ID and pass numbers go through ``mask_id_number``; the names keep their first
        character (as the screens greet a citizen), the addresses and the issuer a short prefix (the
        province, usually), and the birth date is hidden whole (the masked ID number hides it too),
        as are the ethnic group and its code. Every masked value keeps its length and ``None`` stays
        ``None``, so a technician still sees which fields were read and that they decoded. Card type,
        sex (visible in the masked number anyway), nationality (likewise, for foreign cards),
        validity dates, issue count and the reader's verdict stay in clear: they are what a technician
        checks. Only ``masked=False`` output can be read back by ``from_json``.
        """

        def iso(value: dt.date | str | None) -> str | None:
            return value.isoformat() if isinstance(value, dt.date) else value

        def hide(value: str | None) -> str | None:
            return mask_id_number(value) if masked and value is not None else value

        def hide_with(mask: Callable[[str], str], value: str | None) -> str | None:
            return mask(value) if masked and value is not None else value

        birth_date = iso(self.birth_date)
        return {
            "card_type": self.card_type,
            "name": hide_with(_mask_name, self.name),
            "name_en": hide_with(_mask_name, self.name_en),
            "sex": self.sex,
            "nation": hide_with(_mask_all, self.nation),
            "nation_code": hide_with(_mask_all, self.nation_code),
            "birth_date": hide_with(_mask_date, birth_date),
            "address": hide_with(_mask_place, self.address),
            "appended_address": hide_with(_mask_place, self.appended_address),
            "id_number": hide(self.id_number),
            "issuer": hide_with(_mask_place, self.issuer),
            "valid_from": iso(self.valid_from),
            "valid_to": iso(self.valid_to),
            "pass_number": hide(self.pass_number),
            "issue_count": self.issue_count,
            "nationality": self.nationality,
            "id_number_valid": self.id_number_valid,
            "problems": list(self.problems),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IdCard:
        """Rebuild a card from ``to_json(masked=False)`` output (emulator card files).

        Raises ``ValueError`` naming the offending key. ``id_number_valid`` and ``problems`` are
        taken as given: a card file describes what is printed on a card, not a verdict.
        """
        unknown = set(data) - {f for f in cls.__dataclass_fields__ if f != "photo"}
        if unknown:
            raise ValueError(f"unknown card keys: {', '.join(sorted(unknown))}")

        def text(key: str, *, required: bool = False) -> str | None:
            value = data.get(key)
            if value is None and not required:
                return None
            if not isinstance(value, str):
                raise ValueError(f"card key {key!r} must be a string")
            return value

        def date(key: str) -> dt.date | None:
            value = text(key)
            if value is None:
                return None
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"card key {key!r} must be an ISO date") from None

        card_type = data.get("card_type", "resident")
        if card_type not in CARD_TYPES:
            raise ValueError(f"card key 'card_type' must be one of {', '.join(CARD_TYPES)}")
        sex = data.get("sex", "unknown")
        if sex not in SEXES:
            raise ValueError(f"card key 'sex' must be one of {', '.join(SEXES)}")
        valid_to_text = text("valid_to")
        valid_to: ValidTo | None = LONG_TERM if valid_to_text == LONG_TERM else date("valid_to")
        issue_count = data.get("issue_count")
        if issue_count is not None and (not isinstance(issue_count, int) or isinstance(issue_count, bool)):
            raise ValueError("card key 'issue_count' must be an integer")
        problems = data.get("problems", [])
        if not isinstance(problems, list | tuple) or not all(isinstance(p, str) for p in problems):
            raise ValueError("card key 'problems' must be a list of strings")
        return cls(
            card_type=card_type,
            name=text("name", required=True) or "",
            name_en=text("name_en"),
            sex=sex,
            nation=text("nation"),
            nation_code=text("nation_code"),
            birth_date=date("birth_date"),
            address=text("address"),
            appended_address=text("appended_address"),
            id_number=text("id_number", required=True) or "",
            issuer=text("issuer"),
            valid_from=date("valid_from"),
            valid_to=valid_to,
            pass_number=text("pass_number"),
            issue_count=issue_count,
            nationality=text("nationality"),
            id_number_valid=bool(data.get("id_number_valid", True)),
            problems=tuple(problems),
        )


# Masks for ``to_json``. Each keeps the value's length (a technician checks that a field decoded
# whole) and never returns a non-empty value unchanged.
_PLACE_PREFIX: Final = 3
"""Characters an address or issuer keeps: the province or municipality ("北京市", "广东省")."""


def _mask_all(value: str) -> str:
    return "*" * len(value)


def _mask_name(value: str) -> str:
    """First character (the surname, usually) kept: 王小明 → 王**, as the screens greet a citizen."""
    return value[:1] + "*" * (len(value) - 1) if len(value) > 1 else _mask_all(value)


def _mask_place(value: str) -> str:
    """A short prefix kept; a value too short to hide anything behind it is masked whole."""
    if len(value) <= 2 * _PLACE_PREFIX:
        return _mask_all(value)
    return value[:_PLACE_PREFIX] + "*" * (len(value) - _PLACE_PREFIX)


def _mask_date(value: str) -> str:
    """Digits hidden, separators kept: 1990-01-01 → ****-**-**."""
    return "".join("*" if char.isdigit() else char for char in value)
