"""The outbox's durable states, recovery and technician operations, on real SQLite files."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from pathlib import Path

import pytest

from offline_cache.ids import is_application_id, new_application_id
from offline_cache.outbox import (
    UNREADABLE,
    ConflictingApplication,
    Outbox,
    SaveFailed,
    State,
)
from offline_cache.sealing import Sealer, open_with_data_key, unwrap_data_key

PAYLOAD = json.dumps({"item_code": "demo-item", "form": {"reason": "test"}}).encode()


def test_application_ids_are_uuid7_and_time_ordered() -> None:
    first = new_application_id(now_ms=1_000)
    second = new_application_id(now_ms=2_000)
    assert is_application_id(first) and is_application_id(second)
    assert first < second
    assert not is_application_id("not-a-uuid")
    assert not is_application_id("0b3f2c0e-8a5b-4c1d-9e2f-3a4b5c6d7e8f")  # a v4 id


def test_saved_application_survives_reopen_and_is_ready(tmp_path: Path, sealer: Sealer, clock) -> None:
    app_id = new_application_id()
    box = Outbox(tmp_path / "o.db", sealer, clock=clock)
    box.add(app_id, PAYLOAD)
    box.close()

    reopened = Outbox(tmp_path / "o.db", sealer, clock=clock)
    info = reopened.info(app_id)
    assert info is not None and info.state is State.READY and info.attempts == 0
    claim = reopened.claim_due()[0]
    assert claim.application_id == app_id
    assert claim.payload == PAYLOAD
    assert claim.fingerprint == sealer.fingerprint(PAYLOAD)
    assert claim.attempt == 1
    reopened.close()


def test_database_is_wal_with_full_synchronous(outbox: Outbox) -> None:
    conn = outbox._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1


def test_adding_same_id_twice_is_idempotent_but_another_payload_is_refused(outbox: Outbox) -> None:
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    outbox.add(app_id, PAYLOAD)
    assert outbox.status().counts["ready"] == 1
    with pytest.raises(ConflictingApplication):
        outbox.add(app_id, PAYLOAD + b" ")
    assert outbox.claim_due()[0].payload == PAYLOAD


def test_an_id_already_delivered_stays_taken(outbox: Outbox) -> None:
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    outbox.claim_due()
    outbox.mark_delivered(app_id, b'{"outcome": "approved"}')
    outbox.add(app_id, PAYLOAD)  # the same application again: nothing to do, not sent twice
    assert outbox.status().counts == {"ready": 0, "in_flight": 0, "done": 1, "dead": 0}
    assert outbox.claim_due() == []
    with pytest.raises(ConflictingApplication):
        outbox.add(app_id, PAYLOAD + b" ")
    assert outbox.status().counts["done"] == 1


def test_a_refused_save_leaves_the_outbox_usable_from_another_thread(outbox: Outbox) -> None:
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    with pytest.raises(ConflictingApplication):
        outbox.add(app_id, PAYLOAD + b" ")
    assert not outbox._conn.in_transaction
    other = new_application_id()
    saver = threading.Thread(target=outbox.add, args=(other, PAYLOAD))
    saver.start()
    saver.join(timeout=10)
    assert not saver.is_alive()  # the lock was released
    assert outbox.info(other) is not None


def test_invalid_id_is_a_typed_error_and_stores_nothing(outbox: Outbox) -> None:
    with pytest.raises(SaveFailed) as caught:
        outbox.add("12345", PAYLOAD)
    assert caught.value.reason == "invalid"
    assert outbox.status().counts == {"ready": 0, "in_flight": 0, "done": 0, "dead": 0}


def test_rows_left_in_flight_by_a_crash_go_back_to_ready(tmp_path: Path, sealer: Sealer, clock) -> None:
    app_id = new_application_id()
    box = Outbox(tmp_path / "o.db", sealer, clock=clock)
    box.add(app_id, PAYLOAD)
    assert box.claim_due()
    assert box.info(app_id).state is State.IN_FLIGHT
    box.close()  # the process "dies" with the row in flight

    reopened = Outbox(tmp_path / "o.db", sealer, clock=clock)
    assert reopened.recovered_in_flight == 1
    assert reopened.info(app_id).state is State.READY
    assert reopened.claim_due()[0].attempt == 2
    reopened.close()


def test_a_claimed_row_is_not_claimed_twice_until_its_lease_expires(outbox: Outbox, clock) -> None:
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    assert len(outbox.claim_due()) == 1
    assert outbox.claim_due() == []
    assert outbox.claim(app_id) is None
    clock.advance(121)
    assert [c.application_id for c in outbox.claim_due()] == [app_id]


def test_retry_schedule_and_due_order(outbox: Outbox, clock) -> None:
    first, second = new_application_id(now_ms=1), new_application_id(now_ms=2)
    outbox.add(first, PAYLOAD)
    outbox.add(second, PAYLOAD)
    claim = outbox.claim_due(limit=1)[0]
    assert claim.application_id == first
    outbox.mark_retry(first, next_attempt_at=clock.now + 60, status=503, error="HTTP 503")
    assert [c.application_id for c in outbox.claim_due()] == [second]
    outbox.mark_retry(second, next_attempt_at=clock.now + 30, status=None, error="no answer")
    assert outbox.claim_due() == []
    assert outbox.next_due_at() == clock.now + 30
    clock.advance(61)
    assert [c.application_id for c in outbox.claim_due()] == [second, first]
    info = outbox.info(first)
    assert info.attempts == 2 and info.last_status == 503


def test_decision_is_stored_sealed_and_readable(outbox: Outbox) -> None:
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    outbox.claim_due()
    assert outbox.decision_for(app_id) is None
    decision = json.dumps({"application_id": app_id, "outcome": "approved"}).encode()
    outbox.mark_delivered(app_id, decision)
    assert outbox.decision_for(app_id) == decision
    assert outbox.info(app_id).state is State.DONE
    raw = outbox._conn.execute("SELECT decision FROM delivered").fetchone()[0]
    assert b"approved" not in raw
    # The application itself is no longer kept once the server has it (data minimisation).
    assert outbox._conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    assert outbox.status().last_success_at is not None


def test_status_counts_and_oldest_pending_age(outbox: Outbox, clock) -> None:
    ids = [new_application_id(now_ms=i) for i in range(4)]
    outbox.add(ids[0], PAYLOAD)
    clock.advance(100)
    for app_id in ids[1:]:
        outbox.add(app_id, PAYLOAD)
    outbox.claim(ids[1])
    outbox.mark_delivered(ids[1], b"{}")
    outbox.claim(ids[2])
    outbox.mark_dead(ids[2], status=422, error="HTTP 422")
    clock.advance(20)
    status = outbox.status()
    assert status.counts == {"ready": 2, "in_flight": 0, "done": 1, "dead": 1}
    assert status.oldest_pending_age_s == pytest.approx(120)


def test_dead_rows_are_kept_and_can_be_requeued(outbox: Outbox, clock) -> None:
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    outbox.claim(app_id)
    outbox.mark_dead(app_id, status=422, error="HTTP 422")
    clock.advance(365 * 86400)
    outbox.purge(retention_seconds=30 * 86400)
    assert outbox.info(app_id).state is State.DEAD  # never deleted automatically
    assert outbox.claim_due() == []
    assert outbox.retry_dead() == 1
    claim = outbox.claim_due()[0]
    assert claim.application_id == app_id and claim.payload == PAYLOAD


def test_export_dead_is_sealed_private_and_recoverable_with_the_device_key(
    outbox: Outbox, tmp_path: Path, device_key: bytes
) -> None:
    dead, alive = new_application_id(now_ms=1), new_application_id(now_ms=2)
    secret_payload = json.dumps({"name": "测试样例", "phone": "13800000000"}, ensure_ascii=False).encode()
    outbox.add(dead, secret_payload)
    outbox.add(alive, PAYLOAD)
    outbox.claim(dead)
    outbox.mark_dead(dead, status=400, error="HTTP 400")
    out = tmp_path / "dead.jsonl"
    assert outbox.export_dead(out) == 1
    text = out.read_bytes()
    assert "测试样例".encode() not in text and b"13800000000" not in text
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    (record,) = [json.loads(line) for line in text.decode().splitlines()]
    assert record["application_id"] == dead and record["last_status"] == 400
    data_key = unwrap_data_key(device_key, record["key_id"], base64.b64decode(record["wrapped_data_key"]))
    plain = open_with_data_key(
        data_key,
        record_id=dead,
        key_id=record["key_id"],
        purpose="payload",
        schema_version=record["schema_version"],
        blob=base64.b64decode(record["sealed_payload"]),
    )
    assert plain == secret_payload


def test_purge_deletes_only_old_delivered_rows_and_shreds_unused_keys(tmp_path: Path, clock) -> None:
    sealer = Sealer(bytes(32), rotation_seconds=86400)
    box = Outbox(tmp_path / "o.db", sealer, clock=clock)
    old, recent, pending = (new_application_id(now_ms=i) for i in range(3))
    box.add(old, PAYLOAD)
    box.claim(old)
    box.mark_delivered(old, b"{}")
    old_key = box._conn.execute("SELECT decision_key_id FROM delivered").fetchone()[0]
    clock.advance(2 * 86400)  # the next save rotates to a new data key
    box.add(recent, PAYLOAD)
    box.claim(recent)
    box.mark_delivered(recent, b"{}")
    box.add(pending, PAYLOAD)
    clock.advance(29 * 86400)

    report = box.purge(retention_seconds=30 * 86400)
    assert report.rows_deleted == 1 and report.keys_destroyed == 1
    assert box.info(old) is None and box.decision_for(old) is None
    assert box.info(recent).state is State.DONE and box.decision_for(recent) == b"{}"
    assert box.info(pending).state is State.READY
    keys = [row[0] for row in box._conn.execute("SELECT key_id FROM data_keys")]
    assert old_key not in keys
    wal = Path(str(tmp_path / "o.db") + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    box.close()


def test_application_ids_are_valid_rfc_9562_uuids() -> None:
    import uuid

    for _ in range(200):
        text = new_application_id()
        parsed = uuid.UUID(text)
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122 and str(parsed) == text
    assert not is_application_id(new_application_id().upper())
    assert not is_application_id(None)


def test_application_ids_carry_the_millisecond_and_fresh_random_bits() -> None:
    import uuid

    ids = [uuid.UUID(new_application_id(now_ms=0x0123_4567_89AB)) for _ in range(200)]
    assert {parsed.int >> 80 for parsed in ids} == {0x0123_4567_89AB}
    assert len(set(ids)) == 200
    # The bits next to the version and variant are random too, not left at zero.
    assert len({str(parsed)[15] for parsed in ids}) > 8  # rand_a's first hex digit
    assert {str(parsed)[19] for parsed in ids} == set("89ab")  # variant bits + 2 random bits


def test_rows_scheduled_by_a_clock_that_was_far_ahead_are_not_stranded(outbox: Outbox, clock) -> None:
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    outbox.claim_due()
    # The kiosk booted with its clock a year ahead, then time sync corrected it.
    outbox.mark_retry(app_id, next_attempt_at=clock.now + 365 * 86400 + 30, status=None, error="no answer")
    assert outbox.next_due_at() == clock.now
    assert [c.application_id for c in outbox.claim_due()] == [app_id]
    # A lease taken under the wrong clock does not keep the row in flight for a year either.
    outbox._conn.execute(
        "UPDATE outbox SET next_attempt_at = ? WHERE application_id = ?", (clock.now + 10**8, app_id)
    )
    assert outbox.claim(app_id) is not None


def test_ordinary_schedules_are_kept(outbox: Outbox, clock) -> None:
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    outbox.claim_due()
    outbox.mark_retry(app_id, next_attempt_at=clock.now + 6 * 3600, status=429, error="HTTP 429")
    assert outbox.claim_due() == []
    assert outbox.next_due_at() == clock.now + 6 * 3600
    clock.advance(-2)  # an ordinary time-sync step does not cut the server's Retry-After short
    assert outbox.claim_due() == []
    assert outbox.next_due_at() == clock.now + 2 + 6 * 3600


def test_rows_scheduled_while_the_clock_was_hours_ahead_are_due_once_it_is_corrected(
    outbox: Outbox, clock
) -> None:
    retried, leased, opened = (new_application_id(now_ms=i) for i in (1, 2, 3))
    for app_id in (retried, leased, opened):
        outbox.add(app_id, PAYLOAD)
    # The kiosk booted with its clock 8 h ahead (an RTC kept in local time): the server refused
    # one request (401, clock skew) and the row was scheduled for a retry; two were in flight.
    outbox.claim(retried)
    outbox.mark_retry(retried, next_attempt_at=clock.now + 60, status=401, error="HTTP 401")
    outbox.claim(leased)
    outbox.claim(opened)
    clock.advance(-8 * 3600)  # time sync corrects the clock
    assert outbox.next_due_at() == clock.now
    assert [c.application_id for c in outbox.claim_due(limit=2)] == [retried, leased]
    assert outbox.claim(opened) is not None  # the citizen waiting at the screen is not held up


def test_saving_works_at_once_after_the_device_key_changed(tmp_path: Path, clock) -> None:
    path = tmp_path / "o.db"
    before = Outbox(path, Sealer(os.urandom(32), rotation_seconds=24 * 3600), clock=clock)
    old_id = new_application_id(now_ms=1)
    before.add(old_id, PAYLOAD)
    before.close()

    # The key file was lost and recreated: the current data key can no longer be unwrapped.
    clock.advance(60)
    after = Outbox(path, Sealer(os.urandom(32), rotation_seconds=24 * 3600), clock=clock)
    new_id = new_application_id(now_ms=2)
    after.add(new_id, PAYLOAD)
    claims = after.claim_due(limit=10)
    assert [(c.application_id, c.payload) for c in claims] == [(new_id, PAYLOAD)]
    old = after.info(old_id)
    assert old.state is State.DEAD and old.last_error == UNREADABLE  # kept, reported, not lost
    after.mark_delivered(new_id, b'{"outcome": "approved"}')
    assert after.decision_for(new_id) == b'{"outcome": "approved"}'
    after.close()
