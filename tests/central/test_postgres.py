"""The service on a real PostgreSQL server: migrations, idempotency under concurrency, capacity and
authentication behave as on SQLite. Skipped, with the reason, when no server can be started."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import func, select

from central.db import ApplicationRow, Database, NotificationRow
from kiosk.api_client import AuthError, ClientError, KioskSigner
from tests.support.central import (
    CentralServer,
    PostgresCluster,
    PostgresUnavailable,
    person,
    running_central,
    start_postgres,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    try:
        running = start_postgres()
    except PostgresUnavailable as error:
        pytest.skip(f"PostgreSQL tests skipped: {error}")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def server(cluster: PostgresCluster) -> Iterator[CentralServer]:
    with running_central(db_url=cluster.new_database()) as running:
        yield running


def withdrawal(amount: str = "100.00") -> dict[str, object]:
    citizen = person("retiree")
    return {
        "item_code": "411700-GJJ-0901",
        "applicant": {"name": citizen.name, "id_number": citizen.id_number, "phone": citizen.phone},
        "form": {"withdrawal_amount": amount, "bank_card_number": "6222020200112233445"},
    }


def test_migrations_are_idempotent(cluster: PostgresCluster) -> None:
    db = Database(cluster.new_database())
    try:
        assert db.migrate() == db.migrate()
    finally:
        db.dispose()


def test_decision_and_replay(server: CentralServer) -> None:
    with server.client() as client:
        application_id = str(uuid.uuid4())
        decision = client.submit_application(application_id, withdrawal())
        assert decision.outcome == "approved"
        assert client.submit_application(application_id, withdrawal()).raw == decision.raw
        with pytest.raises(ClientError) as caught:
            client.submit_application(application_id, withdrawal("1.00"))
        assert caught.value.status == 422


def test_twenty_simultaneous_submissions_make_one_application(server: CentralServer) -> None:
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
                json=withdrawal(),
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
            count = session.execute(
                select(func.count(ApplicationRow.id)).where(ApplicationRow.application_id == application_id)
            ).scalar_one()
    finally:
        db.dispose()
    assert count == 1


def test_slot_capacity_under_concurrency(server: CentralServer) -> None:
    with server.client() as client:
        day = client.appointment_days("market")[0].day
    statuses: list[int] = []
    lock = threading.Lock()
    citizen = person("worker")

    def book() -> None:
        with server.client() as own:
            try:
                own.book_appointment(
                    str(uuid.uuid4()),
                    "market",
                    day,
                    "09:30",
                    {"name": citizen.name, "id_number": citizen.id_number},
                )
                status = 201
            except ClientError as error:
                status = error.status or 0
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=book) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201] * 6 + [409] * 4


def test_replayed_nonce_is_refused(server: CentralServer) -> None:
    with server.client(clock=lambda: 1.0) as client, pytest.raises(AuthError):
        client.appointment_zones()
    signer = KioskSigner(server.kiosk_id, server.secret)
    prepared = requests.Request("GET", server.base_url + "/v1/appointments/zones").prepare()
    signer(prepared)
    with requests.Session() as session:
        assert session.send(prepared, timeout=30).status_code == 200
        assert session.send(prepared, timeout=30).status_code == 401


def test_two_dispatchers_send_each_notification_once(cluster: PostgresCluster) -> None:
    from central.notifier import NotificationDispatcher

    db = Database(cluster.new_database())
    db.migrate()
    sent: list[str] = []
    lock = threading.Lock()

    class Counting:
        def send(self, phone: str, message: str) -> None:
            with lock:
                sent.append(message)

    try:
        with db.write() as session:
            for number in range(300):
                session.add(
                    NotificationRow(
                        application_id=f"a{number}",
                        channel="sms",
                        recipient="138****0000",
                        phone="13800000000",
                        message=f"m{number}",
                    )
                )
        dispatchers = [NotificationDispatcher(db, Counting()) for _ in range(2)]

        def drain(dispatcher: NotificationDispatcher) -> None:
            while dispatcher.dispatch_once():
                pass

        threads = [threading.Thread(target=drain, args=(d,)) for d in dispatchers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        db.dispose()
    assert sorted(sent) == sorted(f"m{n}" for n in range(300))


def test_service_with_two_worker_processes(cluster: PostgresCluster) -> None:
    with running_central(db_url=cluster.new_database(), workers=2) as server, server.client() as client:
        application_id = str(uuid.uuid4())
        first = client.submit_application(application_id, withdrawal())
        assert first.outcome == "approved"
        for _ in range(6):  # the repeats land on either worker
            assert client.submit_application(application_id, withdrawal()).raw == first.raw
