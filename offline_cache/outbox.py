"""The durable outbox: confirmed applications waiting to be delivered to the central service.

Contract:
- `add()` returns only after SQLite has committed the application and its outbox row in ONE
  transaction (WAL, `synchronous=FULL`): once it returns, a crash or power cut loses nothing.
  If it raises `SaveFailed`, nothing of that application was written.
- Personal data is stored only sealed (see `sealing.py`); ids, states, counters, timestamps and
  HTTP status codes are stored in clear so technicians can see the queue without seeing people.
- Rows move ready -> in_flight (claimed with a lease) -> done | dead. Rows left in flight by a
  crash go back to ready when the outbox is opened. Dead rows stay until a technician requeues them.
- The `outbox` table holds only what is still to deliver (and dead letters), so it stays small and
  needs no index to find due rows. Delivery moves a row to `delivered` in one transaction, keeping
  the sealed decision and dropping the sealed application itself (the server is now its record);
  delivered rows are purged after the retention period.
- One connection, used under a lock by every thread of the process, with `BEGIN IMMEDIATE` for
  every write, so there is exactly one writer and no "database is locked" between our own threads.
- On open (`startup_checks=True`, the kiosk process only), `PRAGMA integrity_check` runs; a
  damaged database is moved aside (kept unchanged for technicians), a new one is started, and
  whatever can still be read from the damaged file (data keys, pending and dead rows, delivered
  rows) is copied into it in one transaction; `startup_alert` says so and how many applications
  were recovered: the kiosk keeps working and loses nothing that can still be read. Technician
  tools open it with `startup_checks=False`: no repair, no recovery of rows the kiosk is sending.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from offline_cache.atomic import fsync_dir, write_file_atomically
from offline_cache.ids import is_application_id
from offline_cache.sealing import SealedRecord, Sealer, SealingError

SCHEMA_VERSION = 1
PAYLOAD = "payload"
DECISION = "decision"

_SCHEMA = (
    # Still to deliver, or dead-lettered: the application (sealed) and its delivery state are one
    # row, written by one transaction by construction.
    """
    CREATE TABLE IF NOT EXISTS outbox (
        application_id   TEXT PRIMARY KEY,
        created_at       REAL NOT NULL,
        fingerprint      TEXT NOT NULL,
        schema_version   INTEGER NOT NULL,
        key_id           TEXT NOT NULL,
        payload          BLOB NOT NULL,
        state            TEXT NOT NULL CHECK (state IN ('ready', 'in_flight', 'dead')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  REAL NOT NULL,  -- in flight: when the lease expires
        last_status      INTEGER,
        last_error       TEXT,
        updated_at       REAL NOT NULL
    )
    """,
    # Delivered: the server's decision (sealed), kept for the retention period.
    """
    CREATE TABLE IF NOT EXISTS delivered (
        application_id   TEXT PRIMARY KEY,
        created_at       REAL NOT NULL,
        fingerprint      TEXT NOT NULL,
        schema_version   INTEGER NOT NULL,
        attempts         INTEGER NOT NULL,
        delivered_at     REAL NOT NULL,
        decision_key_id  TEXT NOT NULL,
        decision         BLOB NOT NULL
    )
    """,
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)

# SQLite primary result codes that mean "the storage cannot take this write".
_SQLITE_FULL = 13
_SQLITE_IOERR = 10
_SQLITE_READONLY = 8
_SQLITE_CANTOPEN = 14
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
UNREADABLE = "payload cannot be unsealed (data key destroyed or data damaged)"
# No legitimate schedule lies further ahead (backoff cap 15 min, Retry-After honoured up to 6 h):
# a row scheduled beyond this was scheduled by a clock that has since been corrected backwards
# (a kiosk booting with a wrong clock before time sync), so it is due now rather than in a year.
MAX_SCHEDULE_AHEAD_S = 24 * 3600.0
# A row last written "in the future" was scheduled by a clock that was ahead and has since been
# corrected (e.g. an RTC kept in local time, fixed by time sync after boot): its schedule is off by
# the size of the error, however small or large, so it is due now. The margin keeps the small
# steps of an ordinary time correction from cutting a server's Retry-After or a lease short.
CLOCK_CORRECTED_MARGIN_S = 60.0

# What is copied out of a damaged database, table by table: a plain scan of each table's own
# b-tree (a damaged index does not get in the way), an insert that skips rows breaking a constraint
# (an unknown state, a missing value, a duplicate id), and the Python types each column may hold
# (None for a nullable column): SQLite does not enforce declared types, and a garbled value (text
# where the sealed payload belongs) would break every later claim. Data keys come first: without
# them no recovered record can be opened.
_TEXT, _NUMBER, _INT, _BLOB = (str,), (int, float), (int,), (bytes,)
_NULL = (type(None),)


class _SalvagedTable(NamedTuple):
    name: str
    select: str
    insert: str
    kinds: tuple[tuple[type, ...], ...]


_SALVAGED_TABLES = (
    _SalvagedTable(
        "data_keys",
        "SELECT key_id, wrapped, created_at, retired_at FROM data_keys",
        "INSERT OR IGNORE INTO data_keys (key_id, wrapped, created_at, retired_at) VALUES (?, ?, ?, ?)",
        (_TEXT, _BLOB, _NUMBER, _NUMBER + _NULL),
    ),
    _SalvagedTable(
        "outbox",
        "SELECT application_id, created_at, fingerprint, schema_version, key_id, payload, state, "
        "attempts, next_attempt_at, last_status, last_error, updated_at FROM outbox",
        "INSERT OR IGNORE INTO outbox (application_id, created_at, fingerprint, schema_version, key_id, "
        "payload, state, attempts, next_attempt_at, last_status, last_error, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            _TEXT,
            _NUMBER,
            _TEXT,
            _INT,
            _TEXT,
            _BLOB,
            _TEXT,
            _INT,
            _NUMBER,
            _INT + _NULL,
            _TEXT + _NULL,
            _NUMBER,
        ),
    ),
    _SalvagedTable(
        "delivered",
        "SELECT application_id, created_at, fingerprint, schema_version, attempts, delivered_at, "
        "decision_key_id, decision FROM delivered",
        "INSERT OR IGNORE INTO delivered (application_id, created_at, fingerprint, schema_version, "
        "attempts, delivered_at, decision_key_id, decision) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (_TEXT, _NUMBER, _TEXT, _INT, _INT, _NUMBER, _TEXT, _BLOB),
    ),
)
_OUTBOX_STATE_COLUMN = 6


# Technician-facing view of both tables (ids, states, counters, times; never sealed data).
_ROWS = (
    "SELECT * FROM ("
    "SELECT application_id, state, created_at, attempts, next_attempt_at, last_status, last_error, "
    "NULL AS delivered_at FROM outbox UNION ALL "
    "SELECT application_id, 'done', created_at, attempts, delivered_at, 200, NULL, delivered_at "
    "FROM delivered) "
)
_ROW_BY_ID = _ROWS + "WHERE application_id = ?"
_DELIVERED_FINGERPRINT = "SELECT fingerprint FROM delivered WHERE application_id = ?"
_PENDING_FINGERPRINT = "SELECT fingerprint FROM outbox WHERE application_id = ?"
_INSERT_PENDING = (
    "INSERT INTO outbox (application_id, created_at, fingerprint, schema_version, key_id, payload, "
    "state, next_attempt_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'ready', ?2, ?2) "
    "ON CONFLICT (application_id) DO NOTHING"
)
_ROWS_IN_STATE = _ROWS + "WHERE ?1 IS NULL OR state = ?1 ORDER BY created_at"


class State(StrEnum):
    READY = "ready"
    IN_FLIGHT = "in_flight"
    DONE = "done"
    DEAD = "dead"


class OutboxError(Exception):
    """Base class of the outbox's typed errors."""


class SaveFailed(OutboxError):
    """The application could not be stored durably; nothing of it was written.

    `reason` is one of "disk_full", "storage_error", "key_error", "invalid"; the message has no
    personal data.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class _CorruptDatabase(Exception):
    """The integrity check found damage."""


class ConflictingApplication(OutboxError):
    """The application id is already stored with a different payload."""


@dataclass(frozen=True)
class Claim:
    """A row taken for one delivery attempt (`attempt` counts from 1). `repr` leaves out the payload."""

    application_id: str
    # The unsealed application (name, ID number, phone, form answers): never in a repr, hence a log.
    payload: bytes = field(repr=False)
    fingerprint: str
    attempt: int


@dataclass(frozen=True)
class RowInfo:
    """What technicians and the relay may see of a row: no personal data."""

    application_id: str
    state: State
    created_at: float
    attempts: int
    next_attempt_at: float
    last_status: int | None
    last_error: str | None
    delivered_at: float | None


@dataclass(frozen=True)
class OutboxStatus:
    counts: dict[str, int]
    oldest_pending_age_s: float | None
    last_success_at: float | None
    last_attempt_at: float | None
    last_problem: str | None


@dataclass(frozen=True)
class PurgeReport:
    rows_deleted: int
    keys_destroyed: int


class _WriteTransaction:
    """`with`: BEGIN IMMEDIATE under the process lock; COMMIT on success, ROLLBACK on any error.

    A plain class rather than a generator context manager: it runs on every save.
    """

    __slots__ = ("_conn", "_lock")

    def __init__(self, lock: threading.RLock, conn: sqlite3.Connection) -> None:
        self._lock = lock
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise
        return self._conn

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        conn = self._conn
        try:
            if exc_type is None:
                try:
                    conn.execute("COMMIT")
                    return
                except BaseException:
                    _roll_back(conn)
                    raise
            _roll_back(conn)
        finally:
            self._lock.release()


def _roll_back(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        # If even the rollback fails, SQLite discards the uncommitted transaction when the
        # connection recovers: nothing half-written survives either way.
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


class Outbox:
    """A transactional outbox in one SQLite file. Safe to share between threads of one process."""

    def __init__(
        self,
        path: Path,
        sealer: Sealer,
        *,
        clock: Callable[[], float] = time.time,
        lease_seconds: float = 120.0,
        busy_timeout_ms: int = 5000,
        startup_checks: bool = True,
    ) -> None:
        self.path = path
        self._sealer = sealer
        self._clock = clock
        self._lease_seconds = lease_seconds
        self._busy_timeout_ms = busy_timeout_ms
        self._lock = threading.RLock()
        self.startup_alert: str | None = None
        self.recovered_in_flight = 0
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if startup_checks:
            self._conn = self._open_checked()
            self.recovered_in_flight = self._requeue_in_flight()
        else:
            # A second process (technician tools) next to the running kiosk: no repair, no recovery,
            # so it never moves the kiosk's database away or requeues rows the kiosk is sending.
            self._conn = self._connect()
            self._create_schema(self._conn)

    # ---- opening and integrity --------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA secure_delete = ON")
        return conn

    def _open_checked(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = None
        try:
            conn = self._connect()
            result = conn.execute("PRAGMA integrity_check").fetchall()
            if [tuple(r) for r in result] != [("ok",)]:
                raise _CorruptDatabase("integrity check failed")
            self._create_schema(conn)
            return conn
        except (sqlite3.DatabaseError, _CorruptDatabase) as exc:
            if isinstance(exc, sqlite3.DatabaseError) and not _is_corruption(exc):
                # Locked, unreadable, read-only...: not damage. Never move a healthy database away.
                if conn is not None:
                    conn.close()
                raise
            if conn is not None:
                conn.close()
            kept = self._move_aside()
            conn = self._connect()
            self._create_schema(conn)
            self.startup_alert = _salvage_alert(kept, _salvage(kept, conn))
            return conn

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA:
                conn.execute(statement)
            Sealer.ensure_schema(conn)
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version == 0:
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version != SCHEMA_VERSION:
                raise OutboxError(f"outbox database has schema version {version}, expected {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _move_aside(self) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(self._clock()))
        kept = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        counter = 1
        while kept.exists():
            kept = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{counter}")
            counter += 1
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(self.path) + suffix)
            if source.exists():
                os.replace(source, Path(str(kept) + suffix))
        fsync_dir(self.path.parent)
        return kept

    def _requeue_in_flight(self) -> int:
        now = self._clock()
        with self._write() as conn:
            return conn.execute(
                "UPDATE outbox SET state = 'ready', next_attempt_at = ?, updated_at = ? "
                "WHERE state = 'in_flight'",
                (now, now),
            ).rowcount

    def _write(self) -> _WriteTransaction:
        """One write transaction under the process lock; rolled back on any error."""
        return _WriteTransaction(self._lock, self._conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # ---- saving -------------------------------------------------------------------------------

    def add(self, application_id: str, payload: bytes) -> None:
        """Store an application for delivery; durable when this returns.

        Adding the same id with the same payload again is a no-op; with another payload it raises
        `ConflictingApplication`. Storage failures raise `SaveFailed` with nothing written.
        """
        if not is_application_id(application_id):
            raise SaveFailed("invalid", "application id is not a UUIDv7")
        fingerprint = self._sealer.fingerprint(payload)
        now = self._clock()
        try:
            with self._write() as conn:
                # An id already delivered stays taken: compare with what was delivered under it.
                stored = conn.execute(_DELIVERED_FINGERPRINT, (application_id,)).fetchone()
                if stored is None:
                    key_id, blob = self._sealer.seal(
                        conn,
                        now=now,
                        record_id=application_id,
                        purpose=PAYLOAD,
                        schema_version=SCHEMA_VERSION,
                        plaintext=payload,
                    )
                    # A point lookup and an INSERT ... VALUES: one INSERT ... SELECT ... WHERE
                    # NOT EXISTS did the same in one statement but cost SQLite twice as much.
                    inserted = conn.execute(
                        _INSERT_PENDING, (application_id, now, fingerprint, SCHEMA_VERSION, key_id, blob)
                    ).rowcount
                    if not inserted:
                        stored = conn.execute(_PENDING_FINGERPRINT, (application_id,)).fetchone()
                # Not inserted: the id was saved before. Same payload: a no-op, already durable.
                if stored is not None and stored[0] != fingerprint:
                    raise ConflictingApplication("application id already used for another payload")
        except sqlite3.Error as exc:
            raise _save_failed(exc) from None
        except OSError as exc:
            raise SaveFailed("storage_error", f"storage error ({exc.strerror})") from None
        except SealingError:
            raise SaveFailed(
                "key_error", "the data key cannot be used; the application was not saved"
            ) from None

    # ---- delivery bookkeeping ----------------------------------------------------------------

    def claim_due(self, limit: int = 10) -> list[Claim]:
        """Take up to `limit` rows that are due now (oldest first) for one delivery attempt each.

        Due: scheduled for now or earlier, or scheduled by a clock that was ahead and has since been
        corrected backwards (scheduled implausibly far ahead, or last written after "now").
        """
        now = self._clock()
        with self._write() as conn:
            rows = conn.execute(
                "SELECT application_id FROM outbox WHERE state IN ('ready', 'in_flight') "
                "AND (next_attempt_at <= ?1 OR next_attempt_at > ?1 + ?2 OR updated_at > ?1 + ?4) "
                "ORDER BY next_attempt_at, application_id LIMIT ?3",
                (now, MAX_SCHEDULE_AHEAD_S, limit, CLOCK_CORRECTED_MARGIN_S),
            ).fetchall()
            claims = [self._claim_row(conn, str(row[0]), now) for row in rows]
            return [claim for claim in claims if claim is not None]

    def claim(self, application_id: str) -> Claim | None:
        """Take one specific row now, whatever its schedule, unless it is in flight, done or dead."""
        now = self._clock()
        with self._write() as conn:
            row = conn.execute(
                "SELECT state, next_attempt_at, updated_at FROM outbox WHERE application_id = ?",
                (application_id,),
            ).fetchone()
            if row is None:
                return None
            state, lease_expiry, updated_at = State(row[0]), float(row[1]), float(row[2])
            expired = (
                lease_expiry <= now
                or lease_expiry > now + MAX_SCHEDULE_AHEAD_S
                or updated_at > now + CLOCK_CORRECTED_MARGIN_S  # leased under a clock that was ahead
            )
            if state is State.READY or (state is State.IN_FLIGHT and expired):
                return self._claim_row(conn, application_id, now)
            return None

    def _claim_row(self, conn: sqlite3.Connection, application_id: str, now: float) -> Claim | None:
        """Mark one row in flight and open its payload; an unreadable row is dead-lettered instead."""
        conn.execute(
            "UPDATE outbox SET state = 'in_flight', attempts = attempts + 1, next_attempt_at = ?, "
            "updated_at = ? WHERE application_id = ?",
            (now + self._lease_seconds, now, application_id),
        )
        self._set_meta(conn, "last_attempt_at", now)
        row = conn.execute(
            "SELECT key_id, payload, fingerprint, schema_version, attempts FROM outbox "
            "WHERE application_id = ?",
            (application_id,),
        ).fetchone()
        try:
            payload = self._sealer.open(
                conn,
                record_id=application_id,
                purpose=PAYLOAD,
                schema_version=int(row[3]),
                sealed=SealedRecord(key_id=str(row[0]), blob=bytes(row[1])),
            )
        except SealingError:
            # One damaged row must not block the queue behind it: a technician looks at it.
            conn.execute(
                "UPDATE outbox SET state = 'dead', last_status = NULL, last_error = ? "
                "WHERE application_id = ?",
                (UNREADABLE, application_id),
            )
            return None
        return Claim(application_id=application_id, payload=payload, fingerprint=str(row[2]), attempt=row[4])

    def mark_delivered(self, application_id: str, decision: bytes) -> None:
        """Move the row to `delivered` with the server's decision (sealed); drop the application.

        Whatever the row's state (a lease may have expired meanwhile), the decision wins: the
        server has decided this application. A row already delivered is left as it is.
        """
        now = self._clock()
        with self._write() as conn:
            row = conn.execute(
                "SELECT created_at, fingerprint, attempts FROM outbox WHERE application_id = ?",
                (application_id,),
            ).fetchone()
            if row is None:
                return
            sealed = self._sealer.seal(
                conn,
                now=now,
                record_id=application_id,
                purpose=DECISION,
                schema_version=SCHEMA_VERSION,
                plaintext=decision,
            )
            conn.execute(
                "INSERT INTO delivered (application_id, created_at, fingerprint, schema_version, attempts, "
                "delivered_at, decision_key_id, decision) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (application_id) DO NOTHING",
                (application_id, row[0], row[1], SCHEMA_VERSION, row[2], now, sealed.key_id, sealed.blob),
            )
            conn.execute("DELETE FROM outbox WHERE application_id = ?", (application_id,))
            self._set_meta(conn, "last_success_at", now)
            self._delete_meta(conn, "last_problem")

    def mark_retry(
        self, application_id: str, *, next_attempt_at: float, status: int | None, error: str
    ) -> None:
        """Put a claimed row back to ready, to be tried again at `next_attempt_at`.

        `error` must be a short category without personal data (it is shown to technicians).
        """
        now = self._clock()
        with self._write() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'ready', next_attempt_at = ?, "
                "last_status = ?, last_error = ?, updated_at = ? WHERE application_id = ? "
                "AND state = 'in_flight'",
                (next_attempt_at, status, error, now, application_id),
            )

    def mark_dead(self, application_id: str, *, status: int | None, error: str) -> None:
        """Dead-letter a claimed row: kept, never retried automatically, never deleted automatically."""
        now = self._clock()
        with self._write() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'dead', last_status = ?, last_error = ?, "
                "updated_at = ? WHERE application_id = ? AND state = 'in_flight'",
                (status, error, now, application_id),
            )

    def note_problem(self, problem: str | None) -> None:
        """Remember (or clear) a queue-wide problem for technicians, e.g. a credential or clock error."""
        with self._write() as conn:
            if problem is None:
                self._delete_meta(conn, "last_problem")
            else:
                self._set_meta(conn, "last_problem", problem)

    # ---- reading ------------------------------------------------------------------------------

    def decision_for(self, application_id: str) -> bytes | None:
        """The stored decision JSON of a delivered application, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT decision_key_id, decision FROM delivered WHERE application_id = ?",
                (application_id,),
            ).fetchone()
            if row is None or row[1] is None:
                return None
            return self._sealer.open(
                self._conn,
                record_id=application_id,
                purpose=DECISION,
                schema_version=SCHEMA_VERSION,
                sealed=SealedRecord(key_id=str(row[0]), blob=bytes(row[1])),
            )

    def info(self, application_id: str) -> RowInfo | None:
        with self._lock:
            row = self._conn.execute(_ROW_BY_ID, (application_id,)).fetchone()
        return None if row is None else _row_info(row)

    def rows(self, state: State | None = None) -> list[RowInfo]:
        """Rows (all, or in one state), oldest first, without personal data."""
        with self._lock:
            fetched = self._conn.execute(_ROWS_IN_STATE, (None if state is None else state.value,)).fetchall()
        return [_row_info(row) for row in fetched]

    def next_due_at(self) -> float | None:
        """When the earliest ready row becomes due (or an in-flight lease expires), else None.

        Rows that `claim_due` takes now whatever their schedule (see there) count as due now.
        """
        now = self._clock()
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(CASE WHEN next_attempt_at > ?1 + ?2 OR updated_at > ?1 + ?3 THEN ?1 "
                "ELSE next_attempt_at END) FROM outbox WHERE state IN ('ready', 'in_flight')",
                (now, MAX_SCHEDULE_AHEAD_S, CLOCK_CORRECTED_MARGIN_S),
            ).fetchone()
        return None if row[0] is None else float(row[0])

    def status(self) -> OutboxStatus:
        now = self._clock()
        with self._lock:
            counts = {state.value: 0 for state in State}
            for state, count in self._conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
                counts[str(state)] = int(count)
            delivered = self._conn.execute("SELECT COUNT(*) FROM delivered").fetchone()[0]
            counts[State.DONE.value] = int(delivered)
            oldest = self._conn.execute(
                "SELECT MIN(created_at) FROM outbox WHERE state IN ('ready', 'in_flight')"
            ).fetchone()[0]
            meta = dict(self._conn.execute("SELECT name, value FROM meta").fetchall())
        return OutboxStatus(
            counts=counts,
            oldest_pending_age_s=None if oldest is None else max(0.0, now - float(oldest)),
            last_success_at=_float_or_none(meta.get("last_success_at")),
            last_attempt_at=_float_or_none(meta.get("last_attempt_at")),
            last_problem=meta.get("last_problem"),
        )

    # ---- technician operations -----------------------------------------------------------------

    def retry_dead(self) -> int:
        """Requeue every dead row for an immediate attempt; returns how many."""
        now = self._clock()
        with self._write() as conn:
            return conn.execute(
                "UPDATE outbox SET state = 'ready', attempts = 0, next_attempt_at = ?, updated_at = ? "
                "WHERE state = 'dead'",
                (now, now),
            ).rowcount

    def export_dead(self, out: Path) -> int:
        """Write dead rows, still sealed, with their wrapped data keys, as JSON lines to `out`.

        The file can only be opened with this kiosk's device key. Written atomically, mode 0600.
        """
        with self._lock:
            rows = self._conn.execute(
                "SELECT application_id, created_at, attempts, last_status, last_error, "
                "fingerprint, schema_version, key_id, payload "
                "FROM outbox WHERE state = 'dead' ORDER BY created_at"
            ).fetchall()
            lines = []
            for row in rows:
                key_id = str(row[7])
                wrapped = self._sealer.wrapped_key(self._conn, key_id)
                wrapped_text = None if wrapped is None else base64.b64encode(wrapped).decode()
                lines.append(
                    json.dumps(
                        {
                            "application_id": row[0],
                            "created_at": row[1],
                            "attempts": row[2],
                            "last_status": row[3],
                            "last_error": row[4],
                            "fingerprint": row[5],
                            "schema_version": row[6],
                            "key_id": key_id,
                            "sealed_payload": base64.b64encode(bytes(row[8])).decode(),
                            "wrapped_data_key": wrapped_text,
                        },
                        sort_keys=True,
                    )
                )
        data = "".join(line + "\n" for line in lines).encode()
        write_file_atomically(out, data)
        return len(lines)

    def purge(self, retention_seconds: float) -> PurgeReport:
        """Delete delivered rows older than the retention period and shred unused retired keys.

        Dead and undelivered rows are never purged. Afterwards the WAL is checkpointed and
        truncated so deleted pages (already zeroed by `secure_delete`) leave the WAL too.
        """
        now = self._clock()
        with self._write() as conn:
            # Rotating first retires the current key once it is old, so it can be shredded later.
            self._sealer.rotate_if_due(conn, now)
            deleted = conn.execute(
                "DELETE FROM delivered WHERE delivered_at <= ?",
                (now - retention_seconds,),
            ).rowcount
            referenced = {
                str(row[0])
                for row in conn.execute(
                    "SELECT key_id FROM outbox UNION SELECT decision_key_id FROM delivered"
                )
            }
            unused = [k for k in self._sealer.retired_key_ids(conn) if k not in referenced]
            destroyed = self._sealer.destroy_keys(conn, unused)
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return PurgeReport(rows_deleted=deleted, keys_destroyed=destroyed)

    # ---- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _set_meta(conn: sqlite3.Connection, name: str, value: object) -> None:
        conn.execute(
            "INSERT INTO meta (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, str(value)),
        )

    @staticmethod
    def _delete_meta(conn: sqlite3.Connection, name: str) -> None:
        conn.execute("DELETE FROM meta WHERE name = ?", (name,))


