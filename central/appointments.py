"""Appointments at the hall's acceptance zones: days, slots with capacity, idempotent bookings.

Capacity is enforced with one conditional UPDATE (``booked = booked + 1 WHERE booked < capacity``),
which is atomic on SQLite and PostgreSQL alike, so concurrent bookings never overfill a slot.
(kiosk id, booking id) is UNIQUE: repeating a booking returns the same ticket.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from central.applications import CHINA, KEY_PATTERN
from central.catalog import CatalogStore
from central.db import BookingRow, Database, SlotUsageRow
from central.idnumber import is_valid_id_number, mask_id_number
from central.problems import ProblemError, not_found
from central.schemas import BookingIn

SLOTS = (
    "09:00",
    "09:30",
    "10:00",
    "10:30",
    "11:00",
    "11:30",
    "14:00",
    "14:30",
    "15:00",
    "15:30",
    "16:00",
    "16:30",
)
SLOT_CAPACITY = 6
BOOKABLE_WORKING_DAYS = 7


class AppointmentService:
    """Zones, days, slots and bookings."""

    def __init__(self, db: Database, catalog: CatalogStore, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._catalog = catalog
        self._clock = clock

    def _today(self) -> date:
        return datetime.fromtimestamp(self._clock(), UTC).astimezone(CHINA).date()

    def zones(self) -> list[dict[str, Any]]:
        """The acceptance zones."""
        return list(self._catalog.current().zones.values())

    def _zone(self, code: str) -> dict[str, Any]:
        zone = self._catalog.current().zones.get(code)
        if zone is None:
            raise not_found("appointment zone")
        return zone

    def bookable_days(self) -> list[date]:
        """The next working days, starting tomorrow (Monday to Friday)."""
        days: list[date] = []
        day = self._today()
        while len(days) < BOOKABLE_WORKING_DAYS:
            day += timedelta(days=1)
            if day.weekday() < 5:
                days.append(day)
        return days

    def _usage(self, zone: str, day: str) -> dict[str, int]:
        with self._db.read() as session:
            rows = session.execute(
                select(SlotUsageRow.slot, SlotUsageRow.booked).where(
                    SlotUsageRow.zone == zone, SlotUsageRow.day == day
                )
            ).all()
        return {slot: booked for slot, booked in rows}

    def days(self, zone: str) -> list[dict[str, Any]]:
        """Bookable days of a zone with their free places."""
        self._zone(zone)
        result = []
        for day in self.bookable_days():
            usage = self._usage(zone, day.isoformat())
            free = sum(SLOT_CAPACITY - usage.get(slot, 0) for slot in SLOTS)
            result.append({"day": day.isoformat(), "weekday": day.isoweekday(), "available": free})
        return result

    def _check_day(self, day: str) -> None:
        if day not in {d.isoformat() for d in self.bookable_days()}:
            raise ProblemError(
                422,
                "day-not-bookable",
                "Day not bookable",
                "Bookings are taken for the next seven working days only.",
            )

    def slots(self, zone: str, day: str) -> list[dict[str, Any]]:
        """The slots of a day with capacity and free places."""
        self._zone(zone)
        self._check_day(day)
        usage = self._usage(zone, day)
        return [
            {"slot": slot, "capacity": SLOT_CAPACITY, "available": SLOT_CAPACITY - usage.get(slot, 0)}
            for slot in SLOTS
        ]

    def book(self, kiosk_id: str, booking_id: str | None, booking: BookingIn) -> tuple[int, dict[str, Any]]:
        """Book a slot; repeating the same booking id returns the same ticket."""
        if not booking_id or not KEY_PATTERN.match(booking_id):
            raise ProblemError(
                400,
                "idempotency-key-missing",
                "Idempotency-Key required",
                "Send the booking id (a UUID) as the Idempotency-Key header.",
            )
        booking_id = booking_id.lower()
        fingerprint = hashlib.sha256(
            json.dumps(booking.model_dump(mode="json"), sort_keys=True).encode()
        ).hexdigest()
        existing = self._find(kiosk_id, booking_id)
        if existing is not None:
            return self._repeat(existing, fingerprint)
        zone = self._zone(booking.zone)
        self._check_day(booking.day)
        if booking.slot not in SLOTS:
            raise ProblemError(422, "slot-unknown", "No such slot", "Choose one of the listed time slots.")
        if not is_valid_id_number(booking.applicant.id_number):
            raise ProblemError(
                422, "invalid-request", "Invalid request", "The applicant's ID number is not valid."
            )
        try:
            with self._db.write() as session:
                self._ensure_usage_row(session, booking)
                taken = session.execute(
                    update(SlotUsageRow)
                    .where(
                        SlotUsageRow.zone == booking.zone,
                        SlotUsageRow.day == booking.day,
                        SlotUsageRow.slot == booking.slot,
                        SlotUsageRow.booked < SLOT_CAPACITY,
                    )
                    .values(booked=SlotUsageRow.booked + 1, issued=SlotUsageRow.issued + 1)
                    .returning(SlotUsageRow.issued)
                ).scalar_one_or_none()
                if taken is None:
                    raise ProblemError(
                        409, "slot-full", "Slot full", "This time slot is fully booked; choose another."
                    )
                letter = chr(ord("A") + list(self._catalog.current().zones).index(booking.zone))
                slot_number = SLOTS.index(booking.slot) + 1
                ticket = f"{letter}{booking.day[5:7]}{booking.day[8:10]}-{slot_number:02d}{taken:02d}"
                session.add(
                    BookingRow(
                        kiosk_id=kiosk_id,
                        booking_id=booking_id,
                        fingerprint=fingerprint,
                        zone=booking.zone,
                        day=booking.day,
                        slot=booking.slot,
                        ticket_number=ticket,
                        applicant_masked=mask_id_number(booking.applicant.id_number),
                        status="booked",
                    )
                )
        except IntegrityError:
            # The same booking id arrived twice at once; the first one's row is committed shortly.
            deadline = time.monotonic() + 5.0
            existing = self._find(kiosk_id, booking_id)
            while existing is None and time.monotonic() < deadline:
                time.sleep(0.01)
                existing = self._find(kiosk_id, booking_id)
            if existing is None:
                raise ProblemError(
                    409, "booking-in-progress", "Booking still being stored", "Retry shortly.", retry_after=1
                ) from None
            return self._repeat(existing, fingerprint)
        stored = self._find(kiosk_id, booking_id)
        assert stored is not None
        del zone
        return 201, self._ticket(stored)

    @staticmethod
    def _ensure_usage_row(session: Session, booking: BookingIn) -> None:
        if session.get(SlotUsageRow, (booking.zone, booking.day, booking.slot)) is not None:
            return
        try:
            # A savepoint: when another booking creates the row first, carry on with that row.
            with session.begin_nested():
                session.add(
                    SlotUsageRow(zone=booking.zone, day=booking.day, slot=booking.slot, booked=0, issued=0)
                )
        except IntegrityError:
            pass

    def _find(self, kiosk_id: str, booking_id: str) -> BookingRow | None:
        with self._db.read() as session:
            return session.execute(
                select(BookingRow).where(BookingRow.kiosk_id == kiosk_id, BookingRow.booking_id == booking_id)
            ).scalar_one_or_none()

    def _repeat(self, row: BookingRow, fingerprint: str) -> tuple[int, dict[str, Any]]:
        if row.fingerprint != fingerprint:
            raise ProblemError(
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "This booking id was already used for a different booking.",
            )
        return 200, self._ticket(row)

    def _ticket(self, row: BookingRow) -> dict[str, Any]:
        zone = self._zone(row.zone)
        return {
            "booking_id": row.booking_id,
            "ticket_number": row.ticket_number,
            "zone": row.zone,
            "zone_name_zh": zone["name_zh"],
            "zone_name_en": zone["name_en"],
            "location_zh": zone.get("location_zh", ""),
            "day": row.day,
            "slot": row.slot,
            "status": row.status,
            "applicant_masked": row.applicant_masked,
        }

    def cancel(self, kiosk_id: str, booking_id: str) -> dict[str, Any]:
        """Cancel a booking and free its place (repeating the cancellation changes nothing)."""
        booking_id = booking_id.lower()
        row = self._find(kiosk_id, booking_id)
        if row is None:
            raise not_found("booking")
        if row.status == "booked":
            with self._db.write() as session:
                changed = session.execute(
                    update(BookingRow)
                    .where(BookingRow.id == row.id, BookingRow.status == "booked")
                    .values(status="cancelled", cancelled_at=datetime.now(UTC))
                ).rowcount  # type: ignore[attr-defined]
                if changed == 1:
                    session.execute(
                        update(SlotUsageRow)
                        .where(
                            SlotUsageRow.zone == row.zone,
                            SlotUsageRow.day == row.day,
                            SlotUsageRow.slot == row.slot,
                        )
                        .values(booked=SlotUsageRow.booked - 1)
                    )
            row = self._find(kiosk_id, booking_id)
            assert row is not None
        return self._ticket(row)
