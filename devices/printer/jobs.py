"""Idempotency of print jobs: a job key that already printed is not printed again.

The ledger is an in-memory LRU of recent keys, per printer: it protects against the usual
repeats (a double tap, a retried operation after a timeout that did print). A key is recorded only
after the printer accepted all the bytes, so a job that failed is printed when retried. Known
limit: a job that failed half-way may print partly and then whole on retry; a restart of the
kiosk forgets the keys.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final

DEFAULT_CAPACITY: Final = 256
MAX_KEY_CHARS: Final = 200


class JobKeyError(ValueError):
    """The job key is empty, too long, or not text."""


def check_job_key(job_key: object) -> str:
    if not isinstance(job_key, str) or not job_key.strip() or len(job_key) > MAX_KEY_CHARS:
        raise JobKeyError(f"a print job key must be 1 to {MAX_KEY_CHARS} characters of text")
    return job_key


@dataclass(slots=True)
class JobLedger:
    """Remembers the last ``capacity`` job keys that printed."""

    capacity: int = DEFAULT_CAPACITY
    _keys: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def printed(self, job_key: str) -> bool:
        if job_key in self._keys:
            self._keys.move_to_end(job_key)
            return True
        return False

    def record(self, job_key: str) -> None:
        self._keys[job_key] = None
        self._keys.move_to_end(job_key)
        while len(self._keys) > self.capacity:
            self._keys.popitem(last=False)
