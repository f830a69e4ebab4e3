"""The service on a real PostgreSQL server: migrations, idempotency under concurrency, capacity and
authentication behave as on SQLite. Skipped, with the reason, when no server can be started."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import func, select, text

from central.db import ApplicationRow, Database, NotificationRow
from kiosk.api_client import AuthError, ClientError, KioskSigner
from tests.support.central import (
    CentralServer,
    PostgresCluster,
    PostgresUnavailable,
    person,
    retirement_withdrawal,
    running_central,
    start_postgres,
    stored_counts,
    submit_simultaneously,
)

withdrawal = retirement_withdrawal  # the application body these tests submit

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
    answers = submit_simultaneously(server, application_id, withdrawal())
    assert len(answers) == 20
    assert {status for status, _ in answers} == {201}
    assert len({content for _, content in answers}) == 1
    count, _ = stored_counts(server.db_url, application_id)
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


def test_a_decision_is_stored_with_its_row_number_and_its_sms(server: CentralServer) -> None:
    with server.client() as client:
        first = client.submit_application(str(uuid.uuid4()), withdrawal())
        second = client.submit_application(str(uuid.uuid4()), withdrawal())
    db = Database(server.db_url)
    try:
        with db.read() as session:
            rows = {
                row.application_id: row
                for row in session.execute(
                    select(ApplicationRow).where(
                        ApplicationRow.application_id.in_([first.application_id, second.application_id])
                    )
                ).scalars()
            }
            sms = NotificationRow
            messages = session.execute(
                select(sms.application_id, sms.recipient, sms.message).where(
                    sms.application_id.in_(list(rows))
                )
            ).all()
    finally:
        db.dispose()
    assert len(rows) == 2
    for decision in (first, second):
        row = rows[decision.application_id]
        assert (row.state, row.outcome, row.response_status) == ("done", "approved", 201)
        assert row.response == decision.raw
        # The acceptance number quotes the row's own number.
        assert decision.raw["acceptance_number"].endswith(f"{row.id:08d}")
    assert rows[second.application_id].id > rows[first.application_id].id
    citizen = person("retiree")
    assert sorted(application_id for application_id, _, _ in messages) == sorted(rows)
    for application_id, recipient, message in messages:
        assert recipient == citizen.phone[:3] + "****" + citizen.phone[-4:]
        response = rows[application_id].response
        assert response is not None and response["acceptance_number"] in message


def test_the_balance_is_paid_out_once_on_postgres(cluster: PostgresCluster) -> None:
    # A service of its own: the withdrawal uses up the retiree's whole balance.
    with running_central(db_url=cluster.new_database()) as server, server.client() as client:
        first = client.submit_application(str(uuid.uuid4()), withdrawal("86500.00"))
        again = client.submit_application(str(uuid.uuid4()), withdrawal("86500.00"))
    assert (first.outcome, again.outcome) == ("approved", "rejected")
    assert [c.id for c in again.conditions if not c.passed] == ["amount_within_balance"]


def test_a_pooled_connection_lost_while_idle_is_replaced(
    cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    import central.db

    db = Database(cluster.new_database())
    other = Database(db.url)
    try:
        db.migrate()
        with db.connect() as connection:
            assert connection.execute(select(func.count()).select_from(ApplicationRow)).scalar_one() == 0
        # The server ends every session of this database but its own (as a restart would).
        with other.connect() as connection:
            ended = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()
        assert ended
        monkeypatch.setattr(central.db, "IDLE_PING_AFTER_S", 0.0)
        with db.connect() as connection:
            assert connection.execute(select(func.count()).select_from(ApplicationRow)).scalar_one() == 0
    finally:
        other.dispose()
        db.dispose()
