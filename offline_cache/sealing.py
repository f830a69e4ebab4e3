"""Encryption at rest for outbox records: AES-256-GCM with rotating, wrapped data keys.

Contract:
- Every record is sealed with the current data key, a random 12-byte nonce, and associated data
  `record_id | key_id | schema_version | purpose`, so a ciphertext copied onto another row (or the
  payload swapped with the decision) fails to open.
- Data keys are 256-bit random keys, rotated every `rotation_seconds`, and stored in the database
  only wrapped (AES-256-GCM) by the device key, which never touches the database.
- Payload fingerprints are keyed (BLAKE2b-256 in keyed mode, under a key derived from the device
  key): stored in clear for idempotency checks, they cannot be recomputed from guessed personal
  data without the device key, unlike a plain hash of an application.
- Destroying a data key (crypto-shredding) makes every record sealed with it unreadable for good,
  including copies lingering in free pages or the WAL.
- A current data key that the device key cannot unwrap (the device key changed) is retired and
  replaced by a new one on the next seal, so saving keeps working; records sealed under it stay
  unreadable.
- The caller owns the SQLite transaction: methods that write (`seal` may create a key,
  `destroy_keys`) must be called inside the caller's write transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import stat
from pathlib import Path
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
# Domain separation: the fingerprint key is derived from the device key, never the device key itself.
_FINGERPRINT_KEY_LABEL = b"civic-kiosk outbox payload fingerprint v1"

DATA_KEYS_SCHEMA = """
CREATE TABLE IF NOT EXISTS data_keys (
    key_id      TEXT PRIMARY KEY,
    wrapped     BLOB NOT NULL,
    created_at  REAL NOT NULL,
    retired_at  REAL
)
"""


class SealingError(Exception):
    """A record could not be sealed or opened (wrong key, tampered data, destroyed key)."""


class KeyDestroyedError(SealingError):
    """The data key of a record no longer exists: the record has been crypto-shredded."""


class DeviceKeyError(Exception):
    """The device key is missing, unreadable, of the wrong size or readable by others."""


class SealedRecord(NamedTuple):
    """A sealed record as stored: which data key sealed it, and nonce + ciphertext + tag.

    A named tuple (immutable, cheaper to make than a frozen dataclass: one is made per save).
    """

    key_id: str
    blob: bytes


def load_device_key(path: Path, *, create: bool) -> bytes:
    """Read the 32-byte device key from `path`; create it (mode 0600) if allowed and missing.

    `create=False` is for keys provided by the platform (a systemd credential): they are never
    written by the kiosk. A key file readable by group or others is refused rather than used.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        if not create:
            raise DeviceKeyError("device key not found") from None
        return _create_device_key(path)
    except OSError as exc:
        raise DeviceKeyError(f"device key unreadable ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        # A systemd credential directory is already private to the service; only our own file
        # must be checked for loose permissions.
        if create and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise DeviceKeyError("device key file is accessible by other users (expected mode 0600)")
        data = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) != KEY_BYTES:
        raise DeviceKeyError(f"device key must be exactly {KEY_BYTES} bytes")
    return data


def _create_device_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = os.urandom(KEY_BYTES)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        # link() fails if another process created the key meanwhile: then that key wins.
        os.link(tmp, path)
    except FileExistsError:
        os.unlink(tmp)
        return load_device_key(path, create=False)
    os.unlink(tmp)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return key


