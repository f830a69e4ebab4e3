"""Kiosk authentication: the kiosk's signer and the service's verifier agree; bad requests get 401
and leave nothing behind."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import func, select

from central import signing
from central.db import ApplicationRow, Database, UsedNonceRow
from kiosk.api_client import AuthError, KioskSigner, sign_request
from tests.support.central import CentralServer, person, running_central


@pytest.fixture(scope="module")
def server() -> Iterator[CentralServer]:
    with running_central() as running:
        yield running


def count(server: CentralServer, column: object) -> int:
    db = Database(server.db_url)
    try:
        with db.read() as session:
            return int(session.execute(select(func.count(column))).scalar_one())  # type: ignore[arg-type]
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/applications", b'{"item_code":"x"}'),
        ("GET", "/v1/catalog", b""),
        ("GET", "/v1/appointments/zones/real_estate/days?x=1&y=%E4%B8%AD", b""),
        ("post", "/v1/heartbeats", "中文".encode()),
    ],
)
def test_kiosk_signature_verifies_on_the_service(method: str, path: str, body: bytes) -> None:
    secret = b"s3cret-value"
    signature = sign_request(secret, method, path, "kiosk-7", "1700000000", "n" * 16, body)
    assert signing.signature_matches(secret, signature, method, path, "kiosk-7", "1700000000", "n" * 16, body)
    assert signature == signing.compute_signature(
        secret, method, path, "kiosk-7", "1700000000", "n" * 16, body
    )
    # Any change to what is covered breaks it.
    assert not signing.signature_matches(
        secret, signature, method, path, "kiosk-7", "1700000000", "n" * 16, body + b" "
    )
    assert not signing.signature_matches(
        secret, signature, "PUT", path, "kiosk-7", "1700000000", "n" * 16, body
    )
    assert not signing.signature_matches(
        secret, signature, method, path, "kiosk-8", "1700000000", "n" * 16, body
    )
    assert not signing.signature_matches(
        b"other", signature, method, path, "kiosk-7", "1700000000", "n" * 16, body
    )


def nonce_stored(server: CentralServer, nonce: str) -> bool:
    db = Database(server.db_url)
    try:
        with db.read() as session:
            return (
                session.execute(select(UsedNonceRow.nonce).where(UsedNonceRow.nonce == nonce)).first()
                is not None
            )
    finally:
        db.dispose()


def application_body() -> bytes:
    citizen = person("retiree")
    return json.dumps(
        {
            "item_code": "411700-GJJ-0901",
            "applicant": {"name": citizen.name, "id_number": citizen.id_number},
            "form": {"withdrawal_amount": "10.00", "bank_card_number": "6222020200112233445"},
        }
    ).encode()


def signed_headers(
    server: CentralServer,
    body: bytes,
    *,
    kiosk_id: str | None = None,
    secret: bytes | None = None,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    kiosk_id = kiosk_id or server.kiosk_id
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or uuid.uuid4().hex
    signature = sign_request(
        secret or server.secret, "POST", "/v1/applications", kiosk_id, stamp, nonce, body
    )
    return {
        "Content-Type": "application/json",
        "Idempotency-Key": str(uuid.uuid4()),
        "X-Kiosk-Id": kiosk_id,
        "X-Kiosk-Timestamp": stamp,
        "X-Kiosk-Nonce": nonce,
        "X-Kiosk-Signature": signature,
    }


def post(server: CentralServer, headers: dict[str, str], body: bytes) -> requests.Response:
    return requests.post(server.base_url + "/v1/applications", data=body, headers=headers, timeout=30)


def assert_refused(response: requests.Response, words: str) -> None:
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("KIOSK-HMAC-SHA256")
    assert words in response.json()["detail"]


def test_correctly_signed_request_is_accepted(server: CentralServer) -> None:
    body = application_body()
    headers = signed_headers(server, body)
    assert post(server, headers, body).status_code == 201
    assert nonce_stored(server, headers["X-Kiosk-Nonce"])


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("wrong_signature", "signature does not match"),
        ("wrong_secret", "signature does not match"),
        ("stale_timestamp", "away from the server clock"),
        ("future_timestamp", "away from the server clock"),
        ("unknown_kiosk", "Unknown or revoked kiosk"),
        ("unsigned", "not signed"),
        ("tampered_body", "signature does not match"),
    ],
)
def test_bad_authentication_is_401_and_stores_nothing(server: CentralServer, case: str, words: str) -> None:
    before = count(server, ApplicationRow.id)
    body = application_body()
    headers = signed_headers(server, body)
    if case == "wrong_signature":
        headers["X-Kiosk-Signature"] = "0" * 64
    elif case == "wrong_secret":
        headers = signed_headers(server, body, secret=b"not-the-secret")
    elif case == "stale_timestamp":
        headers = signed_headers(server, body, timestamp=int(time.time()) - 301 - 5)
    elif case == "future_timestamp":
        headers = signed_headers(server, body, timestamp=int(time.time()) + 301 + 5)
    elif case == "unknown_kiosk":
        headers = signed_headers(server, body, kiosk_id="no-such-kiosk")
    elif case == "unsigned":
        headers = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
    elif case == "tampered_body":
        body = body.replace(b"10.00", b"99.00")
    assert_refused(post(server, headers, body), words)
    time.sleep(0.2)  # let any batch in flight commit
    assert count(server, ApplicationRow.id) == before
    assert not nonce_stored(server, headers.get("X-Kiosk-Nonce", ""))


def test_replayed_nonce_is_refused_and_stores_nothing(server: CentralServer) -> None:
    body = application_body()
    headers = signed_headers(server, body)
    assert post(server, headers, body).status_code == 201
    before = count(server, ApplicationRow.id)
    # The exact same request again (a captured-and-replayed request), and with a new body key.
    assert_refused(post(server, headers, body), "already used")
    headers["Idempotency-Key"] = str(uuid.uuid4())
    assert_refused(post(server, headers, body), "already used")
    assert count(server, ApplicationRow.id) == before


def test_stale_timestamp_answer_tells_the_server_time(server: CentralServer) -> None:
    body = application_body()
    response = post(server, signed_headers(server, body, timestamp=1_000_000_000), body)
    assert abs(response.json()["server_time"] - time.time()) < 120


def test_revoked_kiosk_is_refused(server: CentralServer) -> None:
    from central.fleet import revoke_kiosk

    secret = server.provision("kiosk-to-revoke")
    with server.client(kiosk_id="kiosk-to-revoke", secret=secret) as client:
        assert client.appointment_zones()
        db = Database(server.db_url)
        try:
            revoke_kiosk(db, "kiosk-to-revoke")
        finally:
            db.dispose()
        time.sleep(1.2)  # the service re-reads kiosk credentials at most once a second
        with pytest.raises(AuthError) as caught:
            client.appointment_zones()
    assert caught.value.status == 401


def test_client_with_a_skewed_clock_gets_auth_error(server: CentralServer) -> None:
    with server.client(clock=lambda: time.time() - 3600) as client, pytest.raises(AuthError) as caught:
        client.get_catalog(None)
    assert "clock" in caught.value.detail


def test_signer_covers_the_query_string(server: CentralServer) -> None:
    response = requests.get(
        server.base_url + "/v1/appointments/zones",
        params={"lang": "中文"},
        auth=KioskSigner(server.kiosk_id, server.secret),
        timeout=30,
    )
    assert response.status_code == 200
