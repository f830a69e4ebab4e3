"""Kiosk fleet: provisioning, heartbeats, administrator-signed configuration and the fleet listing.

The service never signs configuration. Administrators sign documents offline (``kiosk-admin sign``)
with Ed25519 keys whose public halves are registered here (``kiosk-central add-config-key``); the
service checks a published document just enough to refuse junk (registered key, signature over the
exact payload bytes, positive version above every stored one, a valid scope) and then stores and
serves its bytes verbatim. Kiosks verify every document themselves against the keys they pin, so
a compromised service can withhold configuration but cannot change it.

A kiosk is served the newest stored document whose scope covers it: the whole fleet, one of the
kiosk's groups, or the kiosk itself. Versions are monotonic across the fleet, so "newest" is "highest
version" and a kiosk's trusted version only ever rises.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, or_, select, text

from central.auth import hash_admin_token
from central.db import AdminTokenRow, ConfigDocumentRow, ConfigKeyRow, Database, KioskRow
from central.problems import ProblemError, not_found
from central.signing import KIOSK_ID_PATTERN

MAX_DOCUMENT_BYTES = 256 * 1024  # the kiosks' own limit
DOCUMENT_TYPE = "kiosk-config"
# The column is a 32-bit INTEGER on PostgreSQL; a version at SQLite's 64-bit limit would also leave
# no higher version to publish, freezing the fleet's configuration for good.
MAX_CONFIG_VERSION = 2**31 - 1
GROUP_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
HEARTBEAT_INTERVAL_S = 60
OFFLINE_AFTER_S = 3 * HEARTBEAT_INTERVAL_S
STALE_QUEUE_S = 3600


class ConfigKeyInvalid(ValueError):
    """A public key that is not base64 of 32 raw Ed25519 bytes."""


def _groups_column(groups: Iterable[str]) -> str:
    names = sorted(set(groups))
    for name in names:
        if not GROUP_PATTERN.match(name):
            raise ValueError(f"a group name is 1-32 letters, digits, '.', '_' or '-' (got {name!r})")
    joined = ",".join(names)
    if len(joined) > 64:
        raise ValueError("the kiosk's group names take more than 64 characters together")
    return joined


def _groups_of(row: KioskRow) -> frozenset[str]:
    # The column holds the kiosk's groups joined by commas (group names cannot contain one).
    return frozenset(name for name in row.group_name.split(",") if name)


def provision_kiosk(db: Database, kiosk_id: str, label: str = "", groups: Iterable[str] | None = None) -> str:
    """Create a kiosk (or give an existing one a new secret); returns the secret to install on it.

    ``groups`` (when given) replaces the kiosk's groups: documents scoped to one of them reach it.
    Raises ValueError for a bad group name.
    """
    group_name = None if groups is None else _groups_column(groups)
    secret = secrets.token_urlsafe(32)
    with db.write() as session:
        row = session.get(KioskRow, kiosk_id)
        if row is None:
            session.add(KioskRow(kiosk_id=kiosk_id, secret=secret, label=label, group_name=group_name or ""))
        else:
            row.secret, row.revoked = secret, False
            if label:
                row.label = label
            if group_name is not None:
                row.group_name = group_name
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
    # A fixed prefix: a token that began with "-" would be read as an option on a command line.
    token = "adm_" + secrets.token_urlsafe(32)
    with db.write() as session:
        session.add(AdminTokenRow(token_sha256=hash_admin_token(token), label=label))
    return token


def config_key_id(raw_public_key: bytes) -> str:
    """A key's id: the first 16 hex digits of SHA-256 of its 32 raw bytes (as ``kiosk-admin`` names it)."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def register_config_key(db: Database, public_key_b64: str, label: str = "") -> str:
    """Register an administrator's public key (base64 of 32 raw bytes); returns its key id.

    Registering a key again changes nothing but its label (when one is given).
    """
    try:
        raw = base64.b64decode(public_key_b64.strip(), validate=True)
        Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error):
        raise ConfigKeyInvalid(
            "not an Ed25519 public key (base64 of 32 bytes, as kiosk-admin keygen prints)"
        ) from None
    key_id = config_key_id(raw)
    with db.write() as session:
        row = session.get(ConfigKeyRow, key_id)
        if row is None:
            session.add(ConfigKeyRow(key_id=key_id, public_key=base64.b64encode(raw).decode(), label=label))
        elif label:
            row.label = label
    return key_id


def config_keys(db: Database) -> list[dict[str, str]]:
    """Every registered administrator key, oldest first."""
    with db.read() as session:
        rows = session.execute(select(ConfigKeyRow).order_by(ConfigKeyRow.created_at, ConfigKeyRow.key_id))
        return [
            {"key_id": r.key_id, "algorithm": "ed25519", "public_key": r.public_key, "label": r.label}
            for r in rows.scalars()
        ]


@dataclass(frozen=True)
class StoredConfig:
    """A published document: its version and its exact bytes."""

    version: int
    document: bytes


def _refused(slug: str, detail: str, status: int = 422) -> ProblemError:
    return ProblemError(status, slug, "Configuration document refused", detail)


def _scope_of(scope: Any) -> tuple[str, str]:
    """(kind, target) of a document's scope; raises a 422 problem when it is not a valid scope."""
    if isinstance(scope, dict) and len(scope) == 1:
        ((kind, value),) = scope.items()
        if kind == "fleet" and value is True:
            return "fleet", ""
        if kind == "group" and isinstance(value, str) and GROUP_PATTERN.match(value):
            return "group", value
        if kind == "kiosk" and isinstance(value, str) and KIOSK_ID_PATTERN.match(value):
            return "kiosk", value
    raise _refused("invalid-config-scope", 'scope must be {"fleet": true}, {"group": NAME} or {"kiosk": ID}.')


