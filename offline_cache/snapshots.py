"""Snapshots: the last good copy of a document (service catalogue, signed config) on disk.

Contract:
- `save(name, data, etag=...)` replaces the snapshot atomically and durably (temp file, fsync,
  rename, fsync of the directory): after a crash or power cut the snapshot is either the complete
  old one or the complete new one, so a kiosk restarted while offline still offers its services.
- `load(name)` returns the stored bytes exactly as saved (signed documents must be verified over
  their exact bytes, so nothing is re-serialised), with the ETag and save time; None when there is
  no snapshot; `SnapshotCorruptError` when the file exists but fails its checksum or format.
- Names are short identifiers (`[a-z0-9_-]`, 1-64 chars); anything else is a `ValueError`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from offline_cache.atomic import write_file_atomically

FORMAT = "civic-kiosk-snapshot/1"
_NAME = re.compile(r"[a-z0-9_-]{1,64}")
# The envelope is one JSON line; the document follows byte for byte.
_SEPARATOR = b"\n"


class SnapshotCorruptError(Exception):
    """A snapshot file exists but is damaged (bad checksum, truncated, unknown format)."""


@dataclass(frozen=True)
class Snapshot:
    data: bytes
    etag: str | None
    saved_at: float


class SnapshotStore:
    """Named snapshots in one directory (created 0700)."""

    def __init__(self, directory: Path, *, clock: Callable[[], float] = time.time) -> None:
        self._directory = directory
        self._clock = clock
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path_of(self, name: str) -> Path:
        if not _NAME.fullmatch(name):
            raise ValueError("snapshot name must be 1-64 characters of a-z, 0-9, '_' or '-'")
        return self._directory / f"{name}.snapshot"

    def save(self, name: str, data: bytes, *, etag: str | None = None) -> None:
        envelope = {
            "format": FORMAT,
            "etag": etag,
            "saved_at": self._clock(),
            "length": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        header = json.dumps(envelope, sort_keys=True).encode()
        write_file_atomically(self.path_of(name), header + _SEPARATOR + data)

    def load(self, name: str) -> Snapshot | None:
        path = self.path_of(name)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        header, separator, data = raw.partition(_SEPARATOR)
        if not separator:
            raise SnapshotCorruptError(f"snapshot {name!r} has no header")
        try:
            envelope = json.loads(header)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise SnapshotCorruptError(f"snapshot {name!r} has an unreadable header") from None
        if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
            raise SnapshotCorruptError(f"snapshot {name!r} has an unknown format")
        if envelope.get("length") != len(data) or envelope.get("sha256") != hashlib.sha256(data).hexdigest():
            raise SnapshotCorruptError(f"snapshot {name!r} failed its checksum")
        etag = envelope.get("etag")
        saved_at = envelope.get("saved_at")
        if not (etag is None or isinstance(etag, str)) or not isinstance(saved_at, int | float):
            raise SnapshotCorruptError(f"snapshot {name!r} has an invalid header")
        return Snapshot(data=data, etag=etag, saved_at=float(saved_at))

    def delete(self, name: str) -> None:
        self.path_of(name).unlink(missing_ok=True)
