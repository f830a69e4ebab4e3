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
    millis = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    # 48-bit big-endian milliseconds, then 80 random bits of which 6 are overwritten below.
    octets = bytearray((millis & 0xFFFF_FFFF_FFFF).to_bytes(6, "big") + os.urandom(10))
    octets[6] = 0x70 | (octets[6] & 0x0F)  # version 7, then 12 random bits (rand_a)
    octets[8] = 0x80 | (octets[8] & 0x3F)  # RFC 9562 variant, then 62 random bits (rand_b)
    text = octets.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


# Canonical lowercase form, version nibble 7, RFC 9562 variant (8, 9, a or b). Public so that a
# hot path can match a value already known to be a str without a function call.
APPLICATION_ID_FORM = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def is_application_id(text: object) -> bool:
    """True when `text` is a canonical UUIDv7 string (what the outbox accepts as a key)."""
    return isinstance(text, str) and APPLICATION_ID_FORM.fullmatch(text) is not None
