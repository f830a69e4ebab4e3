"""Idempotency: simultaneous duplicates, a first request still in progress, a crashed first request."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from central.applications import ApplicationService, fingerprint_of
from central.catalog import CatalogStore
from central.db import ApplicationRow, Database, NotificationRow
from central.problems import ProblemError
from central.schemas import ApplicationIn
from kiosk.api_client import KioskSigner
from tests.support.central import CentralServer, person, running_central, seeded_database


@pytest.fixture(scope="module")
def server() -> Iterator[CentralServer]:
    with running_central() as running:
        yield running


def body(amount: str = "100.00") -> dict[str, object]:
    citizen = person("retiree")
    return {
        "item_code": "411700-GJJ-0901",
        "applicant": {"name": citizen.name, "id_number": citizen.id_number, "phone": citizen.phone},
        "form": {"withdrawal_amount": amount, "bank_card_number": "6222020200112233445"},
    }


def test_twenty_simultaneous_identical_submissions_make_one_application(server: CentralServer) -> None:
    application_id = str(uuid.uuid4())
    barrier = threading.Barrier(20)
    answers: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def submit() -> None:
        with requests.Session() as session:
            session.auth = KioskSigner(server.kiosk_id, server.secret)
            barrier.wait(timeout=30)
            response = session.post(
                server.base_url + "/v1/applications",
                json=body(),
                headers={"Idempotency-Key": application_id},
                timeout=60,
            )
        with lock:
            answers.append((response.status_code, response.content))

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert len(answers) == 20
    assert {status for status, _ in answers} == {201}
    assert len({content for _, content in answers}) == 1
    db = Database(server.db_url)
    try:
        with db.read() as session:
            rows = session.execute(
                select(func.count(ApplicationRow.id)).where(ApplicationRow.application_id == application_id)
            ).scalar_one()
            notes = session.execute(
                select(func.count(NotificationRow.id)).where(NotificationRow.application_id == application_id)
            ).scalar_one()
    finally:
        db.dispose()
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
