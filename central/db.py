"""Database tables, engine set-up and migrations (SQLAlchemy 2; SQLite or PostgreSQL).

:class:`Database` hands out sessions. ``write()`` sessions on SQLite are serialised inside the
process with a lock: SQLite has one writer anyway, and taking the lock up front avoids the
deferred-transaction upgrade deadlock ("database is locked") that concurrent writers otherwise
hit. PostgreSQL needs no lock: uniqueness and row locks do the work.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    create_engine,
    event,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.base import Executable


def utcnow() -> datetime:
    """Timezone-aware current UTC time."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with JSON for dict columns."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class KioskRow(Base):
    """A provisioned kiosk and what its last heartbeat said."""

    __tablename__ = "kiosks"
    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(200), default="")
    group_name: Mapped[str] = mapped_column(String(64), default="")
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_heartbeat: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    clock_offset_s: Mapped[float | None] = mapped_column(Float, nullable=True)


class UsedNonceRow(Base):
    """Nonces seen inside the accepted clock window (replays are refused)."""

    __tablename__ = "used_nonces"
    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[int] = mapped_column(Integer, index=True)


class CatalogItemRow(Base):
    """One service item; ``data`` is the item document served to kiosks."""

    __tablename__ = "catalog_items"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class CatalogStateRow(Base):
    """The catalogue's version (single row, id 1); bumped whenever items change."""

    __tablename__ = "catalog_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    extras: Mapped[dict[str, Any]] = mapped_column(JSON)


class RuleSetRow(Base):
    """A versioned rule set for an instant-approval item; one version per item is active."""

    __tablename__ = "rule_sets"
    item_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)


