"""Submitting applications to the running service through the kiosk's client."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator

import pytest
import requests

from kiosk.api_client import ApiClient, ClientError
from tests.support.central import CentralServer, person, running_central, stored_counts

FUND_RETIREMENT = "411700-GJJ-0901"


@pytest.fixture(scope="module")
def server() -> Iterator[CentralServer]:
    with running_central() as running:
        yield running


@pytest.fixture
def client(server: CentralServer) -> Iterator[ApiClient]:
    with server.client() as api:
        yield api


def retirement_withdrawal(key: str = "retiree", amount: str = "5000.00") -> dict[str, object]:
    citizen = person(key)
    return {
        "item_code": FUND_RETIREMENT,
        "applicant": {"name": citizen.name, "id_number": citizen.id_number, "phone": citizen.phone},
        "form": {"withdrawal_amount": amount, "bank_card_number": "6222020200112233445"},
    }


def test_instant_item_is_approved_with_certificate_and_conditions(client: ApiClient) -> None:
    application_id = str(uuid.uuid4())
    decision = client.submit_application(application_id, retirement_withdrawal())
    assert decision.application_id == application_id
    assert decision.outcome == "approved"
    assert decision.rule_set_version == "2026.2"
    assert decision.certificate_ref
    assert decision.conditions and all(c.passed for c in decision.conditions)
    assert decision.tracking_code == f"cityapp:track:v1:{application_id}"


def test_repeat_replays_the_stored_decision(client: ApiClient) -> None:
    application_id = str(uuid.uuid4())
    first = client.submit_application(application_id, retirement_withdrawal())
    again = client.submit_application(application_id, retirement_withdrawal())
    assert again.raw == first.raw
    assert client.get_application(application_id).raw == first.raw


def test_status_of_an_application(client: ApiClient) -> None:
    application_id = str(uuid.uuid4())
    decision = client.submit_application(application_id, retirement_withdrawal("worker"))
    status = client.get_application(application_id)
    assert status.outcome == decision.outcome == "rejected"
    failed = [c.id for c in status.conditions if not c.passed]
    assert failed == ["applicant_retired"]


def test_reused_key_with_another_payload_is_422(client: ApiClient) -> None:
    application_id = str(uuid.uuid4())
    client.submit_application(application_id, retirement_withdrawal(amount="100.00"))
    with pytest.raises(ClientError) as caught:
        client.submit_application(application_id, retirement_withdrawal(amount="200.00"))
    assert caught.value.status == 422
    assert caught.value.slug == "idempotency-key-reused"


def test_missing_idempotency_key_is_400(server: CentralServer) -> None:
    from kiosk.api_client import KioskSigner

    response = requests.post(
        server.base_url + "/v1/applications",
        json=retirement_withdrawal(),
        auth=KioskSigner(server.kiosk_id, server.secret),
        timeout=30,
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("idempotency-key-missing")


def test_unknown_application_is_404(client: ApiClient) -> None:
    with pytest.raises(ClientError) as caught:
        client.get_application(str(uuid.uuid4()))
    assert caught.value.status == 404


def test_invalid_form_is_422_with_field_errors_and_nothing_stored(client: ApiClient) -> None:
    application_id = str(uuid.uuid4())
    body = retirement_withdrawal(amount="lots")
    with pytest.raises(ClientError) as caught:
        client.submit_application(application_id, body)
    assert caught.value.status == 422
    assert [e["field"] for e in caught.value.problem["errors"]] == ["withdrawal_amount"]
    with pytest.raises(ClientError):
        client.get_application(application_id)
    # Corrected, the same id goes through.
    assert client.submit_application(application_id, retirement_withdrawal()).outcome == "approved"


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf], ids=["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("key", ["withdrawal_amount", "applicant_name"])
def test_non_finite_numbers_are_a_422_and_nothing_is_stored(
    server: CentralServer, key: str, number: float
) -> None:
    from kiosk.api_client import KioskSigner

    form: dict[str, object] = {"withdrawal_amount": "5000.00", "bank_card_number": "6222020200112233445"}
    body = {**retirement_withdrawal(), "form": {**form, key: number}}
    # json.dumps writes NaN and Infinity as bare literals, which Python's json (the service's) reads.
    raw = json.dumps(body).encode()
    application_id = str(uuid.uuid4())
    response = requests.post(
        server.base_url + "/v1/applications",
        data=raw,
        headers={"Idempotency-Key": application_id, "Content-Type": "application/json"},
        auth=KioskSigner(server.kiosk_id, server.secret),
        timeout=30,
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("invalid-request")  # refused by the schema, before the form check
    assert all(e["field"].startswith(f"body.form.{key}") for e in problem["errors"])
    assert stored_counts(server.db_url, application_id) == (0, 0)


def test_ordinary_item_goes_to_staff_review(client: ApiClient) -> None:
    citizen = person("worker")
    body = {
        "item_code": "411700-GA-0012",
        "applicant": {"name": citizen.name, "id_number": citizen.id_number, "phone": citizen.phone},
        "form": {},
    }
    decision = client.submit_application(str(uuid.uuid4()), body)
    assert decision.outcome == "manual_review"
    assert decision.acceptance_number and decision.certificate_ref is None


def test_oversized_body_is_refused_with_413(server: CentralServer) -> None:
    from kiosk.api_client import KioskSigner

    huge = retirement_withdrawal()
    huge["form"] = {"description": "x" * 400_000}
    response = requests.post(
        server.base_url + "/v1/applications",
        json=huge,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        auth=KioskSigner(server.kiosk_id, server.secret),
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json()["type"].endswith("payload-too-large")


def test_oversized_chunked_body_is_refused_with_413(server: CentralServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 8192

    response = requests.post(
        server.base_url + "/v1/heartbeats",
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413


def test_one_client_shared_by_several_threads(client: ApiClient) -> None:
    import threading

    outcomes: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(5):
            outcome = client.submit_application(str(uuid.uuid4()), retirement_withdrawal()).outcome
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == ["approved"] * 30
