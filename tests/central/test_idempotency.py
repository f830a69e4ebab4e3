"""Idempotency: simultaneous duplicates, a first request still in progress, a crashed first request."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from central.applications import ApplicationService, fingerprint_of
from central.catalog import CatalogStore
from central.db import ApplicationRow, Database
from central.problems import ProblemError
from central.schemas import ApplicationIn
from tests.support.central import (
    CentralServer,
    retirement_withdrawal,
    running_central,
    seeded_database,
    stored_counts,
    submit_simultaneously,
)

body = retirement_withdrawal  # the application body these tests submit


@pytest.fixture(scope="module")
def server() -> Iterator[CentralServer]:
    with running_central() as running:
        yield running


def test_twenty_simultaneous_identical_submissions_make_one_application(server: CentralServer) -> None:
    application_id = str(uuid.uuid4())
    answers = submit_simultaneously(server, application_id, body())
    assert len(answers) == 20
    assert {status for status, _ in answers} == {201}
    assert len({content for _, content in answers}) == 1
    rows, notes = stored_counts(server.db_url, application_id)
    assert rows == 1
    assert notes == 1  # one decision, one SMS


def test_replay_weeks_later_returns_the_original_answer(server: CentralServer) -> None:
    with server.client() as client:
        application_id = str(uuid.uuid4())
        first = client.submit_application(application_id, body())
        db = Database(server.db_url)
        try:
            with db.write() as session:  # age the row: no 24-hour expiry of keys
                row = session.execute(
                    select(ApplicationRow).where(ApplicationRow.application_id == application_id)
                ).scalar_one()
                row.created_at = datetime.now(UTC) - timedelta(days=45)
        finally:
            db.dispose()
        assert client.submit_application(application_id, body()).raw == first.raw


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[ApplicationService, Database]]:
    db = seeded_database(tmp_path)
    yield (
        ApplicationService(db, CatalogStore(db), wait_for_first_s=0.3, stale_claim_s=30),
        db,
    )
    db.dispose()


def claim(db: Database, key: str, application: ApplicationIn, claimed_at: datetime) -> None:
    with db.write() as session:
        session.add(
            ApplicationRow(
                kiosk_id="k1",
                application_id=key,
                fingerprint=fingerprint_of(application),
                state="processing",
                claim_token="first",
                claimed_at=claimed_at,
                item_code=application.item_code,
                request=application.model_dump(mode="json"),
                created_at=claimed_at,
            )
        )


def test_repeat_while_first_is_processing_is_409_with_retry_after(
    service: tuple[ApplicationService, Database],
) -> None:
    applications, db = service
    application = ApplicationIn.model_validate(body())
    key = str(uuid.uuid4())
    claim(db, key, application, datetime.now(UTC))
    started = time.monotonic()
    with pytest.raises(ProblemError) as caught:
        applications.submit("k1", key, application)
    assert caught.value.status == 409
    assert caught.value.retry_after == 1
    assert time.monotonic() - started >= 0.3  # it waited for the first request before giving up


def test_repeat_with_another_payload_while_processing_is_422(
    service: tuple[ApplicationService, Database],
) -> None:
    applications, db = service
    key = str(uuid.uuid4())
    claim(db, key, ApplicationIn.model_validate(body("1.00")), datetime.now(UTC))
    with pytest.raises(ProblemError) as caught:
        applications.submit("k1", key, ApplicationIn.model_validate(body("2.00")))
    assert caught.value.status == 422


def test_claim_left_by_a_crashed_node_is_taken_over(service: tuple[ApplicationService, Database]) -> None:
    applications, db = service
    application = ApplicationIn.model_validate(body())
    key = str(uuid.uuid4())
    claim(db, key, application, datetime.now(UTC) - timedelta(minutes=5))
    status, decision, _headers = applications.submit("k1", key, application)
    assert status == 201
    assert decision["outcome"] == "approved"
    replay_status, replay, headers = applications.submit("k1", key, application)
    assert (replay_status, replay) == (status, decision)
    assert headers == {"Idempotent-Replayed": "true"}


def test_keys_are_per_kiosk(service: tuple[ApplicationService, Database]) -> None:
    applications, _db = service
    key = str(uuid.uuid4())
    application = ApplicationIn.model_validate(body())
    first = applications.submit("k1", key, application)[1]
    second = applications.submit("k2", key, application)[1]
    assert first["acceptance_number"] != second["acceptance_number"]
