"""Kiosk authentication: the kiosk's signer and the service's verifier agree; bad requests get 401
and leave nothing behind."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import func, select

from central import signing
from central.db import ApplicationRow, BookingRow, Database, UsedNonceRow
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
    ("method", "path", "body", "key"),
    [
        ("POST", "/v1/applications", b'{"item_code":"x"}', "0190a8c4-58b2-7c3e-9a51-2f6d8e4b1a07"),
        ("GET", "/v1/catalog", b"", ""),
        ("GET", "/v1/appointments/zones/real_estate/days?x=1&y=%E4%B8%AD", b"", ""),
        ("post", "/v1/heartbeats", "中文".encode(), ""),
    ],
)
def test_kiosk_signature_verifies_on_the_service(method: str, path: str, body: bytes, key: str) -> None:
    secret = b"s3cret-value"
    signature = sign_request(
        secret, method, path, "kiosk-7", "1700000000", "n" * 16, body, idempotency_key=key
    )

    def matches(
        secret: bytes = secret,
        method: str = method,
        kiosk_id: str = "kiosk-7",
        body: bytes = body,
        key: str = key,
    ) -> bool:
        return signing.signature_matches(
            secret, signature, method, path, kiosk_id, "1700000000", "n" * 16, body, idempotency_key=key
        )

    assert matches()
    assert signature == signing.compute_signature(
        secret, method, path, "kiosk-7", "1700000000", "n" * 16, body, idempotency_key=key
    )
    # Any change to what is covered breaks it.
    assert not matches(body=body + b" ")
    assert not matches(method="PUT")
    assert not matches(kiosk_id="kiosk-8")
    assert not matches(secret=b"other")
    assert not matches(key=key + "0" if key else "0190a8c4-58b2-7c3e-9a51-2f6d8e4b1a07")


@pytest.mark.parametrize("key", ["0190a8c4-58b2-7c3e-9a51-2f6d8e4b1a07", ""])
def test_both_sides_sign_the_documented_string(key: str) -> None:
    """The string to sign as docs/api.md spells it out, for anyone writing another client."""
    body = b'{"item_code":"411700-GJJ-0901"}'
    documented = "\n".join(
        [
            "KIOSK-HMAC-SHA256",
            "POST",
            "/v1/applications",
            "kiosk-7",
            "1700000000",
            "abcdefghijklmnop",
            key,  # an empty line when the request has no Idempotency-Key
            hashlib.sha256(body).hexdigest(),
        ]
    ).encode()
    expected = hmac.new(b"s3cret-value", documented, hashlib.sha256).hexdigest()
    args = (b"s3cret-value", "post", "/v1/applications", "kiosk-7", "1700000000", "abcdefghijklmnop", body)
    assert sign_request(*args, idempotency_key=key) == expected
    assert signing.compute_signature(*args, idempotency_key=key) == expected


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
    path: str = "/v1/applications",
) -> dict[str, str]:
    kiosk_id = kiosk_id or server.kiosk_id
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or uuid.uuid4().hex
    key = str(uuid.uuid4())
    signature = sign_request(
        secret or server.secret, "POST", path, kiosk_id, stamp, nonce, body, idempotency_key=key
    )
    return {
        "Content-Type": "application/json",
        "Idempotency-Key": key,
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
    # The exact same request again (a captured-and-replayed request), and with a new key (which the
    # signature covers, so that fails even before the nonce is looked at).
    assert_refused(post(server, headers, body), "already used")
    headers["Idempotency-Key"] = str(uuid.uuid4())
    assert_refused(post(server, headers, body), "signature does not match")
    assert count(server, ApplicationRow.id) == before


@pytest.mark.parametrize("change", ["other key", "key removed"])
def test_changed_idempotency_key_is_401_and_stores_nothing(server: CentralServer, change: str) -> None:
    """A key changed on the way would make the kiosk's retry a second application (a second payout)."""
    before = count(server, ApplicationRow.id)
    body = application_body()
    signed = signed_headers(server, body)
    changed = dict(signed)
    if change == "other key":
        changed["Idempotency-Key"] = str(uuid.uuid4())
    else:
        del changed["Idempotency-Key"]
    response = post(server, changed, body)
    assert_refused(response, "signature does not match")
    assert response.json()["type"] == "urn:civic-kiosk:problem:unauthorized"
    time.sleep(0.2)  # let any batch in flight commit
    assert count(server, ApplicationRow.id) == before
    assert not nonce_stored(server, signed["X-Kiosk-Nonce"])
    # The kiosk's own request under the key it signed is the one application.
    assert post(server, signed, body).status_code == 201
    assert count(server, ApplicationRow.id) == before + 1


def test_idempotency_key_added_to_an_unkeyed_request_is_401(server: CentralServer) -> None:
    body = application_body()
    stamp, nonce = str(int(time.time())), uuid.uuid4().hex
    signature = sign_request(server.secret, "POST", "/v1/applications", server.kiosk_id, stamp, nonce, body)
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": str(uuid.uuid4()),
        "X-Kiosk-Id": server.kiosk_id,
        "X-Kiosk-Timestamp": stamp,
        "X-Kiosk-Nonce": nonce,
        "X-Kiosk-Signature": signature,
    }
    assert_refused(post(server, headers, body), "signature does not match")
    assert not nonce_stored(server, nonce)


def test_booking_with_a_changed_idempotency_key_is_401_and_books_nothing(server: CentralServer) -> None:
    with server.client() as client:
        day = client.appointment_days("tax")[0].day
    citizen = person("worker")
    body = json.dumps(
        {
            "zone": "tax",
            "day": day.isoformat(),
            "slot": "11:00",
            "applicant": {"name": citizen.name, "id_number": citizen.id_number},
        }
    ).encode()
    path = "/v1/appointments/bookings"
    before = count(server, BookingRow.id)
    headers = signed_headers(server, body, path=path)
    changed = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    refused = requests.post(server.base_url + path, data=body, headers=changed, timeout=30)
    assert_refused(refused, "signature does not match")
    time.sleep(0.2)
    assert count(server, BookingRow.id) == before
    booked = requests.post(server.base_url + path, data=body, headers=headers, timeout=30)
    assert booked.status_code == 201, booked.text
    assert booked.json()["booking_id"] == headers["Idempotency-Key"]
    assert count(server, BookingRow.id) == before + 1


def test_kiosk_client_submissions_and_bookings_are_accepted(server: CentralServer) -> None:
    """The real client signs the key it sends: first attempts and retries both go through."""
    citizen = person("retiree")
    application = {
        "item_code": "411700-GJJ-0901",
        "applicant": {"name": citizen.name, "id_number": citizen.id_number},
        "form": {"withdrawal_amount": "10.00", "bank_card_number": "6222020200112233445"},
    }
    application_id, booking_id = str(uuid.uuid4()), str(uuid.uuid4())
    with server.client() as client:
        first = client.submit_application(application_id, application)
        assert client.submit_application(application_id, application) == first  # the retry
        day = client.appointment_days("fund")[0].day
        ticket = client.book_appointment(
            booking_id, "fund", day, "09:00", {"name": citizen.name, "id_number": citizen.id_number}
        )
        assert (
            client.book_appointment(
                booking_id, "fund", day, "09:00", {"name": citizen.name, "id_number": citizen.id_number}
            )
            == ticket
        )
    assert ticket.booking_id == booking_id and ticket.status == "booked"


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
