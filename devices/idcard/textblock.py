"""The 256-byte text block of a card, in both directions.

The block is UTF-16LE padded with spaces; the character at offset 248 says which of four layouts
it uses. The layouts are tables (``LAYOUTS``), so decoding (``decode_text_block``) and encoding
(``encode_text_block``, used by the emulator and the tests) cannot drift apart.

Decoding never raises on the content of a block: fields that do not decode become None and add a
problem code to the card. Only a block of the wrong size raises ``CardDecodeError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from devices.base import DeviceProtocolError
from devices.idcard.card import LONG_TERM, CardType, IdCard, Sex, ValidTo
from devices.idcard.idnumber import check_id_number, id_number_birth_date, id_number_sex
from devices.idcard.nations import NATIONS

__all__ = ["LAYOUTS", "TEXT_BLOCK_SIZE", "CardDecodeError", "decode_text_block", "encode_text_block"]

TEXT_BLOCK_SIZE: Final = 256
_FLAG_OFFSET: Final = 248
_PAD: Final = " "
_LONG_TERM_TEXT: Final = "长期"


class CardDecodeError(DeviceProtocolError):
    """The reader returned a text block that cannot be a card's."""

    default_code = "card_undecodable"


@dataclass(frozen=True)
class Slot:
    """One field of a layout: byte offset and size inside the text block."""

    name: str
    offset: int
    size: int


_COMMON_FRONT: Final = (
    Slot("name", 0, 30),
    Slot("sex", 30, 2),
)
_COMMON_BACK: Final = (
    Slot("birth_date", 36, 16),
    Slot("address", 52, 70),
    Slot("id_number", 122, 36),
    Slot("issuer", 158, 30),
    Slot("valid_from", 188, 16),
    Slot("valid_to", 204, 16),
)

LAYOUTS: Final[Mapping[CardType, tuple[Slot, ...]]] = MappingProxyType(
    {
        "resident": (*_COMMON_FRONT, Slot("nation_code", 32, 4), *_COMMON_BACK),
        # Same as the resident card, nation field reserved, then pass number and issue count.
        "hmt_permit": (
            *_COMMON_FRONT,
            *_COMMON_BACK,
            Slot("pass_number", 220, 18),
            Slot("issue_count", 238, 4),
        ),
        "foreign_2017": (
            Slot("name_en", 0, 120),
            Slot("sex", 120, 2),
            Slot("id_number", 122, 30),
            Slot("nationality", 152, 6),
            Slot("name", 158, 30),
            Slot("valid_from", 188, 16),
            Slot("valid_to", 204, 16),
            Slot("birth_date", 220, 16),
            Slot("card_version", 236, 4),
            Slot("issuer", 240, 8),  # an authority code, e.g. "1500"
        ),
        "foreign_2023": (
            *_COMMON_FRONT,
            Slot("issue_count", 32, 4),
            Slot("birth_date", 36, 16),
            Slot("name_en", 52, 70),
            Slot("id_number", 122, 36),
            # Assumption: the issuing authority sits where the resident card has it.
            Slot("issuer", 158, 30),
            Slot("valid_from", 188, 16),
            Slot("valid_to", 204, 16),
            Slot("name_en_2", 220, 22),
            Slot("nationality", 242, 6),
            Slot("previous_card", 250, 6),
        ),
    }
)

_FLAGS: Final[Mapping[str, CardType]] = MappingProxyType(
    {" ": "resident", "\x00": "resident", "J": "hmt_permit", "I": "foreign_2017", "Y": "foreign_2023"}
)
_FLAG_OF: Final[Mapping[CardType, str]] = MappingProxyType(
    {"resident": " ", "hmt_permit": "J", "foreign_2017": "I", "foreign_2023": "Y"}
)
_SEX_CODES: Final[Mapping[str, Sex]] = MappingProxyType(
    {"1": "male", "2": "female", "0": "unknown", "9": "unspecified"}
)
_SEX_OF: Final[Mapping[Sex, str]] = MappingProxyType({sex: code for code, sex in _SEX_CODES.items()})


class _Fields:
    """Raw field strings of one block, collecting problem codes as fields are interpreted."""

    def __init__(self, block: bytes, layout: tuple[Slot, ...]) -> None:
        self.problems: list[str] = []
        self.raw: dict[str, str] = {}
        for slot in layout:
            chunk = block[slot.offset : slot.offset + slot.size]
            try:
                text = chunk.decode("utf-16-le")
            except UnicodeDecodeError:
                # A lone surrogate: keep what decodes, but say the field is damaged.
                text = chunk.decode("utf-16-le", errors="replace")
                self.problems.append(f"undecodable:{slot.name}")
            self.raw[slot.name] = text.rstrip(" \x00")  # fields are padded at the end only

    def text(self, name: str) -> str | None:
        value = self.raw.get(name)
        return value or None

    def date(self, name: str) -> dt.date | None:
        value = self.raw.get(name)
        if not value:
            return None
        parsed = _parse_date(value)
        if parsed is None:
            self.problems.append(f"bad_date:{name}")
        return parsed

    def number(self, name: str) -> int | None:
        value = self.raw.get(name)
        if not value:
            return None
        if value.isascii() and value.isdigit():
            return int(value)
        self.problems.append(f"bad_number:{name}")
        return None


def _parse_date(value: str) -> dt.date | None:
    if len(value) != 8 or not (value.isascii() and value.isdigit()):
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def card_type_of(block: bytes) -> CardType | None:
    """The card type the flag at offset 248 announces, or None for an unknown flag."""
    flag = block[_FLAG_OFFSET : _FLAG_OFFSET + 2].decode("utf-16-le", errors="replace")
    return _FLAGS.get(flag)


