"""Database tables, engine set-up and migrations (SQLAlchemy 2; SQLite or PostgreSQL).

:class:`Database` hands out sessions. ``write()`` sessions on SQLite are serialised inside the
process with a lock: SQLite has one writer anyway, and taking the lock up front avoids the
deferred-transaction upgrade deadlock ("database is locked") that concurrent writers otherwise
hit. PostgreSQL needs no lock: uniqueness and row locks do the work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import NullPool


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
    registry_name: Mapped[str] = mapped_column("registry", String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class ApplicationRow(Base):
    """An application; (kiosk_id, application_id) is the permanent idempotency key."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("kiosk_id", "application_id", name="uq_applications_kiosk_app"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str] = mapped_column(String(64))
    application_id: Mapped[str] = mapped_column(String(64), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # processing | done
    claim_token: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    item_code: Mapped[str] = mapped_column(String(40))
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
    recipient: Mapped[str] = mapped_column(String(32))
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


class SigningKeyRow(Base):
    """The Ed25519 key that signs configuration documents."""

    __tablename__ = "signing_keys"
    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    private_key: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
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


# Ordered, append-only: a new schema change is a new function at the end.
MIGRATIONS: tuple[Callable[[Any], None], ...] = (_migration_1_initial,)


class Database:
    """Engine + sessions for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            # NullPool: each session gets its own connection, closed after use; cheap for SQLite
            # and it avoids sharing a connection between threads.
            self.engine: Engine = create_engine(
                url, poolclass=NullPool, connect_args={"check_same_thread": False, "timeout": 30}
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.Lock()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading (rolled back at the end)."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session committed at the end, rolled back on error."""
        if self.is_sqlite:
            with self._write_lock, self._sessions.begin() as session:
                yield session
        else:
            with self._sessions.begin() as session:
                yield session

    def migrate(self) -> int:
        """Apply outstanding migrations; returns the schema version."""
        with self._write_lock, self.engine.begin() as connection:
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
        """Close pooled connections."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; FULL makes every commit durable.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
