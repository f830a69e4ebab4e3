"""Submitting applications to the running service through the kiosk's client."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from datetime import timedelta, timezone

import pytest
import requests

from kiosk.api_client import ApiClient, ClientError, Decision
from tests.support.central import (
    CentralServer,
    demo_company_code,
    other_company_code,
    person,
    running_central,
    stored_counts,
)

FUND_RETIREMENT = "411700-GJJ-0901"
CHINA = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def server() -> Iterator[CentralServer]:
    with running_central() as running:
        yield running


@pytest.fixture
def fresh_server() -> Iterator[CentralServer]:
    """A service of its own, for tests that use up a citizen's entitlement."""
    with running_central() as running:
        yield running


@pytest.fixture
def client(server: CentralServer) -> Iterator[ApiClient]:
    with server.client() as api:
        yield api


def post_raw_application(server: CentralServer, raw: bytes) -> tuple[str, requests.Response]:
    """Submit exactly these JSON bytes, signed like a kiosk, under a new key: (key, answer)."""
    from kiosk.api_client import KioskSigner

    application_id = str(uuid.uuid4())
    response = requests.post(
        server.base_url + "/v1/applications",
        data=raw,
        headers={"Idempotency-Key": application_id, "Content-Type": "application/json"},
        auth=KioskSigner(server.kiosk_id, server.secret),
        timeout=30,
    )
    return application_id, response


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
    assert decision.rule_set_version == "2026.3"
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

    form: dict[str, object] = {"withdrawal_amount": "5000.00", "bank_card_number": "6222020200112233445"}
    body = {**retirement_withdrawal(), "form": {**form, key: number}}
    # json.dumps writes NaN and Infinity as bare literals, which Python's json (the service's) reads.
    raw = json.dumps(body).encode()
    application_id, response = post_raw_application(server, raw)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("invalid-request")  # refused by the schema, before the form check
    assert all(e["field"].startswith(f"body.form.{key}") for e in problem["errors"])
    assert stored_counts(server.db_url, application_id) == (0, 0)


def test_form_key_with_a_lone_surrogate_is_a_422_problem_and_nothing_is_stored(server: CentralServer) -> None:

    form = {"\ud800x": "1", "withdrawal_amount": "5000.00", "bank_card_number": "6222020200112233445"}
    # The JSON escape of half a surrogate pair: valid JSON text, but no character UTF-8 can encode.
    raw = json.dumps({**retirement_withdrawal(), "form": form}).encode()
    assert b'"\\ud800x"' in raw
    application_id, response = post_raw_application(server, raw)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("invalid-application")
    assert [e["field"] for e in problem["errors"]] == ["?x"]  # the unencodable half replaced
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
            # Small amounts: all 30 fit in the balance (earlier approvals count against it).
            body = retirement_withdrawal(amount="100.00")
            outcome = client.submit_application(str(uuid.uuid4()), body).outcome
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == ["approved"] * 30


# -- earlier decisions count: an entitlement is paid out once ---------------------------------------


def refused(decision: Decision) -> list[str]:
    return [c.id for c in decision.conditions if not c.passed and not c.skipped]


def china_day(decision: Decision) -> str:
    assert decision.decided_at is not None
    return decision.decided_at.astimezone(CHINA).date().isoformat()


