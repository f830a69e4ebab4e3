"""Technician access to the maintenance mode: PINs checked against hashes from the signed config.

Administrators put maintenance PINs into the signed remote config as salted PBKDF2 hashes
(``kiosk-admin sign --pin``); the kiosk never stores a PIN in clear. Five wrong PINs lock the
maintenance entry for five minutes, so a citizen cannot guess a PIN at the touch screen.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence

from kiosk.clock import Clock

HASH_SCHEME = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 200_000


class PinFormatError(ValueError):
    """The PIN is not 6 to 12 digits."""


def hash_pin(pin: str, *, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS) -> str:
    """A maintenance PIN as ``pbkdf2_sha256$iterations$salt_hex$hash_hex``."""
    if not pin.isdigit() or not 6 <= len(pin) <= 12:
        raise PinFormatError("a maintenance PIN is 6 to 12 digits")
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"{HASH_SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, encoded: str) -> bool:
    """Constant-time comparison of ``pin`` against one stored hash; a malformed hash never matches."""
    try:
        scheme, iterations, salt_hex, digest_hex = encoded.split("$")
        if scheme != HASH_SCHEME:
            return False
        rounds = int(iterations)
        salt, expected = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
    except ValueError:
        return False
    if not 1_000 <= rounds <= 10_000_000:
        return False
    actual = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, rounds)
    return hmac.compare_digest(actual, expected)


class MaintenanceGate:
    """Decides whether a PIN opens the maintenance mode, with a lockout after repeated failures."""

    def __init__(
        self, pin_hashes: Sequence[str], clock: Clock, *, max_failures: int = 5, lockout_s: float = 300.0
    ) -> None:
        self._hashes = tuple(pin_hashes)
        self._clock = clock
        self._max_failures = max_failures
        self._lockout_s = lockout_s
        self._failures = 0
        self._locked_until = 0.0

    def replace_hashes(self, pin_hashes: Sequence[str]) -> None:
        """A newly activated config brings new PINs; the failure count stays."""
        self._hashes = tuple(pin_hashes)

    @property
    def locked_for_s(self) -> float:
        """Seconds until another PIN may be tried (0 when not locked)."""
        return max(0.0, self._locked_until - self._clock.monotonic())

    def try_pin(self, pin: str) -> bool:
        """True when ``pin`` matches a configured hash and the gate is not locked."""
        if self.locked_for_s > 0:
            return False
        if any(pin_matches(pin, h) for h in self._hashes):
            self._failures = 0
            return True
        self._failures += 1
        if self._failures >= self._max_failures:
            self._failures = 0
            self._locked_until = self._clock.monotonic() + self._lockout_s
        return False
