"""Identity codes, queries, appointments, cross-province forwarding, human review and the fleet
endpoints, through the kiosk's client against the running service."""

from __future__ import annotations

import base64
import json
import math
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, select

from central.db import ConfigDocumentRow, Database
from kiosk.api_client import ApiClient, ClientError
from kiosk.remote_config import sign_document
from tests.support.central import (
    EXPIRED_IDENTITY_TOKEN,
    CentralServer,
    applicant,
    demo_company_code,
    person,
    running_central,
)


@pytest.fixture(scope="module")
def server() -> Iterator[CentralServer]:
    with running_central() as running:
        yield running


@pytest.fixture
def client(server: CentralServer) -> Iterator[ApiClient]:
    with server.client() as api:
        yield api


CARD = {"bank_card_number": "6222020200112233445"}


# -- identity codes -----------------------------------------------------------------------------


def test_identity_code_resolves_to_the_citizen(client: ApiClient) -> None:
    citizen = person("elder")
    identity = client.resolve_identity_code(f"cityapp:identity:v1:{citizen.identity_token}")
    assert (identity.name, identity.id_number, identity.phone, identity.sex) == (
        citizen.name,
        citizen.id_number,
        citizen.phone,
        "male",
    )


def test_resolved_identity_repr_leaves_out_the_personal_fields(client: ApiClient) -> None:
    citizen = person("elder")
    identity = client.resolve_identity_code(f"cityapp:identity:v1:{citizen.identity_token}")
    text = repr(identity) + str(identity)
    assert identity.name == citizen.name  # the fields are there, just not in the repr
    for value in (citizen.name, citizen.id_number, citizen.phone):
        assert value not in text


@pytest.mark.parametrize(
    ("token", "status", "slug"),
    [
        (EXPIRED_IDENTITY_TOKEN, 410, "identity-code-expired"),
        ("unknown-token-000000000", 404, "identity-code-unknown"),
        ("short", 422, "invalid-request"),
    ],
)
def test_bad_identity_codes_get_clear_problems(client: ApiClient, token: str, status: int, slug: str) -> None:
    with pytest.raises(ClientError) as caught:
        client.resolve_identity_code(token)
    assert (caught.value.status, caught.value.slug) == (status, slug)
    assert caught.value.detail


# -- queries ---------------------------------------------------------------------------------------


def test_provident_fund_query(client: ApiClient) -> None:
    account = client.provident_fund(person("worker").id_number)
    assert account.balance == "23410.35"
    assert (
        account.id_number_masked
        == person("worker").id_number[:6] + "********" + person("worker").id_number[-4:]
    )
    assert [m.month for m in account.recent_contributions][:2] == ["2026-10", "2026-09"]
    assert len(account.recent_contributions) == 6


def test_social_insurance_query(client: ApiClient) -> None:
    status = client.social_insurance(person("retiree").id_number)
    assert (status.status, status.pension_monthly) == ("retired", "3268.50")


def test_query_for_someone_without_a_record_is_404(client: ApiClient) -> None:
    with pytest.raises(ClientError) as caught:
        client.provident_fund(person("freelancer").id_number)
    assert caught.value.status == 404


# -- appointments ----------------------------------------------------------------------------------


def test_eleven_zones_and_working_days(client: ApiClient) -> None:
    zones = client.appointment_zones()
    assert len(zones) == 11
    days = client.appointment_days("fund")
    assert len(days) == 7
    assert all(day.day.weekday() < 5 for day in days)


def test_booking_is_idempotent_and_cancellation_frees_the_place(client: ApiClient) -> None:
    day = client.appointment_days("tax")[1].day
    before = {s.slot: s.available for s in client.appointment_slots("tax", day)}
    booking_id = str(uuid.uuid4())
    ticket = client.book_appointment(booking_id, "tax", day, "10:00", applicant("worker"))
    again = client.book_appointment(booking_id, "tax", day, "10:00", applicant("worker"))
    assert ticket == again
    assert ticket.status == "booked" and ticket.ticket_number
    assert "********" in ticket.applicant_masked
    assert {s.slot: s.available for s in client.appointment_slots("tax", day)}["10:00"] == before["10:00"] - 1
    cancelled = client.cancel_appointment(booking_id)
    assert cancelled.status == "cancelled"
    assert client.cancel_appointment(booking_id).status == "cancelled"
    assert {s.slot: s.available for s in client.appointment_slots("tax", day)}["10:00"] == before["10:00"]


