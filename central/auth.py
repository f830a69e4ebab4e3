"""Kiosk authentication (HMAC request signatures) and administrator bearer tokens.

Checks, in order: the four headers are present and well formed; behind a proxy that verifies kiosk
certificates (mutual TLS), the kiosk id the proxy vouches for in its own header is the signed one;
the timestamp lies within ±300 s of the server clock; the kiosk is known and not revoked; the
signature (which covers the Idempotency-Key header too) matches; the nonce has not been seen
before. Only a request that passes every check records its nonce, so a refused request stores
nothing. Every failure is a 401 problem whose detail
names the failed check (the answer for a stale timestamp includes the server time so a kiosk can
report its clock offset).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from collections.abc import Callable, Mapping
from typing import cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from central import signing
from central.db import AdminTokenRow, Database, KioskRow, UsedNonceRow
from central.problems import unauthorized

# Nonces older than the accepted window can never be replayed successfully (their timestamp is
# stale), so they may be forgotten.
NONCE_RETENTION_S = 2 * signing.ALLOWED_SKEW_S + 60
# A revoked or re-provisioned kiosk is refused within this time on every API node.
SECRET_CACHE_S = 1.0

# Built once per dialect; the request's values travel as parameters (rebuilding the statement per
# request cost more than running it).
_USED_NONCES = cast(Table, UsedNonceRow.__table__)
_RECORD_NONCE = {
    "sqlite": sqlite_insert(_USED_NONCES).on_conflict_do_nothing().returning(_USED_NONCES.c.nonce),
    "postgresql": postgresql_insert(_USED_NONCES).on_conflict_do_nothing().returning(_USED_NONCES.c.nonce),
}
_FORGET_NONCES = delete(_USED_NONCES).where(_USED_NONCES.c.seen_at < bindparam("older_than"))


class KioskAuthenticator:
    """Verifies signed kiosk requests against the kiosks table."""

    def __init__(
        self, db: Database, clock: Callable[[], float] = time.time, *, verified_id_header: str | None = None
    ) -> None:
        """``verified_id_header``: the header in which a TLS proxy passes the kiosk id of the client
        certificate it verified (it must set it itself and strip it from incoming requests); when
        given, a request whose certificate belongs to another kiosk, or that has none, is refused."""
        self._db = db
        self._clock = clock
        self._verified_id_header = verified_id_header
        self._random = random.Random()
        self._secrets: dict[str, tuple[str | None, float]] = {}

    def authenticate(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> str:
        """The kiosk id of a correctly signed, fresh, first-seen request; raises a 401 problem otherwise."""
        kiosk_id = headers.get(signing.HEADER_KIOSK_ID)
        timestamp = headers.get(signing.HEADER_TIMESTAMP)
        nonce = headers.get(signing.HEADER_NONCE)
        signature = headers.get(signing.HEADER_SIGNATURE)
        if not (kiosk_id and timestamp and nonce and signature):
            raise unauthorized(
                "The request is not signed: X-Kiosk-Id, X-Kiosk-Timestamp, X-Kiosk-Nonce and "
                "X-Kiosk-Signature are required."
            )
        if not signing.KIOSK_ID_PATTERN.match(kiosk_id):
            raise unauthorized("X-Kiosk-Id is malformed.")
        if not signing.TIMESTAMP_PATTERN.match(timestamp):
            raise unauthorized("X-Kiosk-Timestamp must be Unix time in whole seconds.")
        if not signing.NONCE_PATTERN.match(nonce):
            raise unauthorized("X-Kiosk-Nonce must be 16-64 characters of A-Z, a-z, 0-9, '_' or '-'.")
        if not signing.SIGNATURE_PATTERN.match(signature):
            raise unauthorized("X-Kiosk-Signature must be 64 lowercase hex digits.")
        if self._verified_id_header is not None and headers.get(self._verified_id_header) != kiosk_id:
            raise unauthorized("The client certificate does not belong to this kiosk.")
        now = self._clock()
        if abs(now - int(timestamp)) > signing.ALLOWED_SKEW_S:
            error = unauthorized(
                f"The request timestamp is {int(timestamp) - int(now)} s away from the server clock "
                f"(allowed ±{signing.ALLOWED_SKEW_S} s); check the kiosk's clock."
            )
            error.extra["server_time"] = int(now)
            raise error
        secret = self._secret_of(kiosk_id)
        if secret is None:
            raise unauthorized("Unknown or revoked kiosk.")
        # The first Idempotency-Key header, as the routes read it: the one the signature must cover.
        idempotency_key = headers.get(signing.HEADER_IDEMPOTENCY_KEY, "")
        if not signing.signature_matches(
            secret.encode("ascii"),
            signature,
            method,
            path,
            kiosk_id,
            timestamp,
            nonce,
            body,
            idempotency_key=idempotency_key,
        ):
            raise unauthorized("The signature does not match the request.")
        self._record_nonce(kiosk_id, nonce, int(now))
        return kiosk_id

    def _secret_of(self, kiosk_id: str) -> str | None:
        """The kiosk's secret, or None for an unknown or revoked kiosk (re-read at most once a second)."""
        cached = self._secrets.get(kiosk_id)
        now = time.monotonic()
        if cached is not None and now - cached[1] < SECRET_CACHE_S:
            return cached[0]
        with self._db.connect() as connection:
            found = connection.execute(
                select(KioskRow.secret, KioskRow.revoked).where(KioskRow.kiosk_id == kiosk_id)
            ).first()
        secret = found.secret if found is not None and not found.revoked else None
        if len(self._secrets) > 10_000:  # bounded: unknown ids must not grow it without limit
            self._secrets.clear()
        self._secrets[kiosk_id] = (secret, now)
        return secret

    def _record_nonce(self, kiosk_id: str, nonce: str, now: int) -> None:
        statement = _RECORD_NONCE["sqlite" if self._db.is_sqlite else "postgresql"]
        values = {"kiosk_id": kiosk_id, "nonce": nonce, "seen_at": now}
        # The nonce is checked against every earlier one at once; it need not be durable before the
        # request goes on (it is committed with the next batch, within milliseconds).
        if self._db.execute_write(statement, values, wait_for_commit=False) != 1:
            raise unauthorized("The nonce was already used: a replayed request is refused.")
        # Forget expired nonces now and then rather than on every request.
        if self._random.random() < 0.02:
            self._db.execute_write(_FORGET_NONCES, {"older_than": now - NONCE_RETENTION_S})


def hash_admin_token(token: str) -> str:
    """How administrator tokens are stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AdminAuthenticator:
    """Verifies ``Authorization: Bearer <token>`` against the stored token hashes."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def authenticate(self, authorization: str | None) -> str:
        """The token's label; raises a 401 problem for a missing or unknown token."""
        if not authorization or not authorization.startswith("Bearer "):
            raise unauthorized("Administrator endpoints need 'Authorization: Bearer <token>'.")
        digest = hash_admin_token(authorization[len("Bearer ") :].strip())
        with self._db.read() as session:
            rows = session.execute(select(AdminTokenRow.token_sha256, AdminTokenRow.label)).all()
        for stored, label in rows:
            if hmac.compare_digest(stored, digest):
                return label
        raise unauthorized("Unknown administrator token.")
