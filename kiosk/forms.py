"""Form fields, as the catalogue defines them, and how each answer is typed and checked.

Only what the government does not already hold is asked: a field with ``prefilled_from`` (e.g.
``identity.name``) is filled from the ID card or identity code and shown for review, never asked; one
prefilled from ``identity.phone`` is asked only when the identity carries no phone number. Each asked
field is one question on one screen. ``kind`` tells the UI which input to show: ``digits``, ``phone``,
``amount``, ``id_number`` and ``date`` use the kiosk's own numeric keypad, ``text`` adds letters (the
optional Pinyin keyboard is needed for Chinese characters), ``choice`` shows big buttons.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from devices.idcard.idnumber import check_id_number

FieldKind = Literal["digits", "phone", "amount", "id_number", "date", "text", "choice"]
# The central catalogue's field types → the kiosk's input kinds.
_KIND_OF_TYPE: dict[str, FieldKind] = {
    "number": "digits",
    "phone": "phone",
    "amount": "amount",
    "date": "date",
    "text": "text",
    "choice": "choice",
    "id_number": "id_number",
    "digits": "digits",
}
_PHONE = re.compile(r"^1[3-9]\d{9}$")
# Printable text, no control characters: codes typed on the letter keys, or Chinese from the optional
# Pinyin keyboard (the catalogue's own examples, such as 豫Q-T2019-0031, need it).
_TEXT = re.compile(r"^[^\x00-\x1f\x7f-\x9f]+$")
# The citizen's own bank card, whichever catalogue defines it: its number has 16 to 19 digits and ends
# in a Luhn check digit (ISO/IEC 7812), so a mistyped digit is caught here and not by a failed payment.
# Known by its key because the central catalogue's field documents carry no lengths or checks.
BANK_CARD_KEY = "bank_card_number"
BANK_CARD_LENGTHS = (16, 19)


class FormError(ValueError):
    """A catalogue field definition is malformed; the message names the field."""


@dataclass(frozen=True)
class FieldOption:
    value: str
    label_zh: str
    label_en: str

    def label(self, language: str) -> str:
        return self.label_zh if language == "zh_CN" else self.label_en


@dataclass(frozen=True)
class FieldSpec:
    key: str
    kind: FieldKind
    label_zh: str
    label_en: str
    hint_zh: str = ""
    hint_en: str = ""
    required: bool = True
    prefilled_from: str | None = None
    choices: tuple[FieldOption, ...] = ()
    min_length: int = 1
    max_length: int = 32

    def label(self, language: str) -> str:
        return self.label_zh if language == "zh_CN" else self.label_en

    def hint(self, language: str) -> str:
        return self.hint_zh if language == "zh_CN" else self.hint_en

    def choice_label(self, value: str, language: str) -> str:
        return next((c.label(language) for c in self.choices if c.value == value), value)

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FieldSpec:
        """Read the catalogue's JSON form of a field (``type``, labels, hints, ``choices``)."""
        key = raw.get("key")
        if not isinstance(key, str) or not key:
            raise FormError("form field without a 'key'")
        kind = _KIND_OF_TYPE.get(str(raw.get("type", "")))
        if kind is None:
            raise FormError(f"form field {key!r}: unknown type {raw.get('type')!r}")
        choices = tuple(
            FieldOption(
                str(c["value"]), str(c.get("label_zh", c["value"])), str(c.get("label_en", c["value"]))
            )
            for c in raw.get("choices") or []
        )
        if kind == "choice" and not choices:
            raise FormError(f"form field {key!r}: a choice without options")
        lengths = {"phone": (11, 11), "id_number": (18, 18), "date": (8, 8), "text": (1, 40)}
        low, high = lengths.get(kind, (int(raw.get("min_length", 1)), int(raw.get("max_length", 32))))
        if key == BANK_CARD_KEY and kind == "digits":
            low, high = BANK_CARD_LENGTHS
        prefilled = raw.get("prefilled_from")
        return cls(
            key=key,
            kind=kind,
            label_zh=str(raw.get("label_zh", key)),
            label_en=str(raw.get("label_en", key)),
            hint_zh=str(raw.get("hint_zh", "")),
            hint_en=str(raw.get("hint_en", "")),
            required=bool(raw.get("required", True)),
            prefilled_from=str(prefilled) if prefilled else None,
            choices=choices,
            min_length=low,
            max_length=high,
        )


def identity_value(spec: FieldSpec, identity: Any) -> str:
    """The value an ``identity.*`` prefilled field takes from the citizen's identity ("" if none)."""
    source = spec.prefilled_from or ""
    if identity is None or not source.startswith("identity."):
        return ""
    return str(getattr(identity, source.removeprefix("identity."), "") or "")


def questions(form: Sequence[FieldSpec], identity: Any) -> tuple[FieldSpec, ...]:
    """The fields to ask, in order: those the government does not hold for this citizen."""
    asked = []
    for spec in form:
        if spec.prefilled_from is None:
            asked.append(spec)
        elif (
            spec.prefilled_from.startswith("identity.")
            and spec.prefilled_from not in ("identity.name", "identity.id_number")
            and not identity_value(spec, identity)
        ):
            # E.g. the phone: the city app knows it, the ID card does not.
            asked.append(spec)
    return tuple(asked)


