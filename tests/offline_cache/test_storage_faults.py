"""A corrupt database and a full disk: the kiosk keeps working and nothing is half written."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline_cache.ids import new_application_id
from offline_cache.outbox import UNREADABLE, Outbox, SaveFailed, State
from offline_cache.sealing import Sealer

PAYLOAD = json.dumps({"item_code": "demo", "form": {"note": "x" * 2000}}).encode()


def make_sealer() -> Sealer:
    return Sealer(bytes(32), rotation_seconds=86400)


def filled_outbox(path: Path, clock, rows: int = 30) -> list[str]:
    box = Outbox(path, make_sealer(), clock=clock)
    ids = [new_application_id(now_ms=i) for i in range(rows)]
    for app_id in ids:
        box.add(app_id, PAYLOAD)
    box.close()
    return ids


def damage(path: Path, offset: int, length: int = 4096) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(os.urandom(length))


@pytest.mark.parametrize("where", ["pages", "header"])
def test_corrupt_database_is_moved_aside_and_a_new_one_started(tmp_path: Path, clock, where: str) -> None:
    path = tmp_path / "outbox.db"
    filled_outbox(path, clock)
    size = path.stat().st_size
    assert size > 8 * 4096
    if where == "header":
        damage(path, 0, 100)
    else:
        damage(path, 4096 * 3, size - 4096 * 4)

    box = Outbox(path, make_sealer(), clock=clock)
    assert box.startup_alert is not None and "integrity" in box.startup_alert
    kept = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert kept and kept[0].stat().st_size == size  # kept for technicians, untouched
    assert box.status().counts["ready"] == 0
    app_id = new_application_id()
    box.add(app_id, PAYLOAD)  # the kiosk keeps taking applications
    assert box.info(app_id).state is State.READY
    box.close()

    again = Outbox(path, make_sealer(), clock=clock)
    assert again.startup_alert is None and again.info(app_id) is not None
    again.close()


def break_a_check_constraint(path: Path, bad_id: str) -> None:
    """Store a row with an unknown state, as damage could: `integrity_check` reports it."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute(
        "INSERT INTO outbox (application_id, created_at, fingerprint, schema_version, key_id, payload, "
        "state, next_attempt_at, updated_at) VALUES (?, 0, 'f', 1, 'k', x'00', 'garbled', 0, 0)",
        (bad_id,),
    )
    conn.commit()
    conn.close()


