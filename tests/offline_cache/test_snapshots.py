"""Snapshots of the catalogue and last good config: exact bytes back, atomic, corruption detected."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offline_cache.snapshots import SnapshotCorruptError, SnapshotStore


def test_snapshot_round_trip_keeps_exact_bytes_and_etag(tmp_path: Path, clock) -> None:
    store = SnapshotStore(tmp_path / "snap", clock=clock)
    assert store.load("catalogue") is None
    document = '{"items": ["社保查询"], "b":  1}\n'.encode()
    store.save("catalogue", document, etag='W/"7"')
    loaded = store.load("catalogue")
    assert loaded is not None
    assert loaded.data == document and loaded.etag == 'W/"7"' and loaded.saved_at == clock.now
    store.save("catalogue", b"v2")
    assert store.load("catalogue").data == b"v2"
    assert sorted(p.name for p in (tmp_path / "snap").iterdir()) == ["catalogue.snapshot"]


def test_snapshot_survives_a_reopen(tmp_path: Path) -> None:
    SnapshotStore(tmp_path).save("config", b"signed-bytes")
    assert SnapshotStore(tmp_path).load("config").data == b"signed-bytes"


def test_failed_write_leaves_the_previous_snapshot_intact(tmp_path: Path, monkeypatch) -> None:
    store = SnapshotStore(tmp_path)
    store.save("config", b"good")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        store.save("config", b"new")
    monkeypatch.undo()
    assert store.load("config").data == b"good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.snapshot"]


def test_damaged_snapshots_are_reported_not_returned(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.save("catalogue", b"0123456789")
    path = store.path_of("catalogue")
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(SnapshotCorruptError):
        store.load("catalogue")
    path.write_bytes(b"garbage without header")
    with pytest.raises(SnapshotCorruptError):
        store.load("catalogue")
    path.write_bytes(b"{not json\nxx")
    with pytest.raises(SnapshotCorruptError):
        store.load("catalogue")


@pytest.mark.parametrize("name", ["", "../x", "A", "x" * 65, "a/b"])
def test_bad_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError):
        SnapshotStore(tmp_path).save(name, b"x")