def _row_info(row: Any) -> RowInfo:
    return RowInfo(
        application_id=str(row[0]),
        state=State(str(row[1])),
        created_at=float(row[2]),
        attempts=int(row[3]),
        next_attempt_at=float(row[4]),
        last_status=None if row[5] is None else int(row[5]),
        last_error=None if row[6] is None else str(row[6]),
        delivered_at=None if row[7] is None else float(row[7]),
    )


@dataclass
class _Salvage:
    """What was copied from a damaged database into the new one."""

    pending: int = 0  # ready or in flight: will be delivered
    dead: int = 0
    delivered: int = 0
    skipped_rows: int = 0  # read, but breaking the schema (or already present): left behind
    incomplete: bool = False  # some table, or the end of one, could not be read at all
    write_failed: bool = False  # the new database refused the copy: nothing was recovered


def _salvage(kept: Path, conn: sqlite3.Connection) -> _Salvage:
    """Copy what can still be read from the damaged database `kept` into `conn`, in one transaction.

    The damaged file is only read, never changed: opened `immutable` (no journal, no lock, no
    files created next to it) unless it still has a WAL, which a read-only connection must replay
    to see the last committed applications. Each table is read on its own: one that cannot be read
    is skipped, rows read before damage stops a table are kept, and `INSERT OR IGNORE` skips rows
    that break a constraint (an unknown state, a missing value, a duplicate id). Never raises: a
    failure leaves the new database empty, and the damaged file is still there for technicians.
    """
    result = _Salvage()
    wal = Path(str(kept) + "-wal")
    uri = kept.resolve().as_uri() + ("?mode=ro" if wal.exists() else "?immutable=1")
    try:
        source = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error:
        result.incomplete = True
        return result
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in _SALVAGED_TABLES:
                _copy_table(source, conn, table, result)
            conn.execute("COMMIT")
        except sqlite3.Error:
            _roll_back(conn)
            return _Salvage(incomplete=True, write_failed=True)
        except BaseException:
            _roll_back(conn)
            raise
    except sqlite3.Error:
        return _Salvage(incomplete=True, write_failed=True)
    finally:
        source.close()
    return result


