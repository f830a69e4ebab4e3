"""Kiosk fleet: provisioning, heartbeats, signed configuration and the administrator's listing.

Configuration documents are signed with Ed25519 over the exact payload bytes (sent base64-encoded
so that no JSON re-serialisation can change them). A kiosk's effective settings are the fleet
settings overridden by its own; versions come from one global counter, so any change that affects
a kiosk raises its version.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import func, select

from central.auth import hash_admin_token
from central.db import AdminTokenRow, ConfigDocumentRow, Database, KioskRow, SigningKeyRow
from central.problems import ProblemError, not_found

CONFIG_LIFETIME = timedelta(days=90)
HEARTBEAT_INTERVAL_S = 60
OFFLINE_AFTER_S = 3 * HEARTBEAT_INTERVAL_S
STALE_QUEUE_S = 3600


def provision_kiosk(db: Database, kiosk_id: str, label: str = "") -> str:
    """Create a kiosk (or give an existing one a new secret); returns the secret to install on it."""
    secret = secrets.token_urlsafe(32)
    with db.write() as session:
        row = session.get(KioskRow, kiosk_id)
        if row is None:
            session.add(KioskRow(kiosk_id=kiosk_id, secret=secret, label=label))
        else:
            row.secret, row.revoked = secret, False
            if label:
                row.label = label
    return secret


def revoke_kiosk(db: Database, kiosk_id: str) -> bool:
    """Refuse a kiosk's requests from now on; False when unknown."""
    with db.write() as session:
        row = session.get(KioskRow, kiosk_id)
        if row is None:
            return False
        row.revoked = True
    return True


def create_admin_token(db: Database, label: str) -> str:
    """A new administrator bearer token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    with db.write() as session:
        session.add(AdminTokenRow(token_sha256=hash_admin_token(token), label=label))
    return token


def ensure_signing_key(db: Database) -> str:
    """The active config signing key's id, creating a key on first use."""
    with db.write() as session:
        row = session.execute(select(SigningKeyRow).where(SigningKeyRow.active.is_(True))).scalars().first()
        if row is not None:
            return row.key_id
        key = Ed25519PrivateKey.generate()
        raw_public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        key_id = hashlib.sha256(raw_public).hexdigest()[:16]
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        session.add(SigningKeyRow(key_id=key_id, private_key=pem, active=True))
        return key_id