def _document_text(row: ConfigDocumentRow) -> str | None:
    # The published envelope is kept verbatim as one string inside the row's JSON column (a JSON
    # string round-trips exactly). Rows from before administrator signing are removed by migration 2.
    document = row.settings.get("document") if isinstance(row.settings, dict) else None
    return document if isinstance(document, str) else None


class FleetService:
    """Heartbeats, configuration and the fleet listing."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # -- configuration ----------------------------------------------------------------------

    def public_keys(self) -> list[dict[str, str]]:
        """The registered administrator keys (to pin on kiosks)."""
        return config_keys(self._db)

    def _verified_payload(self, raw: bytes) -> tuple[str, dict[str, Any]]:
        """(key id, signed part) of an envelope signed by a registered key; 422 problems otherwise."""
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise _refused("config-too-large", f"A document is at most {MAX_DOCUMENT_BYTES} bytes.")
        try:
            envelope = json.loads(raw.decode("utf-8"))
            fields = [envelope[name] for name in ("key_id", "algorithm", "payload", "signature")]
            if not all(isinstance(value, str) for value in fields):
                raise TypeError
            key_id, algorithm, payload_b64, signature_b64 = fields
            payload = base64.b64decode(payload_b64, validate=True)
            signature = base64.b64decode(signature_b64, validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise _refused(
                "malformed-config",
                "Expected a JSON envelope with string key_id, algorithm, payload and signature "
                "(the last two base64).",
            ) from None
        if algorithm != "ed25519":
            raise _refused("malformed-config", "algorithm must be ed25519.")
        with self._db.read() as session:
            key = session.get(ConfigKeyRow, key_id)
            public_text = key.public_key if key is not None else None
        if public_text is None:
            raise _refused("unknown-config-key", "key_id is not a registered administrator key.")
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_text))
        try:
            public.verify(signature, payload)
        except InvalidSignature:
            raise _refused(
                "bad-config-signature", "The signature does not match the payload bytes."
            ) from None
        try:
            signed = json.loads(payload.decode("utf-8"))
        except ValueError:
            signed = None
        if not isinstance(signed, dict) or signed.get("type") != DOCUMENT_TYPE:
            raise _refused("malformed-config", f"The signed payload is not a {DOCUMENT_TYPE} JSON object.")
        return key_id, signed

    def publish_config(self, raw: bytes) -> dict[str, Any]:
        """Check and store an administrator-signed document verbatim; returns what was stored.

        Raises 422 problems for a malformed document, an unregistered key, a bad signature, a bad
        version (not an integer from 1 to ``MAX_CONFIG_VERSION``) or scope, and 409 when the version
        is not above every stored one. Nothing is stored unless every check passes.
        """
        key_id, signed = self._verified_payload(raw)
        version = signed.get("version")
        if (
            not isinstance(version, int)
            or isinstance(version, bool)
            or not 1 <= version <= MAX_CONFIG_VERSION
        ):
            raise _refused(
                "invalid-config-version", f"version must be an integer from 1 to {MAX_CONFIG_VERSION}."
            )
        kind, target = _scope_of(signed.get("scope"))
        with self._db.write() as session:
            if not self._db.is_sqlite:
                # Two administrators publishing at once must not both take the same version.
                session.execute(text("SELECT pg_advisory_xact_lock(7007002)"))
            latest = session.execute(select(func.max(ConfigDocumentRow.version))).scalar_one_or_none() or 0
            if version <= latest:
                raise _refused(
                    "stale-config-version",
                    f"version {version} is not above the latest stored version {latest}.",
                    status=409,
                )
            session.add(
                ConfigDocumentRow(
                    scope=kind,
                    target=target,
                    version=version,
                    settings={"document": raw.decode("utf-8")},
                    issued_at=self._now(),
                )
            )
        scope: dict[str, str | bool] = {"fleet": True} if kind == "fleet" else {kind: target}
        return {
            "config_id": str(signed.get("config_id", "")),
            "version": version,
            "scope": scope,
            "key_id": key_id,
        }

    def _newest_id(self, session: Any, kiosk_id: str) -> tuple[int, int] | None:
        """(row id, version) of the newest document covering the kiosk; documents are not loaded."""
        kiosk = session.get(KioskRow, kiosk_id)
        groups = sorted(_groups_of(kiosk)) if kiosk is not None else []
        newest = session.execute(
            select(ConfigDocumentRow.id, ConfigDocumentRow.version)
            .where(
                or_(
                    ConfigDocumentRow.scope == "fleet",
                    (ConfigDocumentRow.scope == "group") & ConfigDocumentRow.target.in_(groups),
                    (ConfigDocumentRow.scope == "kiosk") & (ConfigDocumentRow.target == kiosk_id),
                )
            )
            .order_by(ConfigDocumentRow.version.desc())
            .limit(1)
        ).first()
        return None if newest is None else (int(newest[0]), int(newest[1]))

    def config_for(self, kiosk_id: str) -> StoredConfig | None:
        """The newest stored document whose scope covers the kiosk (fleet, its groups, itself)."""
        with self._db.read() as session:
            newest = self._newest_id(session, kiosk_id)
            row = session.get(ConfigDocumentRow, newest[0]) if newest else None
            document = _document_text(row) if row is not None else None
            return None if row is None or document is None else StoredConfig(row.version, document.encode())

    def latest_version(self, kiosk_id: str) -> int | None:
        """The configuration version a kiosk should be running (None when no document covers it)."""
        with self._db.read() as session:
            newest = self._newest_id(session, kiosk_id)
        return newest[1] if newest else None

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
            if beat.get("config_rejection"):
                alerts.append("config_rejected")
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
                    "config_rejection": beat.get("config_rejection"),
                    "alerts": alerts,
                }
            )
        return listing
