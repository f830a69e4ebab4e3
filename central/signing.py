"""Kiosk request signing, the service's side.

Every kiosk request carries four headers:

- ``X-Kiosk-Id``: the kiosk's id;
- ``X-Kiosk-Timestamp``: Unix time in whole seconds when the request was signed;
- ``X-Kiosk-Nonce``: 16-64 characters of ``[A-Za-z0-9_-]``, never reused by the kiosk;
- ``X-Kiosk-Signature``: lowercase hex HMAC-SHA256, keyed with the kiosk's secret, over the
  string to sign below.

The string to sign is these lines joined by ``\\n`` (no trailing newline)::

    KIOSK-HMAC-SHA256
    <METHOD in upper case>
    <path exactly as sent, with "?query" when there is a query string>
    <kiosk id>
    <timestamp>
    <nonce>
    <Idempotency-Key header value exactly as sent; an empty line when the request has none>
    <lowercase hex SHA-256 of the request body bytes (of b"" when there is no body)>

The Idempotency-Key decides whether a submission or booking is new or a repeat, so it is covered
like the body: otherwise anyone on the path could turn a kiosk's retry into a second application
(a second payout) by changing only that header.

The kiosk implements the same scheme independently (the two share no code) and the tests check
one against the other.
"""

from __future__ import annotations

import hashlib
import hmac
import re

SCHEME = "KIOSK-HMAC-SHA256"
HEADER_KIOSK_ID = "X-Kiosk-Id"
HEADER_TIMESTAMP = "X-Kiosk-Timestamp"
HEADER_NONCE = "X-Kiosk-Nonce"
HEADER_SIGNATURE = "X-Kiosk-Signature"
HEADER_IDEMPOTENCY_KEY = "Idempotency-Key"

ALLOWED_SKEW_S = 300
NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KIOSK_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TIMESTAMP_PATTERN = re.compile(r"^[0-9]{1,12}$")
SIGNATURE_PATTERN = re.compile(r"^[0-9a-f]{64}$")


def body_digest(body: bytes) -> str:
    """Lowercase hex SHA-256 of the body bytes."""
    return hashlib.sha256(body).hexdigest()


def string_to_sign(
    method: str, path: str, kiosk_id: str, timestamp: str, nonce: str, body: bytes, *, idempotency_key: str
) -> bytes:
    """The exact bytes the signature covers; ``idempotency_key`` is "" when the header is absent."""
    lines = [SCHEME, method.upper(), path, kiosk_id, timestamp, nonce, idempotency_key, body_digest(body)]
    return "\n".join(lines).encode("utf-8")


def compute_signature(
    secret: bytes,
    method: str,
    path: str,
    kiosk_id: str,
    timestamp: str,
    nonce: str,
    body: bytes,
    *,
    idempotency_key: str,
) -> str:
    """Hex HMAC-SHA256 of the string to sign."""
    message = string_to_sign(method, path, kiosk_id, timestamp, nonce, body, idempotency_key=idempotency_key)
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def signature_matches(
    secret: bytes,
    signature: str,
    method: str,
    path: str,
    kiosk_id: str,
    timestamp: str,
    nonce: str,
    body: bytes,
    *,
    idempotency_key: str,
) -> bool:
    """Constant-time comparison of a presented signature with the expected one."""
    expected = compute_signature(
        secret, method, path, kiosk_id, timestamp, nonce, body, idempotency_key=idempotency_key
    )
    return hmac.compare_digest(expected, signature)
