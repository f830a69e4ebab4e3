"""Identity codes, queries, appointments, cross-province forwarding, human review and the fleet
endpoints, through the kiosk's client against the running service."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.api_client import ApiClient, ClientError
from tests.support.central import (
    EXPIRED_IDENTITY_TOKEN,
    CentralServer,
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


def applicant(key: str) -> dict[str, str]:
    citizen = person(key)
    return {"name": citizen.name, "id_number": citizen.id_number, "phone": citizen.phone}


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
    assert "dead_letters" in mine["alerts"] and "config_lag" in mine["alerts"]


def test_admin_endpoints_need_the_token(server: CentralServer) -> None:
    assert requests.get(server.base_url + "/v1/admin/kiosks", timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert requests.get(server.base_url + "/v1/admin/kiosks", headers=wrong, timeout=30).status_code == 401


def test_signed_config_verifies_and_changes_version_on_update(
    server: CentralServer, client: ApiClient
) -> None:
    keys = requests.get(server.base_url + "/v1/config/keys", timeout=30).json()
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(keys[0]["public_key"]))
    document = client.fetch_config(None)
    assert document is not None and document.key_id == keys[0]["key_id"]
    public.verify(document.signature, document.payload)  # raises when the signature is wrong
    payload = json.loads(document.payload)
    assert payload["scope"] == {"kind": "kiosk", "kiosk_id": server.kiosk_id}
    assert client.fetch_config(document.etag) is None
    response = requests.put(
        server.base_url + "/v1/admin/config",
        json={"scope": "kiosk", "kiosk_id": server.kiosk_id, "settings": {"elder_mode": True}},
        headers=server.admin_headers(),
        timeout=30,
    )
    assert response.status_code == 200
    updated = client.fetch_config(document.etag)
    assert updated is not None
    public.verify(updated.signature, updated.payload)
    new_payload = json.loads(updated.payload)
    assert new_payload["version"] > payload["version"]
    assert new_payload["settings"]["elder_mode"] is True
    assert new_payload["settings"]["language"] == "zh_CN"  # fleet settings still apply


def test_config_settings_are_range_checked(server: CentralServer) -> None:
    response = requests.put(
        server.base_url + "/v1/admin/config",
        json={"scope": "fleet", "settings": {"idle_warning_s": 1}},
        headers=server.admin_headers(),
        timeout=30,
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