class Sealer:
    """Seals and opens records with data keys kept (wrapped) in the `data_keys` table."""

    def __init__(self, device_key: bytes, *, rotation_seconds: float) -> None:
        if len(device_key) != KEY_BYTES:
            raise DeviceKeyError(f"device key must be exactly {KEY_BYTES} bytes")
        if rotation_seconds <= 0:
            raise ValueError("rotation_seconds must be positive")
        self._wrapper = AESGCM(device_key)
        self._fingerprint_key = hmac.digest(device_key, _FINGERPRINT_KEY_LABEL, hashlib.sha256)
        self._rotation_seconds = rotation_seconds
        # Unwrapped keys, per instance only; dropped when a key is destroyed.
        self._cache: dict[str, AESGCM] = {}
        # The current key as last READ from a database (connection, id, created_at, cipher once
        # unwrapped). Only keys read back are remembered, never one just created: its transaction
        # might still roll back.
        self._current: tuple[sqlite3.Connection, str, float, AESGCM | None] | None = None

    def fingerprint(self, payload: bytes) -> str:
        """Keyed BLAKE2b-256 (a MAC) of the exact payload bytes under the device's fingerprint key, hex.

        Equal payloads give equal fingerprints on this kiosk (what idempotency checks compare); a
        plain hash of an application could be confirmed by guessing its ID number. Keyed BLAKE2b
        rather than HMAC-SHA256: the same guarantee at half the cost, on every save.
        """
        return hashlib.blake2b(payload, key=self._fingerprint_key, digest_size=32).hexdigest()

    @staticmethod
    def ensure_schema(conn: sqlite3.Connection) -> None:
        conn.execute(DATA_KEYS_SCHEMA)

    def seal(
        self,
        conn: sqlite3.Connection,
        *,
        now: float,
        record_id: str,
        purpose: str,
        schema_version: int,
        plaintext: bytes,
    ) -> SealedRecord:
        """Seal `plaintext` for row `record_id` with the current data key (rotating it if due)."""
        current = self._current
        if (
            current is not None
            and current[3] is not None
            and current[0] is conn
            and now < current[2] + self._rotation_seconds
        ):
            # Nearly every seal takes this path: the key id and its cipher without a query or lookup.
            key_id, data_key = current[1], current[3]
        else:
            key_id = self._current_key_id(conn, now)
            try:
                data_key = self._data_key(conn, key_id)
            except SealingError:
                # The current key was wrapped by another device key (the key file was recreated or
                # the platform credential changed): it can never be used again here, so it must not
                # block saving until the next rotation. Records sealed under it stay unreadable.
                key_id = self._create_key(conn, now)
                data_key = self._cache[key_id]
            current = self._current
            if current is not None and current[1] == key_id:
                self._current = (current[0], key_id, current[2], data_key)
        nonce = os.urandom(NONCE_BYTES)
        aad = f"{record_id}|{key_id}|{schema_version}|{purpose}".encode()  # = _associated_data(...)
        return SealedRecord(key_id, nonce + data_key.encrypt(nonce, plaintext, aad))

    def open(
        self,
        conn: sqlite3.Connection,
        *,
        record_id: str,
        purpose: str,
        schema_version: int,
        sealed: SealedRecord,
    ) -> bytes:
        """Return the plaintext of a sealed record, or raise `SealingError`."""
        if len(sealed.blob) < NONCE_BYTES + 16:
            raise SealingError("sealed record is truncated")
        aad = _associated_data(record_id, sealed.key_id, schema_version, purpose)
        nonce, body = sealed.blob[:NONCE_BYTES], sealed.blob[NONCE_BYTES:]
        try:
            return self._data_key(conn, sealed.key_id).decrypt(nonce, body, aad)
        except InvalidTag:
            raise SealingError("sealed record failed authentication") from None

    def rotate_if_due(self, conn: sqlite3.Connection, now: float) -> str:
        """Make sure a current data key exists; return its id. Call inside a write transaction."""
        return self._current_key_id(conn, now)

    def retired_key_ids(self, conn: sqlite3.Connection) -> list[str]:
        rows = conn.execute("SELECT key_id FROM data_keys WHERE retired_at IS NOT NULL").fetchall()
        return [str(row[0]) for row in rows]

    def wrapped_key(self, conn: sqlite3.Connection, key_id: str) -> bytes | None:
        """The wrapped (still encrypted) form of a data key, for sealed exports."""
        row = conn.execute("SELECT wrapped FROM data_keys WHERE key_id = ?", (key_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def destroy_keys(self, conn: sqlite3.Connection, key_ids: list[str]) -> int:
        """Delete data keys for good (crypto-shredding). Call inside a write transaction."""
        destroyed = 0
        for key_id in key_ids:
            destroyed += conn.execute("DELETE FROM data_keys WHERE key_id = ?", (key_id,)).rowcount
            self._cache.pop(key_id, None)
            if self._current is not None and self._current[1] == key_id:
                self._current = None
        return destroyed

    def _current_key_id(self, conn: sqlite3.Connection, now: float) -> str:
        current = self._current
        if current is not None and current[0] is conn and now < current[2] + self._rotation_seconds:
            return current[1]
        row = conn.execute(
            "SELECT key_id, created_at FROM data_keys WHERE retired_at IS NULL "
            "ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        if row is not None and now < float(row[1]) + self._rotation_seconds:
            key_id = str(row[0])
            self._current = (conn, key_id, float(row[1]), self._cache.get(key_id))
            return key_id
        return self._create_key(conn, now)

    def _create_key(self, conn: sqlite3.Connection, now: float) -> str:
        """Retire the current data key (if any) and store a new one, wrapped; return its id."""
        self._current = None
        key_id = os.urandom(8).hex()
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(NONCE_BYTES)
        wrapped = nonce + self._wrapper.encrypt(nonce, data_key, _wrap_aad(key_id))
        conn.execute("UPDATE data_keys SET retired_at = ? WHERE retired_at IS NULL", (now,))
        conn.execute(
            "INSERT INTO data_keys (key_id, wrapped, created_at) VALUES (?, ?, ?)",
            (key_id, wrapped, now),
        )
        self._cache[key_id] = AESGCM(data_key)
        return key_id

    def _data_key(self, conn: sqlite3.Connection, key_id: str) -> AESGCM:
        cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        wrapped = self.wrapped_key(conn, key_id)
        if wrapped is None:
            raise KeyDestroyedError("data key destroyed")
        try:
            raw = self._wrapper.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(key_id))
        except InvalidTag:
            raise SealingError("data key cannot be unwrapped with this device key") from None
        aead = AESGCM(raw)
        self._cache[key_id] = aead
        return aead


def unwrap_data_key(device_key: bytes, key_id: str, wrapped: bytes) -> bytes:
    """Unwrap an exported data key with the device key (technician recovery of sealed exports)."""
    try:
        return AESGCM(device_key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(key_id))
    except InvalidTag:
        raise SealingError("data key cannot be unwrapped with this device key") from None


def open_with_data_key(
    data_key: bytes, *, record_id: str, key_id: str, purpose: str, schema_version: int, blob: bytes
) -> bytes:
    """Open a sealed record with an already unwrapped data key (see `unwrap_data_key`)."""
    aad = _associated_data(record_id, key_id, schema_version, purpose)
    try:
        return AESGCM(data_key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        raise SealingError("sealed record failed authentication") from None


def _associated_data(record_id: str, key_id: str, schema_version: int, purpose: str) -> bytes:
    # `seal` builds the same bytes inline (it runs on every save); the round-trip tests hold them equal.
    return f"{record_id}|{key_id}|{schema_version}|{purpose}".encode()


def _wrap_aad(key_id: str) -> bytes:
    return f"data-key|{key_id}".encode()
