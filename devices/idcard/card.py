"""The data read from an identity card, as the application sees it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
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
        """The card as a JSON-ready dict (ISO dates). ``masked`` masks the ID and pass numbers."""

        def iso(value: dt.date | str | None) -> str | None:
            return value.isoformat() if isinstance(value, dt.date) else value

        def hide(value: str | None) -> str | None:
            return mask_id_number(value) if masked and value is not None else value

        return {
            "card_type": self.card_type,
            "name": self.name,
            "name_en": self.name_en,
            "sex": self.sex,
            "nation": self.nation,
            "nation_code": self.nation_code,
            "birth_date": iso(self.birth_date),
            "address": self.address,
            "appended_address": self.appended_address,
            "id_number": hide(self.id_number),
            "issuer": self.issuer,
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
