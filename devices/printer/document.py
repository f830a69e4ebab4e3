"""The device-independent receipt: what to print, not how.

Contract: :class:`ReceiptDocument` is validated on construction; bad content raises
:class:`ReceiptContentError` (a ``ValueError``) naming the field, never the content (a receipt may
carry personal data). The renderer lays it out for a printer profile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

MAX_TEXT_CHARS: Final = 500
MAX_ITEMS: Final = 100
MAX_QR_BYTES: Final = 1000
# No control characters at all: line structure comes from the fields, and a stray ESC or GS inside
# a text would be executed by the printer as a command.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ReceiptContentError(ValueError):
    """A receipt field is malformed (wrong type, too long, control characters)."""


@dataclass(frozen=True)
class ReceiptDocument:
    """Title, free lines, key-value rows, an optional QR payload and footer lines."""

    title: str
    lines: tuple[str, ...] = ()
    rows: tuple[tuple[str, str], ...] = ()
    qr: str | None = None
    footer: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_text("title", self.title)
        for field_name in ("lines", "footer"):
            items = getattr(self, field_name)
            _check_items(field_name, items)
            for index, text in enumerate(items):
                _check_text(f"{field_name}[{index}]", text)
        _check_items("rows", self.rows)
        for index, row in enumerate(self.rows):
            if not isinstance(row, tuple) or len(row) != 2:
                raise ReceiptContentError(f"rows[{index}] must be a (label, value) pair")
            _check_text(f"rows[{index}] label", row[0])
            _check_text(f"rows[{index}] value", row[1])
        if self.qr is not None:
            _check_text("qr", self.qr, max_chars=MAX_QR_BYTES)
            if not self.qr or len(self.qr.encode("utf-8")) > MAX_QR_BYTES:
                raise ReceiptContentError(f"qr must be 1 to {MAX_QR_BYTES} bytes of UTF-8")


def _check_items(field_name: str, items: object) -> None:
    if not isinstance(items, tuple):
        raise ReceiptContentError(f"{field_name} must be a tuple")
    if len(items) > MAX_ITEMS:
        raise ReceiptContentError(f"{field_name} has more than {MAX_ITEMS} entries")


def _check_text(field_name: str, text: object, *, max_chars: int = MAX_TEXT_CHARS) -> None:
    if not isinstance(text, str):
        raise ReceiptContentError(f"{field_name} must be text")
    if len(text) > max_chars:
        raise ReceiptContentError(f"{field_name} is longer than {max_chars} characters")
    if _CONTROL.search(text):
        raise ReceiptContentError(f"{field_name} contains control characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ReceiptContentError(f"{field_name} is not valid Unicode text") from None
