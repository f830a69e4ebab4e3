"""AES-GCM sealing: binding to the row, key rotation, wrapping and crypto-shredding."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from offline_cache.sealing import (
    DeviceKeyError,
    KeyDestroyedError,
    SealedRecord,
    Sealer,
    SealingError,
    load_device_key,
)


@pytest.fixture
def conn() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    Sealer.ensure_schema(connection)
    return connection


def seal(
    sealer: Sealer, conn: sqlite3.Connection, record_id: str, text: bytes, now: float = 0.0
) -> SealedRecord:
    return sealer.seal(
        conn, now=now, record_id=record_id, purpose="payload", schema_version=1, plaintext=text
    )


def open_(
    sealer: Sealer, conn: sqlite3.Connection, record_id: str, sealed: SealedRecord, **kw: object
) -> bytes:
    args = {"purpose": "payload", "schema_version": 1} | kw
    return sealer.open(conn, record_id=record_id, sealed=sealed, **args)  # type: ignore[arg-type]


def test_round_trip_with_random_nonces(conn: sqlite3.Connection) -> None:
    sealer = Sealer(os.urandom(32), rotation_seconds=86400)
    first = seal(sealer, conn, "row-1", b"secret")
    second = seal(sealer, conn, "row-1", b"secret")
    assert first.blob != second.blob  # fresh nonce each time
    assert b"secret" not in first.blob
    assert open_(sealer, conn, "row-1", first) == b"secret"


def test_ciphertext_is_bound_to_its_row_purpose_and_schema(conn: sqlite3.Connection) -> None:
    sealer = Sealer(os.urandom(32), rotation_seconds=86400)
    sealed = seal(sealer, conn, "row-1", b"secret")
    with pytest.raises(SealingError):
        open_(sealer, conn, "row-2", sealed)
    with pytest.raises(SealingError):
        open_(sealer, conn, "row-1", sealed, purpose="decision")
    with pytest.raises(SealingError):
        open_(sealer, conn, "row-1", sealed, schema_version=2)
    tampered = SealedRecord(sealed.key_id, sealed.blob[:-1] + bytes([sealed.blob[-1] ^ 1]))
    with pytest.raises(SealingError):
        open_(sealer, conn, "row-1", tampered)
    with pytest.raises(SealingError):
        open_(sealer, conn, "row-1", SealedRecord(sealed.key_id, b"short"))


def test_data_keys_rotate_and_old_records_stay_readable(conn: sqlite3.Connection) -> None:
    sealer = Sealer(os.urandom(32), rotation_seconds=3600)
    early = seal(sealer, conn, "a", b"one", now=0)
    same = seal(sealer, conn, "b", b"two", now=3599)
    later = seal(sealer, conn, "c", b"three", now=3600)
    assert early.key_id == same.key_id != later.key_id
    assert open_(sealer, conn, "a", early) == b"one"
    assert sealer.retired_key_ids(conn) == [early.key_id]


def test_data_keys_are_stored_only_wrapped_by_the_device_key(conn: sqlite3.Connection) -> None:
    device_key = os.urandom(32)
    sealed = seal(Sealer(device_key, rotation_seconds=86400), conn, "a", b"payload")
    # A fresh sealer (no cache) with the right device key opens it; another device key cannot.
    assert open_(Sealer(device_key, rotation_seconds=86400), conn, "a", sealed) == b"payload"
    with pytest.raises(SealingError):
        open_(Sealer(os.urandom(32), rotation_seconds=86400), conn, "a", sealed)


def test_destroyed_key_shreds_its_records(conn: sqlite3.Connection) -> None:
    sealer = Sealer(os.urandom(32), rotation_seconds=86400)
    sealed = seal(sealer, conn, "a", b"payload")
    assert sealer.destroy_keys(conn, [sealed.key_id]) == 1
    with pytest.raises(KeyDestroyedError):
        open_(sealer, conn, "a", sealed)


def test_a_destroyed_current_key_is_not_used_again(conn: sqlite3.Connection) -> None:
    sealer = Sealer(os.urandom(32), rotation_seconds=86400)
    first = seal(sealer, conn, "a", b"one")
    again = seal(sealer, conn, "b", b"two")  # the current key and its cipher are now remembered
    assert again.key_id == first.key_id
    sealer.destroy_keys(conn, [first.key_id])
    after = seal(sealer, conn, "c", b"three")
    assert after.key_id != first.key_id
    assert sealer.wrapped_key(conn, after.key_id) is not None
    assert open_(sealer, conn, "c", after) == b"three"


def test_device_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "device.key"
    key = load_device_key(path, create=True)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_device_key(path, create=True) == key
    assert list(path.parent.iterdir()) == [path]  # no temp file left behind


def test_bad_device_keys_are_refused_with_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(DeviceKeyError):
        load_device_key(tmp_path / "missing", create=False)
    loose = tmp_path / "loose.key"
    loose.write_bytes(os.urandom(32))
    loose.chmod(0o644)
    with pytest.raises(DeviceKeyError, match="0600"):
        load_device_key(loose, create=True)
    short = tmp_path / "short.key"
    short.write_bytes(b"x" * 10)
    short.chmod(0o600)
    with pytest.raises(DeviceKeyError, match="32 bytes"):
        load_device_key(short, create=True)
    with pytest.raises(DeviceKeyError):
        Sealer(b"x" * 10, rotation_seconds=1)
    # A platform credential (systemd) is read as is, never created.
    credential = tmp_path / "cred"
    credential.write_bytes(os.urandom(32))
    credential.chmod(0o440)
    assert load_device_key(credential, create=False) == credential.read_bytes()


def test_the_current_key_is_never_taken_from_another_database_or_a_rolled_back_transaction() -> None:
    device_key = os.urandom(32)
    sealer = Sealer(device_key, rotation_seconds=86400)
    first, second = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
    for connection in (first, second):
        connection.isolation_level = None
        Sealer.ensure_schema(connection)
    seal(sealer, first, "a", b"one")
    seal(sealer, first, "b", b"two")  # the current key is now remembered for `first`
    other = seal(sealer, second, "c", b"three")
    assert open_(Sealer(device_key, rotation_seconds=86400), second, "c", other) == b"three"

    third = sqlite3.connect(":memory:")
    third.isolation_level = None
    Sealer.ensure_schema(third)
    third.execute("BEGIN")
    seal(sealer, third, "d", b"lost")  # creates a key...
    third.execute("ROLLBACK")  # ...that never existed
    kept = seal(sealer, third, "e", b"kept")
    assert sealer.wrapped_key(third, kept.key_id) is not None
    assert open_(Sealer(device_key, rotation_seconds=86400), third, "e", kept) == b"kept"


def test_a_new_device_key_gets_a_new_current_data_key_at_once(conn: sqlite3.Connection) -> None:
    old_record = seal(Sealer(os.urandom(32), rotation_seconds=86400), conn, "r1", b"old")
    sealer = Sealer(os.urandom(32), rotation_seconds=86400)
    new_record = seal(sealer, conn, "r2", b"new", now=10.0)  # well before the rotation is due
    assert new_record.key_id != old_record.key_id
    assert open_(sealer, conn, "r2", new_record) == b"new"
    with pytest.raises(SealingError):
        open_(sealer, conn, "r1", old_record)
    # The old key is retired, not destroyed: its records are reported, and shredded only by purge.
    assert sealer.retired_key_ids(conn) == [old_record.key_id]
    assert seal(sealer, conn, "r3", b"again", now=20.0).key_id == new_record.key_id