def test_the_balance_is_paid_out_once_whatever_the_key(fresh_server: CentralServer) -> None:
    with fresh_server.client() as client:
        first_id = str(uuid.uuid4())
        first = client.submit_application(first_id, retirement_withdrawal(amount="86500.00"))
        assert first.outcome == "approved"
        for _ in range(2):  # the full balance again, under new keys: nothing left to pay
            again = client.submit_application(str(uuid.uuid4()), retirement_withdrawal(amount="86500.00"))
            assert again.outcome == "rejected"
            assert refused(again) == ["amount_within_balance"]
            reason = next(c for c in again.conditions if c.id == "amount_within_balance")
            assert "86500.00" in reason.reason_zh and "86500.00" in reason.reason_en
        assert client.submit_application(str(uuid.uuid4()), retirement_withdrawal(amount="0.01")).outcome == (
            "rejected"
        )
        # The first application's own key still replays its approval.
        assert client.submit_application(first_id, retirement_withdrawal(amount="86500.00")).raw == first.raw
        assert client.get_application(first_id).outcome == "approved"
        # Another citizen's account is untouched by the retiree's withdrawals; an amount awaiting
        # staff review is held against the balance too.
        frozen = retirement_withdrawal("frozen", "61200.00")
        pending = client.submit_application(str(uuid.uuid4()), frozen)
        assert (pending.outcome, refused(pending)) == ("manual_review", ["account_normal"])
        more = client.submit_application(str(uuid.uuid4()), retirement_withdrawal("frozen", "0.01"))
        assert refused(more) == ["account_normal", "amount_within_balance"]
        assert more.outcome == "rejected"


def test_one_off_items_are_approved_once(fresh_server: CentralServer) -> None:
    elder = person("elder")
    allowance = {
        "item_code": "411700-MZ-0901",
        "applicant": {"name": elder.name, "id_number": elder.id_number, "phone": elder.phone},
        "form": {"bank_card_number": "6222020200112233445"},
    }
    with fresh_server.client() as client:
        first_id = str(uuid.uuid4())
        first = client.submit_application(first_id, allowance)
        assert first.outcome == "approved"
        second = client.submit_application(str(uuid.uuid4()), allowance)
        assert second.outcome == "rejected"
        assert refused(second) == ["not_already_approved"]
        reason = next(c for c in second.conditions if c.id == "not_already_approved")
        assert f"already approved on {china_day(first)}" in reason.reason_en
        assert china_day(first) in reason.reason_zh
        assert client.submit_application(first_id, allowance).raw == first.raw

        def deregistration(who: str, company: str, equipment: str) -> dict[str, object]:
            citizen = person(who)
            return {
                "item_code": "411700-ZJ-0901",
                "applicant": {"name": citizen.name, "id_number": citizen.id_number, "phone": citizen.phone},
                "form": {
                    "company_credit_code": company,
                    "equipment_record_number": equipment,
                    "deregistration_reason": "scrapped",
                },
            }

        crane = deregistration("company_rep", demo_company_code(), "豫Q-T2019-0031")
        assert client.submit_application(str(uuid.uuid4()), crane).outcome == "approved"
        repeat = client.submit_application(str(uuid.uuid4()), crane)
        assert (repeat.outcome, refused(repeat)) == ("rejected", ["not_already_approved"])
        # Another company's agent deregistering its own crane is not affected.
        other = deregistration("worker", other_company_code(), "豫Q-T2021-0240")
        assert client.submit_application(str(uuid.uuid4()), other).outcome == "approved"


def test_approvals_stored_before_the_upgrade_count_too(fresh_server: CentralServer) -> None:
    import sqlite3

    elder = person("elder")
    allowance = {
        "item_code": "411700-MZ-0901",
        "applicant": {"name": elder.name, "id_number": elder.id_number, "phone": elder.phone},
        "form": {"bank_card_number": "6222020200112233445"},
    }
    with fresh_server.client() as client:
        first = client.submit_application(str(uuid.uuid4()), allowance)
    assert first.outcome == "approved"
    # Back to the schema before applications were keyed by applicant: the approval is only in the
    # stored request. The service upgrades the database when it starts again.
    fresh_server.stop()
    path = fresh_server.db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as old:
        old.execute("DROP INDEX ix_applications_applicant_item")
        old.execute("ALTER TABLE applications DROP COLUMN applicant_sha256")
        old.execute("DELETE FROM schema_migrations WHERE version = 3")
    old.close()
    fresh_server.start()
    with fresh_server.client() as client:
        second = client.submit_application(str(uuid.uuid4()), allowance)
    assert (second.outcome, refused(second)) == ("rejected", ["not_already_approved"])
    assert f"already approved on {china_day(first)}" in second.conditions[-1].reason_en