def prefilled(form: Sequence[FieldSpec], identity: Any) -> dict[str, str]:
    """The values taken from the identity, by field key (sent with the answers, shown on review)."""
    values = {}
    for spec in form:
        value = identity_value(spec, identity)
        if value:
            values[spec.key] = value
    return values


def validate(spec: FieldSpec, value: str) -> str | None:
    """``None`` when ``value`` is acceptable, else the i18n key of an error that says how to fix it."""
    if not value:
        return "error.field.required" if spec.required else None
    if spec.kind == "choice":
        return None if value in spec.choice_values else "error.field.choice"
    if spec.kind == "phone":
        return None if _PHONE.match(value) else "error.field.phone"
    if spec.kind == "id_number":
        return None if check_id_number(value) else "error.field.id_number"
    if spec.kind == "amount":
        try:
            amount = Decimal(value)
        except InvalidOperation:
            return "error.field.amount"
        ok = amount.is_finite() and amount > 0 and amount == amount.quantize(Decimal("0.01"))
        return None if ok and len(value) <= spec.max_length else "error.field.amount"
    if spec.kind == "date":
        try:
            date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        except ValueError:
            return "error.field.date"
        return None if len(value) == 8 and value.isdigit() else "error.field.date"
    if spec.kind == "text":
        return None if _TEXT.match(value) and len(value) <= spec.max_length else "error.field.text"
    if not value.isdigit() or not value.isascii():
        return "error.field.digits"
    if not spec.min_length <= len(value) <= spec.max_length:
        return "error.field.length"
    if spec.key == BANK_CARD_KEY and not luhn_valid(value):
        return "error.field.bank_card"
    return None


def luhn_valid(digits: str) -> bool:
    """Whether the ASCII digits ``digits`` end in a correct Luhn check digit (bank card numbers).

    Every second digit from the right is doubled (less 9 when that exceeds 9); the sum must be a
    multiple of 10. Catches any single wrong digit and most swaps of neighbouring digits.
    """
    total = 0
    for position, ch in enumerate(reversed(digits)):
        digit = int(ch)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def set_text(spec: FieldSpec, value: str) -> str | None:
    """A whole answer typed on the optional on-screen keyboard: the text to keep, or None if refused."""
    if spec.kind != "text":
        return None
    cleaned = "".join(ch for ch in value if ch.isprintable())
    return cleaned[: spec.max_length]


def submitted_value(spec: FieldSpec, value: str) -> str:
    """The answer as the central service expects it (dates as YYYY-MM-DD)."""
    if spec.kind == "date" and len(value) == 8:
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def keypad_accepts(spec: FieldSpec, current: str, key: str) -> bool:
    """Whether the keypad key ``key`` may be appended to ``current`` (keeps input well-formed as typed)."""
    if len(current) >= spec.max_length or len(key) != 1:
        return False
    if spec.kind == "amount":
        if key == ".":
            return "." not in current and bool(current)
        if "." in current and len(current.split(".")[1]) >= 2:
            return False
        return key.isdigit()
    if spec.kind == "id_number" and key == "X":
        return len(current) == 17
    if spec.kind == "text":
        return key.isascii() and (key.isalnum() or key == "-")
    return key.isdigit() and key.isascii()


def keypad_keys(spec: FieldSpec) -> tuple[str, ...]:
    """The extra key beside the digits: ``X`` for ID numbers, ``.`` for amounts, ``-`` for codes."""
    if spec.kind == "id_number":
        return ("X",)
    if spec.kind == "amount":
        return (".",)
    if spec.kind == "text":
        return ("-",)
    return ()


def display_value(spec: FieldSpec, value: str, language: str = "zh_CN") -> str:
    """How an answer is shown back on the review screen and receipts (numbers partly hidden)."""
    if spec.kind == "choice":
        return spec.choice_label(value, language)
    if spec.kind == "id_number" or spec.prefilled_from == "identity.id_number" or spec.key == "id_number":
        return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)
    if spec.prefilled_from == "identity.name":
        return value[:1] + "*" * max(len(value) - 1, 1)
    if spec.kind == "digits" and len(value) > 8:
        return value[:4] + " **** " + value[-4:]
    if spec.kind == "phone" and len(value) == 11:
        return value[:3] + "****" + value[-4:]
    if spec.kind == "date" and len(value) == 8:
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def answer_rows(
    form: Sequence[FieldSpec], identity: Any, answers: Mapping[str, str], language: str
) -> list[tuple[str, str]]:
    """(label, shown value) for every filled field in form order, for review screens and receipts.

    Name and ID number are left out: the applicant rows show them (masked) already.
    """
    values = {**prefilled(form, identity), **answers}
    rows = []
    for spec in form:
        if spec.prefilled_from in ("identity.name", "identity.id_number"):
            continue
        value = values.get(spec.key, "")
        if value:
            rows.append((spec.label(language), display_value(spec, value, language)))
    return rows
