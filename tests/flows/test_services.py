"""The flows over the real pieces: the reference central service on 127.0.0.1 and the outbox on SQLite."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config import KioskConfig
from kiosk.flows.services import ApiServices, OutboxApplications
from kiosk.identity import Identity
from kiosk.submissions import Submissions
from offline_cache.outbox import State
from offline_cache.sync import RetryPolicy
from tests.support.central import CentralServer, applicant, person, running_central
from tests.support.fakes import make_journey

FUND_RETIREMENT = "411700-GJJ-0901"


@pytest.fixture(scope="module")
def server() -> Iterator[CentralServer]:
    with running_central() as running:
        yield running


def test_a_time_booked_full_meanwhile_brings_the_citizen_back_to_the_times(server: CentralServer) -> None:
    retiree = person("retiree")
    identity = Identity(name=retiree.name, id_number=retiree.id_number, source="card")
    with server.client(read_timeout=10.0) as client, server.client(read_timeout=10.0) as other_kiosk:
        journey = make_journey(services=ApiServices(client))
        journey.act("start")
        journey.act("item", "HALL-APPOINTMENT")
        journey.act("begin")
        journey.act("choose", "tax")
        day = next(c for c in journey.state.choices if c.available)
        journey.act("choose", day.code)
        assert journey.state.step == "slot"
        # Between the list and the booking, the last places of 11:00 go elsewhere.
        left = next(s.available for s in other_kiosk.appointment_slots("tax", day.code) if s.slot == "11:00")
        for _ in range(left):
            other_kiosk.book_appointment(str(uuid.uuid4()), "tax", day.code, "11:00", applicant("worker"))
        journey.act("choose", "11:00")
        journey.card_read(identity)

        state = journey.state
        assert state.step == "slot" and state.notice_key == "error.slot_full"
        assert state.zone.code == "tax" and state.day == day and state.identity == identity
        assert {c.code: c.available for c in state.choices}["11:00"] is False  # fetched again
        journey.act("choose", "11:30")
        ticket = journey.state.ticket
        assert journey.state.step == "ticket" and ticket is not None and ticket.slot.code == "11:30"
        # The booking id was the Idempotency-Key: asking again returns the same ticket, no second one.
        again = client.book_appointment(ticket.booking_id, "tax", day.code, "11:30", identity.applicant())
        assert again.ticket_number == ticket.number


@pytest.fixture
def outbox_and_applications(
    tmp_path: Path, server: CentralServer
) -> Iterator[tuple[Submissions, OutboxApplications]]:
    config = KioskConfig.model_validate(
        {
            "kiosk": {"id": server.kiosk_id},
            "api": {"base_url": server.base_url},
            "storage": {"state_dir": str(tmp_path / "state")},
        }
    )
    with server.client(read_timeout=10.0) as client:
        policy = RetryPolicy(base_s=0.01, cap_s=0.02, reconnect_spread_s=0.0)
        submissions = Submissions.from_config(config, client, policy=policy)
        yield submissions, OutboxApplications(submissions, client)
        submissions.close()


def test_an_application_the_service_refuses_is_not_reported_as_sent_later(
    outbox_and_applications: tuple[Submissions, OutboxApplications],
) -> None:
    submissions, applications = outbox_and_applications
    refused = applicant() | {"id_number": "110101199003070010"}  # wrong check digit: a 422
    form = {"withdrawal_amount": "5000.00", "bank_card_number": "6222020200112243445"}
    outcome = applications.save_and_submit(FUND_RETIREMENT, refused, form, None)
    assert outcome.kind == "needs_staff"
    info = submissions.outbox.info(outcome.application_id)
    assert info is not None and info.state is State.DEAD  # it will never be sent by itself


def test_an_application_saved_while_the_service_is_down_is_sent_later(
    outbox_and_applications: tuple[Submissions, OutboxApplications], server: CentralServer
) -> None:
    _, applications = outbox_and_applications
    form = {"withdrawal_amount": "1200.00", "bank_card_number": "6222020200112243445"}
    server.stop()
    try:
        outcome = applications.save_and_submit(FUND_RETIREMENT, applicant(), form, None)
    finally:
        server.start()
    assert outcome.kind == "queued"