def _copy_table(
    source: sqlite3.Connection, target: sqlite3.Connection, table: _SalvagedTable, result: _Salvage
) -> None:
    try:
        cursor = source.execute(table.select)
    except sqlite3.DatabaseError:
        result.incomplete = True
        return
    while True:
        try:
            batch = cursor.fetchmany(256)
        except sqlite3.DatabaseError:
            # Damage further on in this table: keep what was read before it.
            result.incomplete = True
            return
        if not batch:
            return
        for row in batch:
            typed = all(isinstance(value, kinds) for value, kinds in zip(row, table.kinds, strict=True))
            if not typed or not target.execute(table.insert, row).rowcount:
                result.skipped_rows += 1
            elif table.name == "delivered":
                result.delivered += 1
            elif table.name == "outbox":
                if row[_OUTBOX_STATE_COLUMN] == State.DEAD.value:
                    result.dead += 1
                else:
                    result.pending += 1


def _salvage_alert(kept: Path, salvage: _Salvage) -> str:
    """The technician alert after a damaged database was replaced: counts only, no personal data."""
    alert = (
        f"outbox database failed its integrity check; the damaged file is kept as {kept.name} for technicians"
    )
    if salvage.write_failed:
        return alert + "; a new empty outbox was started (copying from the damaged file failed)"
    recovered = salvage.pending + salvage.dead
    if recovered == 0 and salvage.delivered == 0:
        alert += "; a new empty outbox was started, no application could be recovered"
    else:
        alert += (
            f"; a new outbox was started with {recovered} application(s) recovered "
            f"({salvage.pending} to deliver, {salvage.dead} dead-lettered) "
            f"and {salvage.delivered} delivered record(s)"
        )
    if salvage.skipped_rows:
        alert += f"; {salvage.skipped_rows} damaged row(s) were left behind"
    if salvage.incomplete and (recovered or salvage.delivered):
        alert += "; part of the damaged file could not be read"
    return alert


def _float_or_none(value: str | None) -> float | None:
    return None if value is None else float(value)


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        # Older bindings without error codes: fall back to SQLite's fixed messages.
        text = str(exc)
        return "malformed" in text or "not a database" in text
    return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def _save_failed(exc: sqlite3.Error) -> SaveFailed:
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    if primary == _SQLITE_FULL:
        return SaveFailed("disk_full", "storage is full; the application was not saved")
    if primary in (_SQLITE_IOERR, _SQLITE_READONLY, _SQLITE_CANTOPEN):
        return SaveFailed("storage_error", "storage error; the application was not saved")
    name = type(exc).__name__
    return SaveFailed("storage_error", f"database error ({name}); the application was not saved")
