"""Form fields the kiosk may ask for, and how each answer is checked.

Only what the government does not already hold is asked: name, ID number, sex, birth date and address
come from the ID card or the identity code, never from a form. Each field is one question on one screen.
``kind`` tells the UI which input to show: ``digits``/``phone``/``amount``/``id_number`` use the kiosk's own
numeric keypad, ``choice`` shows big buttons. Labels and hints are i18n keys ``field.<key>.label`` and
``field.<key>.hint``; choice labels are ``choice.<field>.<value>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from devices.idcard.idnumber import check_id_number

FieldKind = Literal["digits", "phone", "amount", "id_number", "choice"]


@dataclass(frozen=True)
class FieldSpec:
    key: str
    kind: FieldKind
    min_length: int = 1
    max_length: int = 32
    choices: tuple[str, ...] = ()

    @property
    def label_key(self) -> str:
        return f"field.{self.key}.label"

    @property
    def name_key(self) -> str:
        """The short name shown on the review screen and receipts."""
        return f"field.{self.key}.name"

    @property
    def hint_key(self) -> str:
        return f"field.{self.key}.hint"

    def choice_key(self, value: str) -> str:
        return f"choice.{self.key}.{value}"


FIELDS: dict[str, FieldSpec] = {
    spec.key: spec
    for spec in (
        FieldSpec("phone", "phone", 11, 11),
        FieldSpec("bank_account", "digits", 16, 19),
        FieldSpec("equipment_record", "digits", 6, 12),
        FieldSpec("amount", "amount", 1, 10),
        FieldSpec("agent_id_number", "id_number", 18, 18),
        FieldSpec("dereg_reason", "choice", choices=("scrapped", "sold", "transferred")),
        FieldSpec("certificate_use", "choice", choices=("job", "loan", "visa", "other")),
        FieldSpec("review_reason", "choice", choices=("facts_wrong", "circumstances", "explain")),
    )
}

_PHONE = re.compile(r"^1[3-9]\d{9}$")


class UnknownField(KeyError):
    """An item names a form field this kiosk does not know (catalogue newer than the software)."""


def field_spec(key: str) -> FieldSpec:
    try:
        return FIELDS[key]
    except KeyError:
        raise UnknownField(key) from None


def validate(spec: FieldSpec, value: str) -> str | None:
    """``None`` when ``value`` is acceptable, else the i18n key of an error that says how to fix it."""
    if not value:
        return "error.field.required"
    if spec.kind == "choice":
        return None if value in spec.choices else "error.field.choice"
    if spec.kind == "phone":
        return None if _PHONE.match(value) else "error.field.phone"
    if spec.kind == "id_number":
        return None if check_id_number(value) else "error.field.id_number"
    if spec.kind == "amount":
        try:
            amount = Decimal(value)
        except InvalidOperation:
            return "error.field.amount"
        ok = amount > 0 and amount.as_tuple().exponent >= -2 and len(value) <= spec.max_length  # type: ignore[operator]
        return None if ok else "error.field.amount"
    if not value.isdigit() or not value.isascii():
        return "error.field.digits"
    if not spec.min_length <= len(value) <= spec.max_length:
        return "error.field.length"
    return None


def keypad_accepts(spec: FieldSpec, current: str, key: str) -> bool:
    """Whether the keypad key ``key`` may be appended to ``current`` (keeps input well-formed as typed)."""
    if len(current) >= spec.max_length:
        return False
    if spec.kind == "amount":
        if key == ".":
            return "." not in current and bool(current)
        if "." in current and len(current.split(".")[1]) >= 2:
            return False
        return key.isdigit()
    if spec.kind == "id_number" and key == "X":
        return len(current) == 17
    return key.isdigit() and key.isascii()


def keypad_keys(spec: FieldSpec) -> tuple[str, ...]:
    """The extra key beside the digits: ``X`` for ID numbers, ``.`` for amounts, none otherwise."""
    if spec.kind == "id_number":
        return ("X",)
    if spec.kind == "amount":
        return (".",)
    return ()


def display_value(spec: FieldSpec, value: str) -> str:
    """How an answer is shown back on the review screen and receipts (bank cards and IDs partly hidden)."""
    if spec.kind == "id_number" and len(value) > 10:
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    if spec.key == "bank_account" and len(value) > 8:
        return value[:4] + " **** " + value[-4:]
    if spec.kind == "phone" and len(value) == 11:
        return value[:3] + "****" + value[-4:]
    return value