class RegistryRecordRow(Base):
    """A record of one of the government registries the rules look up."""

    __tablename__ = "registry_records"
    # A decision reads all registries of one person at once (by key): without this index that is a
    # scan of every record of every resident.
    __table_args__ = (Index("ix_registry_records_key", "key"),)
    registry_name: Mapped[str] = mapped_column("registry", String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


def id_number_digest(id_number: str) -> str:
    """SHA-256 (hex) of an applicant's ID number: the fixed-width key of their earlier applications.

    Not a protection of the number (the application's request document holds it anyway): it lets
    the applicant's earlier decisions on an item be found through an index.
    """
    return hashlib.sha256(id_number.encode("utf-8")).hexdigest()


class ApplicationRow(Base):
    """An application; (kiosk_id, application_id) is the permanent idempotency key.

    ``applicant_sha256`` is :func:`id_number_digest` of the applicant's ID number, written with the
    row; with ``item_code`` it finds the applicant's earlier decisions on the item.
    """

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("kiosk_id", "application_id", name="uq_applications_kiosk_app"),
        Index("ix_applications_applicant_item", "applicant_sha256", "item_code"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str] = mapped_column(String(64))
    application_id: Mapped[str] = mapped_column(String(64), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # processing | done
    claim_token: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    item_code: Mapped[str] = mapped_column(String(40))
    applicant_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    review_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    review_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class NotificationRow(Base):
    """Notification outbox: written in the decision's transaction, then handed to the notifier."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(32))  # masked, kept as the record
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)  # cleared once sent
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SlotUsageRow(Base):
    """How many bookings an appointment slot holds (capacity is enforced by a conditional update)."""

    __tablename__ = "slot_usage"
    zone: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    slot: Mapped[str] = mapped_column(String(5), primary_key=True)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    issued: Mapped[int] = mapped_column(Integer, default=0)


class BookingRow(Base):
    """An appointment booking; (kiosk_id, booking_id) makes booking idempotent."""

    __tablename__ = "bookings"
    __table_args__ = (UniqueConstraint("kiosk_id", "booking_id", name="uq_bookings_kiosk_booking"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str] = mapped_column(String(64))
    booking_id: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    zone: Mapped[str] = mapped_column(String(32))
    day: Mapped[str] = mapped_column(String(10))
    slot: Mapped[str] = mapped_column(String(5))
    ticket_number: Mapped[str] = mapped_column(String(32))
    applicant_masked: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # booked | cancelled
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ConfigDocumentRow(Base):
    """A kiosk configuration (fleet-wide or for one kiosk) with a monotonic version."""

    __tablename__ = "config_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(16))  # fleet | kiosk
    target: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConfigKeyRow(Base):
    """An administrator's Ed25519 public key; only documents it signed are stored and served.

    The service holds no private key: administrators sign configuration offline.
    """

    __tablename__ = "config_keys"
    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))  # base64 of the 32 raw bytes
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AdminTokenRow(Base):
    """An administrator's bearer token, stored as its SHA-256."""

    __tablename__ = "admin_tokens"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SchemaMigrationRow(Base):
    """Applied migrations."""

    __tablename__ = "schema_migrations"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def _migration_1_initial(connection: Any) -> None:
    Base.metadata.create_all(connection)


def _migration_2_admin_config_keys(connection: Any) -> None:
    # Configuration is now signed by administrators offline: the server's own private signing key
    # is destroyed and administrators' public keys get their table.
    ConfigKeyRow.__table__.create(connection, checkfirst=True)  # type: ignore[attr-defined]
    connection.execute(text("DROP TABLE IF EXISTS signing_keys"))
    # Documents the server composed and signed itself no kiosk can verify any more.
    connection.execute(text("DELETE FROM config_documents"))


def _migration_3_applicant_digest(connection: Any) -> None:
    # Rules look at the applicant's earlier decisions on an item (so that an entitlement is not paid
    # twice): the ID number's digest gets its own indexed column. A database created after this
    # change already has both from migration 1.
    applications = cast(Table, ApplicationRow.__table__)
    if not inspect(connection).has_table("applications"):
        applications.create(connection)  # with the column and its index
        return
    if "applicant_sha256" not in {c["name"] for c in inspect(connection).get_columns("applications")}:
        connection.execute(text("ALTER TABLE applications ADD COLUMN applicant_sha256 VARCHAR(64)"))
    for index in applications.indexes:
        if index.name == "ix_applications_applicant_item":
            index.create(connection, checkfirst=True)
    # Applications stored before: the digest of the ID number in their request, in batches.
    pending = (
        select(applications.c.id, applications.c.request)
        .where(applications.c.applicant_sha256.is_(None), applications.c.id > bindparam("after"))
        .order_by(applications.c.id)
        .limit(1000)
    )
    fill = (
        update(applications)
        .where(applications.c.id == bindparam("row_id"))
        .values(applicant_sha256=bindparam("digest"))
    )
    after = 0
    while batch := connection.execute(pending, {"after": after}).all():
        digests = []
        for row_id, request in batch:
            id_number = ((request or {}).get("applicant") or {}).get("id_number")
            if isinstance(id_number, str):
                digests.append({"row_id": row_id, "digest": id_number_digest(id_number)})
        if digests:
            connection.execute(fill, digests)
        after = batch[-1][0]


def _migration_4_registry_key_index(connection: Any) -> None:
    # The registries are looked up by key alone (one person's records in every registry): the
    # primary key starts with the registry name and cannot serve that.
    records = cast(Table, RegistryRecordRow.__table__)
    if not inspect(connection).has_table("registry_records"):
        records.create(connection)  # with its index
        return
    for index in records.indexes:
        index.create(connection, checkfirst=True)


# Ordered, append-only: a new schema change is a new function at the end.
MIGRATIONS: tuple[Callable[[Any], None], ...] = (
    _migration_1_initial,
    _migration_2_admin_config_keys,
    _migration_3_applicant_digest,
    _migration_4_registry_key_index,
)


# A write that nobody waits for (a request's nonce) is committed at the latest this long after it
# ran; usually a waiting writer's commit takes it along sooner. Waking a thread costs more than a
# write, so these are gathered rather than committed one by one.
UNWAITED_COMMIT_DELAY_S = 0.002


class WriteFailed(Exception):
    """The batch holding this write could not be committed (disk full, I/O error)."""


class _GroupCommitter:
    """SQLite group commit: many writers' work shares one transaction and one fsync.

    A writer runs its statements inside a SAVEPOINT of the shared transaction (holding the lock
    only for its own statements, which take microseconds), then commits the batch that holds
    them, or waits while another writer commits it (writes arriving meanwhile form the next
    batch). A writer whose statements fail rolls back its savepoint alone. ``write()`` returns
    only after COMMIT returned, so "answered" still means "durable".
    """

    def __init__(self, engine: Engine) -> None:
        self._connection = engine.execution_options(sqlite_begin="IMMEDIATE").connect()
        self._session = Session(bind=self._connection, expire_on_commit=False)
        self._lock = threading.Lock()  # guards the shared session
        # Both conditions share one lock that guards the counters below. Two of them so that a write
        # wakes only the background committer, and a commit wakes only the writers waiting for it.
        state = threading.Lock()
        self._work = threading.Condition(state)  # the background committer waits here for writes
        self._done = threading.Condition(state)  # writers wait here for their batch's commit
        self._collecting = 0  # number of the batch now collecting writes
        self._committed = -1  # number of the last batch committed (or failed)
        self._pending = 0  # writes in the collecting batch
        self._committing = False  # a thread is committing a batch
        self._unwaited = False  # a write that no writer waits for awaits the background committer
        self._failures: dict[int, BaseException] = {}
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="sqlite-group-commit", daemon=True)
        self._thread.start()

    @contextmanager
    def write(self) -> Iterator[Session]:
        batch: int | None = None
        try:
            with self._lock:
                if self._closed:
                    raise WriteFailed("the database is closed")
                session = self._session
                try:
                    with session.begin_nested():
                        yield session
                finally:
                    with self._work:
                        batch = self._collecting
                        self._pending += 1
        except BaseException:
            # Even a failed write opened the shared transaction (and SQLite's write lock): the
            # batch is committed so that the lock is released; the block's own error is raised.
            if batch is not None:
                with suppress(WriteFailed):
                    self._await(batch)
            raise
        assert batch is not None
        self._await(batch)

    def execute(
        self, statement: Executable, parameters: dict[str, Any] | None = None, *, wait: bool = True
    ) -> int:
        """One statement without a savepoint (a single statement is atomic by itself); its rowcount.

        ``wait=False`` returns as soon as the statement ran in the shared transaction (its effect is
        visible to every later write at once) without waiting for the batch's commit.
        """
        with self._lock:
            if self._closed:
                raise WriteFailed("the database is closed")
            with self._work:
                batch = self._collecting
            rowcount = 0
            failed = False
            try:
                rowcount = _affected(self._session.connection().execute(statement, parameters))
            except Exception as error:
                # Without a savepoint the batch cannot be trusted: fail all of it.
                self._session.rollback()
                failed = True
                with self._work:
                    self._failures[batch] = error
            with self._work:
                self._pending += 1
                if not (wait or failed or self._unwaited):
                    # No writer may come to commit this one: the background committer will.
                    self._unwaited = True
                    self._work.notify()
        if wait or failed:  # a failed statement is reported (as WriteFailed) even without waiting
            self._await(batch)
        return rowcount

    def _await(self, batch: int) -> None:
        """Return once ``batch`` is committed; commit it in this thread when no commit is running.

        The waiting writer commits itself rather than handing over to another thread: the batch's
        transaction (SQLite's write lock) is then held for no longer than its statements and the
        COMMIT, not for as long as another thread takes to be scheduled.
        """
        while True:
            with self._done:
                while self._committed < batch and self._committing:
                    self._done.wait()
                if self._committed >= batch:
                    failure = self._failures.get(batch)
                    break
                self._committing = True
            self._commit_batch()
        if failure is not None:
            raise WriteFailed("the write could not be committed") from failure

    def _commit_batch(self) -> None:
        """Commit every write collected so far (the caller has set ``self._committing``)."""
        batch = None
        failure: BaseException | None = None
        try:
            with self._lock:
                with self._work:
                    batch = self._collecting
                    self._collecting += 1
                    self._pending = 0
                try:
                    self._session.commit()
                except Exception as error:  # every writer of the batch is told
                    failure = error
                    self._session.rollback()
                finally:
                    self._session.expunge_all()
        finally:
            with self._done:
                if batch is not None:
                    if failure is not None:
                        self._failures[batch] = failure
                        for old in [b for b in self._failures if b < batch - 1000]:
                            del self._failures[old]
                    self._committed = batch
                self._committing = False
                self._done.notify_all()

    def _run(self) -> None:
        # Commits the writes that no writer waits for (``execute(wait=False)``) a moment later,
        # unless a waiting writer's commit took them along meanwhile; and what is left at close.
        while True:
            with self._work:
                while not (self._unwaited or self._closed):
                    self._work.wait()
                self._work.wait(UNWAITED_COMMIT_DELAY_S)
                self._unwaited = False
                while self._committing:
                    self._done.wait()
                if self._pending == 0:
                    if self._closed:
                        return
                    continue
                self._committing = True
            self._commit_batch()

    def close(self) -> None:
        with self._work:
            self._closed = True
            self._work.notify_all()
        self._thread.join(timeout=30)
        with self._lock:
            self._session.close()
            self._connection.close()


class Database:
    """Engine + sessions for one database URL.

    ``group_commit`` (SQLite only; meant for the long-running service) batches concurrent writes
    into shared transactions: one fsync per batch instead of one per write.
    """

    def __init__(self, url: str, *, group_commit: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            # A pool of connections, each used by one thread at a time (never shared concurrently).
            in_memory = url in ("sqlite://", "sqlite:///:memory:")
            self.engine: Engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 30},
                hide_parameters=True,  # errors never echo the citizen's data
                **({"poolclass": NullPool} if in_memory else {"pool_size": 8, "max_overflow": 56}),
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = create_engine(url, pool_size=20, max_overflow=20, hide_parameters=True)
            # A connection is tested before use only after it sat idle (the server may have been
            # restarted meanwhile): testing every checkout cost a round trip per statement group.
            event.listen(self.engine, "checkin", _note_idle_since)
            dialect = self.engine.dialect

            def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
                _ping_if_idle(dialect, dbapi_connection, record)

            event.listen(self.engine, "checkout", ping_if_idle)
        # Quick reads and single-statement writes need no BEGIN and ROLLBACK/COMMIT round trips on
        # PostgreSQL (SQLite connections already run statements without an explicit transaction).
        self._autocommit = (
            self.engine if self.is_sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        write_engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        )
        self._write_sessions = sessionmaker(write_engine, expire_on_commit=False)
        self._write_lock = threading.Lock()
        self._group_commit = group_commit and self.is_sqlite
        self._committer: _GroupCommitter | None = None

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading (rolled back at the end)."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain connection for quick reads on hot paths (no ORM session around it).

        No transaction is opened: each statement sees the data committed when it starts.
        """
        with self._autocommit.connect() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work is committed (durably) before the block's exit returns.

        On error the block's work is rolled back and the error propagates.
        """
        if self._group_commit:
            with self._write_lock:
                if self._committer is None:
                    self._committer = _GroupCommitter(self.engine)
                committer = self._committer
            with committer.write() as session:
                yield session
        elif self.is_sqlite:
            with self._write_lock, self._write_sessions.begin() as session:
                yield session
        else:
            with self._write_sessions.begin() as session:
                yield session

    def execute_write(
        self,
        statement: Executable,
        parameters: dict[str, Any] | None = None,
        *,
        wait_for_commit: bool = True,
    ) -> int:
        """Run one data-changing statement (with ``parameters``) in its own (possibly shared) transaction.

        Returns the number of rows it returned (with RETURNING) or else its rowcount. With group
        commit, ``wait_for_commit=False`` returns before the shared transaction is committed.
        """
        if self._group_commit:
            with self._write_lock:
                if self._committer is None:
                    self._committer = _GroupCommitter(self.engine)
                committer = self._committer
            return committer.execute(statement, parameters, wait=wait_for_commit)
        if not self.is_sqlite:  # one statement is a transaction of its own (committed on return)
            with self._autocommit.connect() as connection:
                return _affected(connection.execute(statement, parameters))
        with self.write() as session:
            return _affected(session.connection().execute(statement, parameters))

    def migrate(self) -> int:
        """Apply outstanding migrations; returns the schema version."""
        engine = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        with self._write_lock, engine.begin() as connection:
            if not self.is_sqlite:
                # One migrator at a time when several API nodes start together.
                connection.execute(text("SELECT pg_advisory_xact_lock(7007001)"))
            SchemaMigrationRow.__table__.create(connection, checkfirst=True)  # type: ignore[attr-defined]
            applied = set(connection.execute(select(SchemaMigrationRow.version)).scalars())
            for number, migration in enumerate(MIGRATIONS, start=1):
                if number in applied:
                    continue
                migration(connection)
                connection.execute(
                    SchemaMigrationRow.__table__.insert().values(version=number, applied_at=utcnow())  # type: ignore[attr-defined]
                )
        return len(MIGRATIONS)

    def dispose(self) -> None:
        """Finish pending writes and close connections."""
        with self._write_lock:
            committer, self._committer = self._committer, None
        if committer is not None:
            committer.close()
        self.engine.dispose()


# A pooled PostgreSQL connection idle for longer than this is tested before it is handed out.
IDLE_PING_AFTER_S = 5.0


def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dialect: Any, dbapi_connection: Any, record: Any) -> None:
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_AFTER_S:
        return
    try:
        alive = dialect.do_ping(dbapi_connection)
    except Exception:  # any failure means this connection cannot be used
        alive = False
    if not alive:
        # The pool drops this connection and hands out another (a new one if need be).
        raise DisconnectionError("connection lost while idle")


def _affected(result: Any) -> int:
    # Drivers disagree on rowcount for INSERT ... ON CONFLICT: statements that need an exact answer
    # use RETURNING and count the rows.
    return len(result.fetchall()) if result.returns_rows else int(result.rowcount)


def _sqlite_begin(connection: Any) -> None:
    # pysqlite's own transaction handling is switched off (isolation_level=None below) so that
    # SAVEPOINTs work; write transactions are begun here, IMMEDIATE: taking the write lock up front
    # avoids the deferred-transaction upgrade failure between processes.
    # Read sessions run without an explicit transaction (each statement sees a consistent snapshot).
    if connection.get_execution_options().get("sqlite_begin") == "IMMEDIATE":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; FULL makes every commit durable.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
