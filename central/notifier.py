"""Applicant notifications (SMS) through a seam, sent from an outbox.

A decision writes its notification into the ``notifications`` table in the same transaction (the
outbox). A :class:`NotificationDispatcher` thread hands pending rows to a :class:`Notifier` in
batches and marks them sent; the full phone number is kept only until then (the row keeps the
masked number and the text as the record). A failed send leaves the row pending for the next round.
The reference notifier only accepts the message; a deployment plugs the city's SMS gateway in here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import select, update

from central.db import Database, NotificationRow, utcnow

log = logging.getLogger("central.notifier")

BATCH = 200
COALESCE_S = 0.2


class Notifier(Protocol):
    """Sends one text message; raises on failure."""

    def send(self, phone: str, message: str) -> None: ...


class RecordingNotifier:
    """Reference notifier: accepts every message; the outbox row is the record."""

    def send(self, phone: str, message: str) -> None:
        del phone, message


class NotificationDispatcher:
    """Background sender of pending notifications."""

    def __init__(self, db: Database, notifier: Notifier, *, idle_poll_s: float = 2.0) -> None:
        self._db = db
        self._notifier = notifier
        self._idle_poll_s = idle_poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Something was queued: send soon."""
        self._wake.set()

    def start(self) -> None:
        """Start the sender thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="notification-dispatcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the sender thread (pending rows stay pending)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._wake.wait(self._idle_poll_s):
                # Let the notifications of decisions made at the same moment gather into one batch.
                self._stop.wait(COALESCE_S)
            self._wake.clear()
            try:
                while self.dispatch_once() == BATCH and not self._stop.is_set():
                    pass
            except Exception as error:  # a database hiccup must not end the thread
                log.warning("notification dispatch failed: %s", type(error).__name__)

    def dispatch_once(self) -> int:
        """Send up to one batch of pending notifications; returns how many were pending."""
        if not self._db.is_sqlite:
            return self._dispatch_locked()
        with self._db.read() as session:
            pending = session.execute(self._pending_query()).all()
        sent = self._send_all(pending)
        if sent:
            with self._db.write() as session:
                session.execute(
                    update(NotificationRow)
                    .where(NotificationRow.id.in_(sent))
                    .values(sent_at=utcnow(), phone=None)
                )
        return len(pending)

    def _dispatch_locked(self) -> int:
        # Several API nodes run a dispatcher each: SKIP LOCKED hands every pending row to one of them.
        with self._db.write() as session:
            pending = session.execute(self._pending_query().with_for_update(skip_locked=True)).all()
            sent = self._send_all(pending)
            if sent:
                session.execute(
                    update(NotificationRow)
                    .where(NotificationRow.id.in_(sent))
                    .values(sent_at=utcnow(), phone=None)
                )
        return len(pending)

    @staticmethod
    def _pending_query() -> Any:  # a Select; its generic form differs between SQLAlchemy 2.0 and 2.1
        return (
            select(NotificationRow.id, NotificationRow.phone, NotificationRow.message)
            .where(NotificationRow.sent_at.is_(None), NotificationRow.phone.is_not(None))
            .order_by(NotificationRow.id)
            .limit(BATCH)
        )

    def _send_all(self, pending: Sequence[Any]) -> list[int]:
        sent: list[int] = []
        for row_id, phone, message in pending:
            if phone is None:
                continue
            try:
                self._notifier.send(phone, message)
            except Exception as error:  # one failed SMS must not hold up the others
                log.warning("notification %s not sent: %s", row_id, type(error).__name__)
                continue
            sent.append(row_id)
        return sent
