"""SQLite group commit: concurrent writes share commits, stay isolated from each other's failures,
and are durable when write() returns."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, event, func, insert, select
from sqlalchemy.exc import IntegrityError

from central.db import Database, RegistryRecordRow, WriteFailed


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    db = Database(url)
    db.migrate()
    db.dispose()
    return url


def count(url: str) -> int:
    other = Database(url)
    try:
        with other.read() as session:
            return int(session.execute(select(func.count()).select_from(RegistryRecordRow)).scalar_one())
    finally:
        other.dispose()


def write_from_another_connection(url: str) -> None:
    """A write through another connection goes through at once: SQLite's write lock is free."""
    other = Database(url)
    try:
        started = time.monotonic()
        with other.write() as session:
            session.add(RegistryRecordRow(registry_name="test", key="other", data={}))
        assert time.monotonic() - started < 5
    finally:
        other.dispose()


def test_concurrent_writes_share_commits_and_failures_stay_isolated(url: str) -> None:
    db = Database(url, group_commit=True)
    commits: list[float] = []

    def slow_commit(_connection: Any) -> None:
        # The first commit is slow, so the writers that arrive meanwhile pile into the next batch.
        if not commits:
            time.sleep(0.2)
        commits.append(time.monotonic())

    event.listen(db.engine, "commit", slow_commit)
    barrier = threading.Barrier(45)
    failures: list[str] = []
    lock = threading.Lock()

    def write(key: str) -> None:
        barrier.wait(timeout=30)
        try:
            with db.write() as session:
                session.add(RegistryRecordRow(registry_name="test", key=key, data={"k": key}))
        except IntegrityError:
            with lock:
                failures.append(key)

    # 40 distinct keys and 5 writers that collide with one of them.
    keys = [f"key-{n}" for n in range(40)] + ["key-0"] * 5
    threads = [threading.Thread(target=write, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.dispose()
    assert failures == ["key-0"] * 5
    assert count(url) == 40
    assert 1 <= len(commits) < 45, commits  # fewer fsyncs than writes


def test_a_write_is_visible_to_other_connections_when_it_returns(url: str) -> None:
    db = Database(url, group_commit=True)
    try:
        with db.write() as session:
            session.add(RegistryRecordRow(registry_name="test", key="durable", data={}))
        assert count(url) == 1
    finally:
        db.dispose()


def test_a_failed_write_releases_the_database_for_other_processes(url: str) -> None:
    db = Database(url, group_commit=True)
    try:
        with db.write() as session:
            session.add(RegistryRecordRow(registry_name="test", key="once", data={}))
        with pytest.raises(IntegrityError), db.write() as session:
            session.add(RegistryRecordRow(registry_name="test", key="once", data={}))
        write_from_another_connection(url)
    finally:
        db.dispose()
    assert count(url) == 2


def test_an_error_inside_the_block_discards_only_that_block(url: str) -> None:
    db = Database(url, group_commit=True)
    try:
        with pytest.raises(RuntimeError), db.write() as session:
            session.add(RegistryRecordRow(registry_name="test", key="discarded", data={}))
            session.flush()
            raise RuntimeError("citizen cancelled")
        with db.write() as session:
            session.add(RegistryRecordRow(registry_name="test", key="kept", data={}))
    finally:
        db.dispose()
    other = Database(url)
    try:
        with other.read() as session:
            keys = set(session.execute(select(RegistryRecordRow.key)).scalars())
    finally:
        other.dispose()
    assert keys == {"kept"}


def registry_insert(key: str) -> Any:
    return insert(RegistryRecordRow).values(registry_name="test", key=key, data={})


def test_a_write_nobody_waits_for_is_committed_soon_without_other_writes(url: str) -> None:
    db = Database(url, group_commit=True)
    try:
        assert db.execute_write(registry_insert("nonce-like"), wait_for_commit=False) == 1
        deadline = time.monotonic() + 10
        while count(url) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert count(url) == 1
        # Committed means SQLite's write lock is free again for other connections.
        write_from_another_connection(url)
    finally:
        db.dispose()
    assert count(url) == 2


def test_a_failed_write_nobody_waits_for_is_still_reported(url: str) -> None:
    db = Database(url, group_commit=True)
    try:
        db.execute_write(registry_insert("taken"))
        with pytest.raises(WriteFailed):
            db.execute_write(registry_insert("taken"), wait_for_commit=False)
        assert db.execute_write(registry_insert("free"), wait_for_commit=False) == 1
    finally:
        db.dispose()  # commits what is still pending
    assert count(url) == 2


def test_writes_with_parameters_on_a_statement_built_once(url: str) -> None:
    statement = insert(RegistryRecordRow).values(
        registry_name="test", key=bindparam("record_key"), data=bindparam("record_data")
    )
    db = Database(url, group_commit=True)
    try:
        for number in range(3):
            db.execute_write(statement, {"record_key": f"k{number}", "record_data": {"n": number}})
    finally:
        db.dispose()
    other = Database(url)
    try:
        with other.read() as session:
            rows = session.execute(select(RegistryRecordRow.key, RegistryRecordRow.data)).all()
            stored = {key: data for key, data in rows}
    finally:
        other.dispose()
    assert stored == {"k0": {"n": 0}, "k1": {"n": 1}, "k2": {"n": 2}}
