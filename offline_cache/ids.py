"""Application identifiers: UUIDv7 (RFC 9562), created when the citizen confirms.

The id is time-ordered (48-bit Unix milliseconds first) so the outbox and the server index stay
append-friendly, and carries 74 random bits so two kiosks never collide. The same id is the
`Idempotency-Key` of every delivery attempt.
"""

from __future__ import annotations

import os
import re
import time


def new_application_id(now_ms: int | None = None) -> str:
    """Return a fresh UUIDv7 in canonical lowercase text form."""
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 68  # 12 bits
    rand_b = rand & ((1 << 62) - 1)  # 62 bits
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= rand_a << 64
    value |= 0b10 << 62  # RFC 9562 variant
    value |= rand_b
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


# Canonical lowercase form, version nibble 7, RFC 9562 variant (8, 9, a or b).
_UUID7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def is_application_id(text: object) -> bool:
    """True when `text` is a canonical UUIDv7 string (what the outbox accepts as a key)."""
    return isinstance(text, str) and _UUID7.fullmatch(text) is not None