def tear_the_outbox_index(path: Path, bad_id: str) -> None:
    """Overwrite the page of the outbox's primary-key index with noise; the table itself still reads."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (page,) = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'"
    ).fetchone()
    conn.close()
    damage(path, (page - 1) * page_size, page_size)


@pytest.mark.parametrize("damaged_by", [break_a_check_constraint, tear_the_outbox_index])
def test_what_a_damaged_database_still_holds_is_recovered(tmp_path: Path, clock, damaged_by) -> None:
    path = tmp_path / "outbox.db"
    box = Outbox(path, make_sealer(), clock=clock)
    pending = [new_application_id(now_ms=i) for i in range(3)]
    in_flight, dead, delivered = (new_application_id(now_ms=i) for i in range(3, 6))
    for app_id in [*pending, in_flight, dead, delivered]:
        box.add(app_id, PAYLOAD)
    decision = json.dumps({"application_id": delivered, "outcome": "approved"}).encode()
    box.claim(delivered)
    box.mark_delivered(delivered, decision)
    box.claim(dead)
    box.mark_dead(dead, status=422, error="HTTP 422")
    box.claim(in_flight)
    box.close()  # checkpoints the WAL: everything is in the main file now
    bad_id = new_application_id(now_ms=9)
    damaged_by(path, bad_id)
    damaged = hashlib.sha256(path.read_bytes()).hexdigest()
    checker = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError):  # a report of damage, or an error reading it
        if checker.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("integrity check failed")
    checker.close()

    box = Outbox(path, make_sealer(), clock=clock)
    (kept,) = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == damaged  # kept as it was, for technicians
    alert = box.startup_alert
    assert alert is not None and kept.name in alert
    assert "5 application(s) recovered (4 to deliver, 1 dead-lettered)" in alert
    assert "1 delivered record(s)" in alert
    assert box._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert box.status().counts == {"ready": 4, "in_flight": 0, "done": 1, "dead": 1}
    # Every waiting application can be opened and sent, the one that was in flight included.
    claims = box.claim_due(limit=10)
    assert sorted(c.application_id for c in claims) == sorted([*pending, in_flight])
    assert all(c.payload == PAYLOAD for c in claims)
    assert box.info(in_flight).attempts == 2
    assert box.info(bad_id) is None
    dead_row = box.info(dead)
    assert dead_row.state is State.DEAD and dead_row.last_status == 422 and dead_row.attempts == 1
    assert box.decision_for(delivered) == decision
    box.close()

    again = Outbox(path, make_sealer(), clock=clock)
    assert again.startup_alert is None and again.status().counts["in_flight"] == 0
    again.close()


def test_a_damaged_database_with_nothing_readable_still_starts_empty(tmp_path: Path, clock) -> None:
    path = tmp_path / "outbox.db"
    filled_outbox(path, clock, rows=3)
    damage(path, 0, path.stat().st_size)  # noise from the header on

    box = Outbox(path, make_sealer(), clock=clock)
    alert = box.startup_alert
    assert alert is not None and "no application could be recovered" in alert and ".corrupt-" in alert
    assert box.status().counts == {"ready": 0, "in_flight": 0, "done": 0, "dead": 0}
    app_id = new_application_id()
    box.add(app_id, PAYLOAD)
    assert [c.payload for c in box.claim_due()] == [PAYLOAD]
    box.close()


def test_recovered_rows_whose_data_key_is_lost_are_kept_as_dead_letters(tmp_path: Path, clock) -> None:
    path = tmp_path / "outbox.db"
    ids = filled_outbox(path, clock, rows=2)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE data_keys")  # the wrapped data keys are gone with the damage
    conn.commit()
    conn.close()
    break_a_check_constraint(path, new_application_id())

    box = Outbox(path, make_sealer(), clock=clock)
    assert box.startup_alert is not None and "2 application(s) recovered" in box.startup_alert
    assert box.claim_due(limit=10) == []
    assert [(row.state, row.last_error) for row in box.rows()] == [(State.DEAD, UNREADABLE)] * 2
    assert sorted(row.application_id for row in box.rows()) == sorted(ids)
    box.close()


def test_healthy_database_raises_no_alert(tmp_path: Path, clock) -> None:
    ids = filled_outbox(tmp_path / "o.db", clock, rows=3)
    box = Outbox(tmp_path / "o.db", make_sealer(), clock=clock)
    assert box.startup_alert is None and len(box.rows()) == len(ids)
    box.close()


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs where the system allows mounting one; otherwise the test is skipped."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        timeout=30,
    )
    if result.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here; the page-limit variant covers a full disk")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, timeout=30)


def fill_until_full(box: Outbox) -> tuple[list[str], SaveFailed, str]:
    saved: list[str] = []
    for i in range(100_000):
        app_id = new_application_id(now_ms=i)
        try:
            box.add(app_id, PAYLOAD)
        except SaveFailed as failure:
            return saved, failure, app_id
        saved.append(app_id)
    raise AssertionError("storage never filled up")


def check_nothing_half_written(box: Outbox, saved: list[str], failed: str) -> None:
    assert box.info(failed) is None
    assert [row.application_id for row in box.rows()] == saved
    assert box._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # Every saved application is intact.
    assert all(claim.payload == PAYLOAD for claim in box.claim_due(limit=len(saved)))


def test_full_disk_on_a_small_filesystem(small_filesystem: Path, clock) -> None:
    path = small_filesystem / "outbox.db"
    box = Outbox(path, make_sealer(), clock=clock)
    for i in range(3):
        box.add(new_application_id(now_ms=10**6 + i), PAYLOAD)
    # Fill the rest of the file system, as another process's logs might.
    filler = small_filesystem / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 16384)
                handle.flush()
        except OSError:
            pass
    saved_before = [row.application_id for row in box.rows()]
    saved, failure, failed_id = fill_until_full(box)
    assert failure.reason == "disk_full"
    assert "not saved" in str(failure) and "2000" not in str(failure)
    box.close()

    filler.unlink()
    reopened = Outbox(path, make_sealer(), clock=clock)
    assert reopened.startup_alert is None
    check_nothing_half_written(reopened, saved_before + saved, failed_id)
    reopened.add(failed_id, PAYLOAD)  # with space again, the same application saves fine
    reopened.close()


def test_full_database_via_page_limit(tmp_path: Path, clock) -> None:
    path = tmp_path / "outbox.db"
    box = Outbox(path, make_sealer(), clock=clock)
    pages = box._conn.execute("PRAGMA page_count").fetchone()[0]
    box._conn.execute(f"PRAGMA max_page_count = {pages + 12}")
    saved, failure, failed_id = fill_until_full(box)
    assert failure.reason == "disk_full" and saved
    box._conn.execute("PRAGMA max_page_count = 1000000")  # space again (claims write too)
    check_nothing_half_written(box, saved, failed_id)
    box.close()


def test_unwritable_storage_is_a_typed_error(tmp_path: Path, clock) -> None:
    path = tmp_path / "outbox.db"
    box = Outbox(path, make_sealer(), clock=clock)
    box._conn.execute("PRAGMA query_only = ON")
    with pytest.raises(SaveFailed) as caught:
        box.add(new_application_id(), PAYLOAD)
    assert caught.value.reason == "storage_error"
    box._conn.execute("PRAGMA query_only = OFF")
    assert box.rows() == []
    box.close()


def test_a_locked_database_is_an_error_not_corruption(tmp_path: Path, clock) -> None:
    import sqlite3

    path = tmp_path / "outbox.db"
    ids = filled_outbox(path, clock, rows=2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            Outbox(path, make_sealer(), clock=clock, busy_timeout_ms=50)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert not [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    box = Outbox(path, make_sealer(), clock=clock)
    assert [row.application_id for row in box.rows()] == ids
    box.close()


def test_a_newer_schema_is_refused_and_left_alone(tmp_path: Path, clock) -> None:
    import sqlite3

    from offline_cache.outbox import OutboxError

    path = tmp_path / "outbox.db"
    filled_outbox(path, clock, rows=1)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(OutboxError, match="schema version 99"):
        Outbox(path, make_sealer(), clock=clock)
    assert not [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]


def test_an_unreadable_row_is_dead_lettered_and_does_not_block_the_queue(tmp_path: Path, clock) -> None:
    path = tmp_path / "outbox.db"
    ids = filled_outbox(path, clock, rows=3)
    box = Outbox(path, make_sealer(), clock=clock)
    blob = box._conn.execute("SELECT payload FROM outbox WHERE application_id = ?", (ids[0],)).fetchone()[0]
    box._conn.execute(
        "UPDATE outbox SET payload = ? WHERE application_id = ?", (blob[:-1] + bytes([blob[-1] ^ 1]), ids[0])
    )
    claims = box.claim_due(limit=10)
    assert [c.application_id for c in claims] == ids[1:]
    info = box.info(ids[0])
    assert info.state is State.DEAD and "cannot be unsealed" in info.last_error
    box.close()
