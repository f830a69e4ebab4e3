"""Application identifiers: UUIDv7 (RFC 9562), created when the citizen confirms.

The id is time-ordered (48-bit Unix milliseconds first) so the outbox and the server index stay
append-friendly, and carries 74 random bits so two kiosks never collide. The same id is the
`Idempotency-Key` of every delivery attempt.
"""

from __future__ import annotations

import os
import time
import uuid


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
    return str(uuid.UUID(int=value))


def is_application_id(text: str) -> bool:
    """True when `text` is a canonical UUIDv7 string (what the outbox accepts as a key)."""
    try:
        parsed = uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return False
    return parsed.version == 7 and str(parsed) == text