class FleetService:
    """Heartbeats, configuration and the fleet listing."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # -- configuration ----------------------------------------------------------------------

    def _signing_key(self) -> tuple[str, Ed25519PrivateKey]:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        ensure_signing_key(self._db)
        with self._db.read() as session:
            row = session.execute(select(SigningKeyRow).where(SigningKeyRow.active.is_(True))).scalars().one()
            key = load_pem_private_key(row.private_key, password=None)
        assert isinstance(key, Ed25519PrivateKey)
        return row.key_id, key

    def public_keys(self) -> list[dict[str, str]]:
        """The config signing public keys (to pin on kiosks)."""
        key_id, key = self._signing_key()
        raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return [{"key_id": key_id, "algorithm": "ed25519", "public_key": base64.b64encode(raw).decode()}]

    def update_config(self, scope: str, kiosk_id: str | None, settings: dict[str, Any]) -> int:
        """Store new settings for the fleet or one kiosk; returns the new version."""
        if scope == "kiosk":
            if not kiosk_id:
                raise ProblemError(
                    422, "invalid-request", "Invalid request", "A kiosk-scoped config needs kiosk_id."
                )
            with self._db.read() as session:
                if session.get(KioskRow, kiosk_id) is None:
                    raise not_found("kiosk")
        target = kiosk_id if scope == "kiosk" else ""
        with self._db.write() as session:
            latest = session.execute(select(func.max(ConfigDocumentRow.version))).scalar_one_or_none() or 0
            version = latest + 1
            session.add(
                ConfigDocumentRow(
                    scope=scope,
                    target=target or "",
                    version=version,
                    settings=settings,
                    issued_at=self._now(),
                )
            )
        return version

    def _effective(self, kiosk_id: str) -> tuple[int, dict[str, Any], datetime] | None:
        with self._db.read() as session:
            fleet = (
                session.execute(
                    select(ConfigDocumentRow)
                    .where(ConfigDocumentRow.scope == "fleet")
                    .order_by(ConfigDocumentRow.version.desc())
                )
                .scalars()
                .first()
            )
            own = (
                session.execute(
                    select(ConfigDocumentRow)
                    .where(ConfigDocumentRow.scope == "kiosk", ConfigDocumentRow.target == kiosk_id)
                    .order_by(ConfigDocumentRow.version.desc())
                )
                .scalars()
                .first()
            )
        docs = [d for d in (fleet, own) if d is not None]
        if not docs:
            return None
        settings: dict[str, Any] = {}
        for doc in docs:  # fleet first, then the kiosk's own override
            settings.update({k: v for k, v in doc.settings.items() if v is not None})
        newest = max(docs, key=lambda d: d.version)
        issued = newest.issued_at if newest.issued_at.tzinfo else newest.issued_at.replace(tzinfo=UTC)
        return newest.version, settings, issued

    def latest_version(self, kiosk_id: str) -> int | None:
        """The configuration version a kiosk should be running."""
        effective = self._effective(kiosk_id)
        return effective[0] if effective else None

    def signed_config(self, kiosk_id: str) -> dict[str, str] | None:
        """The kiosk's signed configuration document, or None when nothing is configured."""
        effective = self._effective(kiosk_id)
        if effective is None:
            return None
        version, settings, issued = effective
        payload = {
            "type": "civic-kiosk/config",
            "schema_version": 1,
            "config_id": f"{kiosk_id}:{version}",
            "version": version,
            "issued_at": issued.isoformat().replace("+00:00", "Z"),
            "expires_at": (issued + CONFIG_LIFETIME).isoformat().replace("+00:00", "Z"),
            "scope": {"kind": "kiosk", "kiosk_id": kiosk_id},
            "min_app_version": "0.1.0",
            "activation": "idle",
            "settings": settings,
        }
        data = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        key_id, key = self._signing_key()
        return {
            "key_id": key_id,
            "algorithm": "ed25519",
            "payload": base64.b64encode(data).decode(),
            "signature": base64.b64encode(key.sign(data)).decode(),
        }

    # -- heartbeats and listing -------------------------------------------------------------

    def heartbeat(self, kiosk_id: str, beat: dict[str, Any], sent_at: datetime) -> dict[str, Any]:
        """Record a heartbeat; the server's receive time is what counts."""
        received = self._now()
        sent = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=UTC)
        offset = round((sent - received).total_seconds(), 3)
        with self._db.write() as session:
            row = session.get(KioskRow, kiosk_id)
            if row is None:
                raise not_found("kiosk")
            row.last_seen_at = received
            row.last_heartbeat = beat
            row.clock_offset_s = offset
        return {
            "received_at": received,
            "clock_offset_s": offset,
            "latest_config_version": self.latest_version(kiosk_id),
        }

    def kiosks(self) -> list[dict[str, Any]]:
        """Every kiosk with online state and alerts (dead letters, stale queue, config lag, clock)."""
        now = self._now()
        with self._db.read() as session:
            rows = session.execute(select(KioskRow).order_by(KioskRow.kiosk_id)).scalars().all()
        listing = []
        for row in rows:
            beat = row.last_heartbeat or {}
            seen = (
                row.last_seen_at.replace(tzinfo=UTC)
                if row.last_seen_at and not row.last_seen_at.tzinfo
                else row.last_seen_at
            )
            online = bool(seen and (now - seen).total_seconds() <= OFFLINE_AFTER_S) and not row.revoked
            alerts: list[str] = []
            if row.revoked:
                alerts.append("revoked")
            elif not online:
                alerts.append("offline")
            if beat.get("outbox_dead"):
                alerts.append("dead_letters")
            if (beat.get("oldest_pending_age_s") or 0) > STALE_QUEUE_S:
                alerts.append("stale_queue")
            latest = self.latest_version(row.kiosk_id)
            if latest is not None and beat and beat.get("applied_config_version") != latest:
                alerts.append("config_lag")
            if row.clock_offset_s is not None and abs(row.clock_offset_s) > 60:
                alerts.append("clock_offset")
            listing.append(
                {
                    "kiosk_id": row.kiosk_id,
                    "label": row.label,
                    "online": online,
                    "last_seen_at": seen,
                    "clock_offset_s": row.clock_offset_s,
                    "app_version": beat.get("app_version"),
                    "applied_config_version": beat.get("applied_config_version"),
                    "outbox_ready": beat.get("outbox_ready"),
                    "outbox_dead": beat.get("outbox_dead"),
                    "alerts": alerts,
                }
            )
        return listing
