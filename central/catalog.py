"""The service catalogue as stored: item look-ups and the serialised, ETagged document.

The serialised document (plain and gzip) is cached per catalogue version, so serving the 1,300-item
catalogue costs one small query for the version; the cache lives in this object, owned by the app.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from central.db import CatalogItemRow, CatalogStateRow, Database

# A catalogue change reaches every API node within this time.
VERSION_CHECK_INTERVAL_S = 1.0


@dataclass(frozen=True)
class CatalogSnapshot:
    """One catalogue version, ready to serve."""

    version: str
    etag: str
    body: bytes
    gzip_body: bytes
    items: dict[str, dict[str, Any]]
    partner_cities: dict[str, dict[str, Any]]
    zones: dict[str, dict[str, Any]]


class CatalogStore:
    """Reads the catalogue from the database, caching the current version."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._snapshot: CatalogSnapshot | None = None
        self._checked_at = 0.0

    def current(self) -> CatalogSnapshot:
        """The snapshot of the catalogue version in the database (checked at most once a second)."""
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() - self._checked_at < VERSION_CHECK_INTERVAL_S:
            return snapshot
        self._checked_at = time.monotonic()
        with self._db.read() as session:
            state = session.get(CatalogStateRow, 1)
            version = state.version if state is not None else "empty"
        snapshot = self._snapshot
        if snapshot is not None and snapshot.version == version:
            return snapshot
        with self._lock:
            if self._snapshot is None or self._snapshot.version != version:
                self._snapshot = self._load()
            return self._snapshot

    def invalidate(self) -> None:
        """Re-check the version on the next read (this node changed the catalogue)."""
        self._checked_at = 0.0

    def _load(self) -> CatalogSnapshot:
        with self._db.read() as session:
            state = session.get(CatalogStateRow, 1)
            rows = (
                session.execute(select(CatalogItemRow.data).order_by(CatalogItemRow.position)).scalars().all()
            )
            version = state.version if state is not None else "empty"
            extras: dict[str, Any] = dict(state.extras) if state is not None else {}
        document = {
            "version": version,
            "items": list(rows),
            "partner_cities": extras.get("partner_cities", []),
            "elder_sections": extras.get("elder_sections", []),
            "appointment_zones": extras.get("appointment_zones", []),
            "categories": extras.get("categories", []),
            "life_events": extras.get("life_events", []),
        }
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        return CatalogSnapshot(
            version=version,
            etag=etag,
            body=body,
            gzip_body=gzip.compress(body, compresslevel=6, mtime=0),
            items={item["code"]: item for item in rows},
            partner_cities={city["code"]: city for city in document["partner_cities"]},
            zones={zone["code"]: zone for zone in document["appointment_zones"]},
        )


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of an If-None-Match header with an entity tag."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))