def test_concurrent_bookings_never_overfill_a_slot(server: CentralServer, client: ApiClient) -> None:
    day = client.appointment_days("health")[2].day
    capacity = next(s.capacity for s in client.appointment_slots("health", day) if s.slot == "15:00")
    results: list[int] = []
    lock = threading.Lock()

    def book() -> None:
        with server.client() as own:
            try:
                own.book_appointment(str(uuid.uuid4()), "health", day, "15:00", applicant("retiree"))
                outcome = 201
            except ClientError as error:
                outcome = error.status or 0
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=book) for _ in range(capacity + 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [201] * capacity + [409] * 4
    assert next(s.available for s in client.appointment_slots("health", day) if s.slot == "15:00") == 0


def test_booking_a_day_that_is_not_offered_is_422(client: ApiClient) -> None:
    with pytest.raises(ClientError) as caught:
        client.book_appointment(str(uuid.uuid4()), "tax", "2020-01-06", "10:00", applicant("worker"))
    assert (caught.value.status, caught.value.slug) == (422, "day-not-bookable")


# -- cross-province, review, notifications ---------------------------------------------------------


def test_cross_province_application_is_forwarded_with_partner_reference(client: ApiClient) -> None:
    body = {
        "item_code": "411700-GJJ-0901",
        "applicant": applicant("qianjiang"),
        "form": {"withdrawal_amount": "52800.00", "bank_card_number": "6222020200112233445"},
        "partner_city": "潜江",
    }
    application_id = str(uuid.uuid4())
    decision = client.submit_application(application_id, body)
    assert decision.outcome == "forwarded"
    assert decision.partner_city == "qianjiang"
    assert decision.partner_reference and decision.partner_reference.startswith("QJ-")
    assert client.get_application(application_id).partner_reference == decision.partner_reference


def test_partner_city_must_handle_the_item(client: ApiClient) -> None:
    body = {
        "item_code": "411700-MZ-0901",
        "applicant": applicant("elder"),
        "form": CARD,
        "partner_city": "yueyang",
    }
    with pytest.raises(ClientError) as caught:
        client.submit_application(str(uuid.uuid4()), body)
    assert caught.value.slug == "partner-city-not-allowed"


def test_rejected_applicant_can_ask_for_human_review(client: ApiClient) -> None:
    application_id = str(uuid.uuid4())
    body = {"item_code": "411700-MZ-0901", "applicant": applicant("retiree"), "form": CARD}
    assert client.submit_application(application_id, body).outcome == "rejected"
    reviewed = client.request_human_review(application_id, "我的出生日期登记有误")
    assert reviewed.review_requested
    assert reviewed.raw["review"]["reason"] == "我的出生日期登记有误"
    assert (
        client.request_human_review(application_id, "again").raw["review"]["reason"] == "我的出生日期登记有误"
    )
    assert client.get_application(application_id).review_requested
    # The original answer is still what a repeat submission replays.
    assert client.submit_application(application_id, body).raw["review"] is None


def test_approved_application_cannot_be_sent_to_review(client: ApiClient) -> None:
    application_id = str(uuid.uuid4())
    body = {"item_code": "411700-MZ-0901", "applicant": applicant("elder"), "form": CARD}
    assert client.submit_application(application_id, body).outcome == "approved"
    with pytest.raises(ClientError) as caught:
        client.request_human_review(application_id, "why")
    assert (caught.value.status, caught.value.slug) == (409, "not-reviewable")


def test_another_kiosk_cannot_ask_for_review_of_an_application(
    server: CentralServer, client: ApiClient
) -> None:
    application_id = str(uuid.uuid4())
    body = {"item_code": "411700-MZ-0901", "applicant": applicant("retiree"), "form": CARD}
    assert client.submit_application(application_id, body).outcome == "rejected"
    other_secret = server.provision("kiosk-b")
    with server.client(kiosk_id="kiosk-b", secret=other_secret) as other:
        with pytest.raises(ClientError) as caught:
            other.request_human_review(application_id, "not my applicant")
        assert (caught.value.status, caught.value.slug) == (404, "not-found")
        # Reading the status at another kiosk still works (a receipt may be scanned anywhere).
        assert not other.get_application(application_id).review_requested
    assert not client.get_application(application_id).review_requested
    # The applicant's own kiosk can still file it, with its own reason.
    reviewed = client.request_human_review(application_id, "出生日期有误")
    assert reviewed.raw["review"]["reason"] == "出生日期有误"


def test_blank_review_reason_is_refused(client: ApiClient) -> None:
    application_id = str(uuid.uuid4())
    body = {"item_code": "411700-MZ-0901", "applicant": applicant("retiree"), "form": CARD}
    assert client.submit_application(application_id, body).outcome == "rejected"
    for blank in ("   ", "\t\n "):
        with pytest.raises(ClientError) as caught:
            client.request_human_review(application_id, blank)
        assert (caught.value.status, caught.value.slug) == (422, "invalid-request")
    assert not client.get_application(application_id).review_requested


def test_approval_sends_one_recorded_sms_with_a_masked_number(
    server: CentralServer, client: ApiClient
) -> None:
    application_id = str(uuid.uuid4())
    body = {
        "item_code": "411700-ZJ-0901",
        "applicant": applicant("company_rep"),
        "form": {
            "company_credit_code": demo_company_code(),
            "equipment_record_number": "豫Q-T2019-0031",
            "deregistration_reason": "scrapped",
        },
    }
    decision = client.submit_application(application_id, body)
    assert decision.outcome == "approved"
    deadline = time.monotonic() + 20
    while True:  # the notification outbox is sent in the background, moments after the decision
        notes = requests.get(
            server.base_url + "/v1/admin/notifications",
            params={"application_id": application_id},
            headers=server.admin_headers(),
            timeout=30,
        ).json()
        if (notes and notes[0]["sent"]) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(notes) == 1
    assert notes[0]["sent"] is True
    assert notes[0]["recipient"] == "138****0005"
    assert "建筑起重设备注销备案" in notes[0]["message"] and decision.certificate_ref in notes[0]["message"]


# -- fleet -----------------------------------------------------------------------------------------


def test_heartbeat_shows_in_the_admin_listing(server: CentralServer, client: ApiClient) -> None:
    ack = client.heartbeat(
        {
            "app_version": "0.1.0",
            "applied_config_version": 0,
            "outbox_ready": 2,
            "outbox_dead": 1,
            "devices": [{"name": "printer", "health": "online"}],
        }
    )
    assert abs(ack.clock_offset_s) < 60
    listing = requests.get(
        server.base_url + "/v1/admin/kiosks", headers=server.admin_headers(), timeout=30
    ).json()
    mine = next(k for k in listing if k["kiosk_id"] == server.kiosk_id)
    assert mine["online"] is True
    assert mine["outbox_dead"] == 1
    assert "dead_letters" in mine["alerts"]
    assert "config_lag" not in mine["alerts"]  # the demo has no configuration document


@pytest.mark.parametrize("number", [math.nan, math.inf], ids=["NaN", "Infinity"])
def test_heartbeat_with_a_non_finite_number_is_a_422_and_not_recorded(
    server: CentralServer, number: float
) -> None:
    from kiosk.api_client import KioskSigner

    kiosk_id = f"nonfinite-{uuid.uuid4().hex[:8]}"
    secret = server.provision(kiosk_id)
    beat = {"app_version": "0.1.0", "sent_at": datetime.now(UTC).isoformat(), "oldest_pending_age_s": number}
    response = requests.post(
        server.base_url + "/v1/heartbeats",
        data=json.dumps(beat).encode(),  # json.dumps writes NaN and Infinity as bare literals
        headers={"Content-Type": "application/json"},
        auth=KioskSigner(kiosk_id, secret),
        timeout=30,
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("invalid-request")
    assert [e["field"] for e in problem["errors"]] == ["body.oldest_pending_age_s"]
    listing = requests.get(
        server.base_url + "/v1/admin/kiosks", headers=server.admin_headers(), timeout=30
    ).json()
    mine = next(k for k in listing if k["kiosk_id"] == kiosk_id)
    assert mine["last_seen_at"] is None and mine["app_version"] is None
    assert "stale_queue" not in mine["alerts"]


def test_admin_endpoints_need_the_token(server: CentralServer) -> None:
    assert requests.get(server.base_url + "/v1/admin/kiosks", timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert requests.get(server.base_url + "/v1/admin/kiosks", headers=wrong, timeout=30).status_code == 401


# -- administrator-signed configuration ------------------------------------------------------------


@pytest.fixture
def fresh() -> Iterator[CentralServer]:
    """A service of its own: configuration versions are monotonic across the whole fleet."""
    with running_central() as running:
        yield running


def admin_key() -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return key, base64.b64encode(public).decode()


def document(key: Ed25519PrivateKey, version: Any, scope: dict[str, Any], **changes: Any) -> bytes:
    now = datetime.now(UTC).replace(microsecond=0)
    signed: dict[str, Any] = {
        "type": "kiosk-config",
        "schema_version": 1,
        "config_id": f"cfg-{version}",
        "version": version,
        "issued_at": now.isoformat(),
        "expires": (now + timedelta(days=30)).isoformat(),
        "scope": scope,
        "min_app_version": "0.1.0",
        "activation": {"at_idle": True, "not_before": None},
        "settings": {"session": {"idle_warning_s": 90}},
        "maintenance": {"pin_hashes": []},
    }
    signed.update(changes)
    return sign_document(signed, key)


def publish(server: CentralServer, raw: bytes, *, token: bool = True) -> requests.Response:
    return requests.put(
        server.base_url + "/v1/admin/config",
        data=raw,
        headers={**(server.admin_headers() if token else {}), "Content-Type": "application/json"},
        timeout=30,
    )


def stored_documents(server: CentralServer) -> int:
    db = Database(server.db_url)
    try:
        with db.read() as session:
            return int(session.execute(select(func.count()).select_from(ConfigDocumentRow)).scalar_one())
    finally:
        db.dispose()


def test_signed_documents_are_stored_and_served_verbatim_to_kiosks_in_scope(fresh: CentralServer) -> None:
    key, public = admin_key()
    key_id = fresh.register_config_key(public, "duty administrator")
    keys = requests.get(fresh.base_url + "/v1/config/keys", timeout=30).json()
    assert keys == [
        {"key_id": key_id, "algorithm": "ed25519", "public_key": public, "label": "duty administrator"}
    ]
    grouped_secret = fresh.provision("hall-a-kiosk", groups=["hall-a"])
    other_secret = fresh.provision("elsewhere-kiosk")
    with (
        fresh.client() as mine,
        fresh.client(kiosk_id="hall-a-kiosk", secret=grouped_secret) as grouped,
        fresh.client(kiosk_id="elsewhere-kiosk", secret=other_secret) as other,
    ):
        with pytest.raises(ClientError) as none_yet:
            mine.fetch_config(None)
        assert none_yet.value.status == 404
        assert mine.heartbeat({"app_version": "0.1.0"}).latest_config_version is None

        fleet_doc = document(key, 1, {"fleet": True})
        answer = publish(fresh, fleet_doc)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "config_id": "cfg-1",
            "version": 1,
            "scope": {"fleet": True},
            "key_id": key_id,
        }
        served = mine.fetch_config(None)
        assert served is not None and served.content == fleet_doc  # byte for byte
        assert mine.fetch_config(served.etag) is None  # 304

        kiosk_doc = document(key, 2, {"kiosk": "elsewhere-kiosk"})
        group_doc = document(key, 3, {"group": "hall-a"})
        assert publish(fresh, kiosk_doc).status_code == 200
        assert publish(fresh, group_doc).status_code == 200
        assert mine.fetch_config(served.etag) is None  # neither is for this kiosk
        other_served = other.fetch_config(None)
        grouped_served = grouped.fetch_config(None)
        assert other_served is not None and other_served.content == kiosk_doc
        assert grouped_served is not None and grouped_served.content == group_doc

        assert (
            mine.heartbeat({"app_version": "0.1.0", "applied_config_version": 0}).latest_config_version == 1
        )
        assert grouped.heartbeat({"app_version": "0.1.0"}).latest_config_version == 3
        assert other.heartbeat({"app_version": "0.1.0"}).latest_config_version == 2
    listing = requests.get(
        fresh.base_url + "/v1/admin/kiosks", headers=fresh.admin_headers(), timeout=30
    ).json()
    assert "config_lag" in next(k for k in listing if k["kiosk_id"] == fresh.kiosk_id)["alerts"]


def test_refused_documents_leave_nothing_stored(fresh: CentralServer) -> None:
    key, public = admin_key()
    fresh.register_config_key(public)
    unregistered, _ = admin_key()
    good = document(key, 5, {"fleet": True})
    assert publish(fresh, good).status_code == 200

    envelope = json.loads(document(key, 6, {"fleet": True}))
    envelope["payload"] = base64.b64encode(
        base64.b64decode(envelope["payload"]).replace(b"90", b"15")
    ).decode()
    tampered = json.dumps(envelope).encode()
    refused = {
        "unregistered key": (document(unregistered, 6, {"fleet": True}), 422, "unknown-config-key"),
        "bad signature": (tampered, 422, "bad-config-signature"),
        "not json": (b"{not json", 422, "malformed-config"),
        "missing signature": (json.dumps({**envelope, "signature": None}).encode(), 422, "malformed-config"),
        "stale version": (document(key, 5, {"fleet": True}, config_id="again"), 409, "stale-config-version"),
        "older version": (document(key, 4, {"fleet": True}), 409, "stale-config-version"),
        "version zero": (document(key, 0, {"fleet": True}), 422, "invalid-config-version"),
        "version text": (document(key, "7", {"fleet": True}), 422, "invalid-config-version"),
        "version bool": (document(key, True, {"fleet": True}), 422, "invalid-config-version"),
        "version fraction": (document(key, 6.5, {"fleet": True}), 422, "invalid-config-version"),
        # Above the 32-bit column of PostgreSQL; at SQLite's limit no later version could follow.
        "version 2^31": (document(key, 2**31, {"fleet": True}), 422, "invalid-config-version"),
        "version 2^63-1": (document(key, 2**63 - 1, {"fleet": True}), 422, "invalid-config-version"),
        "version 2^63": (document(key, 2**63, {"fleet": True}), 422, "invalid-config-version"),
        "two scopes": (document(key, 8, {"fleet": True, "kiosk": "x"}), 422, "invalid-config-scope"),
        "fleet false": (document(key, 8, {"fleet": False}), 422, "invalid-config-scope"),
        "bad group": (document(key, 8, {"group": "a b"}), 422, "invalid-config-scope"),
        "wrong type": (document(key, 8, {"fleet": True}, type="firmware"), 422, "malformed-config"),
    }
    for case, (raw, status, slug) in refused.items():
        answer = publish(fresh, raw)
        assert answer.status_code == status, (case, answer.text)
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.json()["type"].endswith(":" + slug), case
    assert publish(fresh, document(key, 9, {"fleet": True}), token=False).status_code == 401
    assert stored_documents(fresh) == 1
    with fresh.client() as client:
        served = client.fetch_config(None)
        assert served is not None and served.content == good
        assert client.heartbeat({"app_version": "0.1.0"}).latest_config_version == 5


def test_refused_config_rejection_shows_in_the_fleet_listing(fresh: CentralServer) -> None:
    with fresh.client() as client:
        client.heartbeat({"app_version": "0.1.0", "config_rejection": "unknown_key"})
    listing = requests.get(
        fresh.base_url + "/v1/admin/kiosks", headers=fresh.admin_headers(), timeout=30
    ).json()
    mine = next(k for k in listing if k["kiosk_id"] == fresh.kiosk_id)
    assert mine["config_rejection"] == "unknown_key" and "config_rejected" in mine["alerts"]


def test_publishing_on_postgresql_keeps_versions_monotonic() -> None:
    from tests.support.central import PostgresUnavailable, start_postgres

    try:
        cluster = start_postgres()
    except PostgresUnavailable as error:
        pytest.skip(f"PostgreSQL tests skipped: {error}")
    try:
        with running_central(db_url=cluster.new_database()) as server:
            key, public = admin_key()
            server.register_config_key(public)
            racing = [document(key, 2, {"fleet": True}, config_id=f"race-{n}") for n in range(6)]
            answers: list[int] = []
            threads = [
                threading.Thread(target=lambda raw=raw: answers.append(publish(server, raw).status_code))
                for raw in racing
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert sorted(answers) == [200, 409, 409, 409, 409, 409]  # one of the simultaneous publishes wins
            assert stored_documents(server) == 1
            with server.client() as client:
                served = client.fetch_config(None)
                assert served is not None and served.content in racing
            # The INTEGER column's range: one above it is refused, not a 500; its top still fits.
            too_large = publish(server, document(key, 2**31, {"fleet": True}))
            assert (too_large.status_code, too_large.json()["type"]) == (
                422,
                "urn:civic-kiosk:problem:invalid-config-version",
            )
            assert stored_documents(server) == 1
            top = publish(server, document(key, 2**31 - 1, {"fleet": True}, config_id="top"))
            assert top.status_code == 200, top.text
            assert stored_documents(server) == 2
    finally:
        cluster.stop()
