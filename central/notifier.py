"""Applicant notifications (SMS) through a seam.

Decisions write their notification into the ``notifications`` table in the same transaction (an
outbox); after the commit the service hands pending rows to a :class:`Notifier`. The reference
notifier only records that the message was sent (the row keeps the masked number and the text); a
production deployment plugs in the city's SMS gateway here.
"""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy import select

from central.db import Database, NotificationRow, utcnow

log = logging.getLogger("central.notifier")


class Notifier(Protocol):
    """Sends one text message; raises on failure (the row stays pending and is retried later)."""

    def send(self, phone: str, message: str) -> None: ...


class RecordingNotifier:
    """Reference notifier: accepts every message; the outbox row is the record."""

    def send(self, phone: str, message: str) -> None:
        del phone, message


def dispatch_pending(db: Database, notifier: Notifier, phones: dict[int, str]) -> int:
    """Send the given pending notifications (row id -> full phone number); returns how many were sent."""
    sent = 0
    for row_id, phone in phones.items():
        with db.read() as session:
            row = session.get(NotificationRow, row_id)
            if row is None or row.sent_at is not None:
                continue
            message = row.message
        try:
            notifier.send(phone, message)
        except Exception as error:  # a failed SMS must never fail the decision; the row stays pending
            log.warning("notification %s not sent: %s", row_id, type(error).__name__)
            continue
        with db.write() as session:
            stored = session.get(NotificationRow, row_id)
            if stored is not None:
                stored.sent_at = utcnow()
        sent += 1
    return sent


def pending_count(db: Database) -> int:
    """How many notifications are still waiting to be sent."""
    with db.read() as session:
        return len(session.execute(select(NotificationRow.id).where(NotificationRow.sent_at.is_(None))).all())
