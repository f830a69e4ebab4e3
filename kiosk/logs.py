"""Structured logging with personal data masked before anything is written.

One JSON object per line, to a size-rotated file in the state directory and to stderr. Every string that
reaches a handler — the message, its arguments, the exception text and any ``extra`` field — passes
through a ``Redactor`` first:

- ID numbers (18 characters, last one a digit or X) keep their first 6 and last 4 characters;
- mobile phone numbers keep their first 3 and last 4 digits;
- bank card numbers (16 to 19 digits) keep their first 6 and last 4;
- values of fields whose name says they hold a name or an address are masked whole;
- any value the current session has registered with ``Redactor.remember`` (the citizen's name read from
  the card, say) is masked wherever it appears, and forgotten when the session is wiped.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
import threading
import traceback
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devices.idcard.idnumber import mask_id_number

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_BANK_CARD = re.compile(r"(?<!\d)\d{16,19}(?!\d)")
# Field names whose values are personal whatever they look like.
_PERSONAL_FIELDS = frozenset(
    {
        "name",
        "name_en",
        "name_zh",
        "full_name",
        "applicant_name",
        "address",
        "appended_address",
        "phone",
        "bank_card_number",
    }
)
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)


def mask_card_number(value: str) -> str:
    """``6222020200112233445`` → ``622202*********3445`` (first 6 and last 4, as on a bank slip)."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_whole(value: str) -> str:
    """Keep only the first character (a surname, usually) of a personal value."""
    return (value[:1] + "*" * min(len(value) - 1, 8)) if value else value


class Redactor:
    """Masks personal data in strings; thread-safe because log records arrive from worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._remembered: frozenset[str] = frozenset()

    def remember(self, *values: str) -> None:
        """Mask these exact values (of two or more characters) wherever they appear from now on."""
        extra = {v for v in values if v and len(v.strip()) >= 2}
        with self._lock:
            self._remembered = self._remembered | extra

    def forget_all(self) -> None:
        """Called when a citizen's session is wiped."""
        with self._lock:
            self._remembered = frozenset()

    def text(self, value: str) -> str:
        value = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), value)
        value = _PHONE.sub(lambda m: mask_phone(m.group(0)), value)
        value = _BANK_CARD.sub(lambda m: mask_card_number(m.group(0)), value)
        # Longest first, so a full name is masked before a part of it could be.
        for secret in sorted(self._remembered, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, mask_whole(secret))
        return value

    def value(self, value: Any, field: str | None = None) -> Any:
        """Redact a JSON-like value; strings under a personal field name are masked whole."""
        if isinstance(value, str):
            return mask_whole(value) if field in _PERSONAL_FIELDS else self.text(value)
        if isinstance(value, Mapping):
            return {str(k): self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(v, field) for v in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        return self.text(repr(value))


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line, every string redacted."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": self._redactor.text(message),
        }
        for key, val in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = self._redactor.value(val, key)
        if record.exc_info and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info))
            entry["exc"] = self._redactor.text(text)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(
    *,
    level: str = "INFO",
    file: Path | None,
    redactor: Redactor,
    stderr: bool = True,
    max_bytes: int = 5_000_000,
    backups: int = 5,
) -> list[logging.Handler]:
    """Route the root logger through the redacting JSON formatter; returns the handlers it installed.

    Replaces handlers this function installed before, so calling it again (in tests, say) is safe.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_kiosk_handler", False):
            root.removeHandler(handler)
            handler.close()
    formatter = JsonFormatter(redactor)
    handlers: list[logging.Handler] = []
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
            )
        )
    if stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        handler._kiosk_handler = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    return handlers


def personal_fields() -> Iterable[str]:
    """The field names whose values are always masked (documented for the maintenance screens)."""
    return sorted(_PERSONAL_FIELDS)