def decode_text_block(block: bytes, *, appended_address: str | None = None) -> IdCard:
    """Decode one 256-byte text block into an ``IdCard`` with its validation verdict."""
    if len(block) != TEXT_BLOCK_SIZE:
        raise CardDecodeError(f"text block is {len(block)} bytes, expected {TEXT_BLOCK_SIZE}")
    card_type = card_type_of(block)
    if card_type is None:
        raise CardDecodeError("text block carries an unknown card-type flag", code="unsupported_card")
    fields = _Fields(block, LAYOUTS[card_type])

    sex_code = fields.raw.get("sex", "")
    sex = _SEX_CODES.get(sex_code)
    if sex is None:
        fields.problems.append("bad_sex_code")
        sex = "unknown"

    nation_code = fields.text("nation_code")
    nation: str | None = None
    if nation_code is not None:
        nation = NATIONS.get(nation_code)
        if nation is None:
            fields.problems.append("unknown_nation_code")

    long_term = fields.raw.get("valid_to") == _LONG_TERM_TEXT
    valid_to: ValidTo | None = LONG_TERM if long_term else fields.date("valid_to")

    name_en = fields.text("name_en")
    if card_type == "foreign_2023":
        # The English name continues in a second field. A full first part runs straight on
        # (the name was cut mid-word); a padded one ended at a word boundary.
        first, second = fields.raw.get("name_en", ""), fields.raw.get("name_en_2", "")
        first_full = len(first) == _slot_chars("foreign_2023", "name_en")
        name_en = " ".join((first + ("" if first_full else " ") + second).split()) or None
    elif name_en is not None:
        name_en = " ".join(name_en.split())

    id_number = fields.raw.get("id_number", "")
    birth_date = fields.date("birth_date")
    id_number_valid = _check_number(card_type, id_number, sex, birth_date, fields.problems)

    return IdCard(
        card_type=card_type,
        name=fields.raw.get("name", ""),
        name_en=name_en,
        sex=sex,
        nation=nation,
        nation_code=nation_code,
        birth_date=birth_date,
        address=fields.text("address"),
        appended_address=appended_address or None,
        id_number=id_number,
        issuer=fields.text("issuer"),
        valid_from=fields.date("valid_from"),
        valid_to=valid_to,
        pass_number=fields.text("pass_number"),
        issue_count=fields.number("issue_count"),
        nationality=fields.text("nationality"),
        id_number_valid=id_number_valid,
        problems=tuple(fields.problems),
    )


def _check_number(
    card_type: CardType, id_number: str, sex: Sex, birth_date: dt.date | None, problems: list[str]
) -> bool:
    """Validate the number and cross-check it against the card's own fields."""
    if card_type == "foreign_2017":
        # These 15-character numbers (3 letters, 12 digits) carry no GB 11643 check character.
        valid = (
            len(id_number) == 15
            and id_number[:3].isascii()
            and id_number[:3].isalpha()
            and id_number[:3].isupper()
            and id_number[3:].isascii()
            and id_number[3:].isdigit()
        )
        if not valid:
            problems.append("id_number_format")
        return valid
    if not check_id_number(id_number):
        problems.append("id_number_check_failed")
        return False
    coded_sex = id_number_sex(id_number)
    if sex in ("male", "female") and coded_sex != sex:
        problems.append("sex_mismatch")
    if birth_date is not None and id_number_birth_date(id_number) != birth_date:
        problems.append("birth_date_mismatch")
    return True


def encode_text_block(card: IdCard, **extra: str) -> bytes:
    """The text block a reader would return for ``card`` (emulator and test fixtures).

    ``extra`` fills layout fields that ``IdCard`` does not carry (``card_version``,
    ``previous_card``). Raises ``ValueError`` if a value does not fit its field.
    """
    layout = LAYOUTS[card.card_type]
    values: dict[str, str] = {
        "name": card.name,
        "sex": _SEX_OF[card.sex],
        "nation_code": card.nation_code or "",
        "birth_date": _date_text(card.birth_date),
        "address": card.address or "",
        "id_number": card.id_number,
        "issuer": card.issuer or "",
        "valid_from": _date_text(card.valid_from),
        "valid_to": _LONG_TERM_TEXT if card.valid_to == LONG_TERM else _date_text(card.valid_to),
        "pass_number": card.pass_number or "",
        "issue_count": "" if card.issue_count is None else f"{card.issue_count:02d}",
        "nationality": card.nationality or "",
        "name_en": card.name_en or "",
        **extra,
    }
    block = bytearray((_PAD * (TEXT_BLOCK_SIZE // 2)).encode("utf-16-le"))
    for slot in layout:
        value = values.get(slot.name, "")
        if slot.name == "name_en" and card.card_type == "foreign_2023":
            # Split the English name over its two fields, as the card does.
            first_size = slot.size // 2
            value, values["name_en_2"] = value[:first_size], value[first_size:]
        encoded = value.encode("utf-16-le")
        if len(encoded) > slot.size:
            raise ValueError(f"{slot.name} does not fit its {slot.size}-byte field")
        block[slot.offset : slot.offset + len(encoded)] = encoded
    block[_FLAG_OFFSET : _FLAG_OFFSET + 2] = _FLAG_OF[card.card_type].encode("utf-16-le")
    return bytes(block)


def _slot_chars(card_type: CardType, name: str) -> int:
    """How many UTF-16 code units a field holds."""
    return next(slot.size for slot in LAYOUTS[card_type] if slot.name == name) // 2


def _date_text(value: dt.date | str | None) -> str:
    return value.strftime("%Y%m%d") if isinstance(value, dt.date) else ""
