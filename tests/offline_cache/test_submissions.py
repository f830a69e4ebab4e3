"""The citizen flows' applications against the real reference central service on 127.0.0.1."""

from __future__ import annotations

import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.api_client import Decision
from kiosk.config import KioskConfig
from kiosk.events import (
    ApplicationDidQueue,
    ApplicationDidSave,
    ApplicationDidSubmit,
    ConnectivityDidChange,
    Event,
    TechnicianAlertDidRaise,
)
from kiosk.submissions import ApiTransport, Queued, SaveFailed, Submissions
from offline_cache.outbox import Outbox, State
from offline_cache.sealing import Sealer
from offline_cache.sync import AUTH_PROBLEM, Relay, RetryPolicy
from tests.support.central import CentralServer, applicant, person, running_central

FUND_RETIREMENT = "411700-GJJ-0901"
NO_WAIT = RetryPolicy(base_s=0.01, cap_s=0.02, reconnect_spread_s=0.0)


@pytest.fixture(scope="module")
def server() -> Iterator[CentralServer]:
    with running_central() as running:
        yield running


def form(amount: str = "5000.00") -> dict[str, str]:
    return {"withdrawal_amount": amount, "bank_card_number": "6222020200112233445"}


def server_copies(server: CentralServer, application_id: str) -> int:
    path = server.db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        return int(
            conn.execute(
                "SELECT COUNT(*) FROM applications WHERE kiosk_id = ? AND application_id = ?",
                (server.kiosk_id, application_id),
            ).fetchone()[0]
        )


def make_config(tmp_path: Path, server: CentralServer, **outbox: object) -> KioskConfig:
    return KioskConfig.model_validate(
        {
            "kiosk": {"id": server.kiosk_id},
            "api": {"base_url": server.base_url},
            "storage": {"state_dir": str(tmp_path / "state")},
            "outbox": outbox,
        }
    )


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def submissions(tmp_path: Path, server: CentralServer, events: list[Event]) -> Iterator[Submissions]:
    with server.client(read_timeout=10.0) as client:
        subs = Submissions.from_config(
            make_config(tmp_path, server), client, publish=events.append, policy=NO_WAIT
        )
        yield subs
        subs.close()


def test_save_then_submit_now_gives_the_decision_and_keeps_it(
    submissions: Submissions, server: CentralServer, events: list[Event], tmp_path: Path
) -> None:
    saved = submissions.save(FUND_RETIREMENT, applicant(), form(), None)
    assert submissions.outbox.info(saved.application_id).state is State.READY
    decision = submissions.submit_now(saved.application_id)
    assert isinstance(decision, Decision)
    assert decision.application_id == saved.application_id and decision.outcome == "approved"
    assert decision.rule_set_version and decision.conditions
    assert submissions.is_online
    # Later (e.g. the receipt's QR code scanned at the kiosk) the stored decision is shown.
    again = submissions.decision_for(saved.application_id)
    assert (
        again is not None
        and again.outcome == "approved"
        and again.certificate_ref == decision.certificate_ref
    )
    assert submissions.submit_now(saved.application_id).outcome == "approved"  # no second delivery
    assert server_copies(server, saved.application_id) == 1
    kinds = [type(e) for e in events]
    assert kinds == [ApplicationDidSave, ConnectivityDidChange, ApplicationDidSubmit]
    key = tmp_path / "state" / "device.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_offline_save_is_queued_and_the_relay_delivers_it_exactly_once_later(
    submissions: Submissions, server: CentralServer, events: list[Event]
) -> None:
    server.stop()
    try:
        saved = submissions.save(FUND_RETIREMENT, applicant(), form("1200.00"), None)
        queued = submissions.submit_now(saved.application_id)
        assert queued == Queued(saved.application_id, "offline")
        assert not submissions.is_online
        assert submissions.decision_for(saved.application_id) is None
        assert ApplicationDidQueue(saved.application_id) in events
    finally:
        server.start()
    info = submissions.outbox.info(saved.application_id)
    assert info.attempts == 1 and info.state is State.READY
    time.sleep(NO_WAIT.cap_s * 2)  # the backoff (capped very short here) has passed
    results = submissions.relay.run_once()
    assert [r.application_id for r in results] == [saved.application_id]
    decision = submissions.decision_for(saved.application_id)
    assert decision is not None and decision.outcome == "approved"
    assert submissions.is_online
    assert server_copies(server, saved.application_id) == 1


def test_rejected_input_is_dead_lettered_for_staff(submissions: Submissions, server: CentralServer) -> None:
    bad = applicant() | {"id_number": "110101199003070010"}  # wrong check digit
    saved = submissions.save(FUND_RETIREMENT, bad, form(), None)
    assert submissions.submit_now(saved.application_id) == Queued(saved.application_id, "needs_staff")
    info = submissions.outbox.info(saved.application_id)
    assert info.state is State.DEAD and info.last_status == 422
    assert submissions.submit_now(saved.application_id) == Queued(saved.application_id, "needs_staff")
    assert server_copies(server, saved.application_id) == 0


def test_wrong_credential_is_reported_and_the_application_kept(tmp_path: Path, server: CentralServer) -> None:
    events: list[Event] = []
    with server.client(secret=b"not-the-secret") as client:
        subs = Submissions.from_config(
            make_config(tmp_path, server), client, publish=events.append, policy=NO_WAIT
        )
        try:
            saved = subs.save(FUND_RETIREMENT, applicant(), form(), None)
            result = subs.submit_now(saved.application_id)
            assert isinstance(result, Queued) and result.reason == "server_busy"
            assert subs.outbox.status().last_problem == AUTH_PROBLEM
            assert TechnicianAlertDidRaise(code="central_auth", detail=AUTH_PROBLEM) in events
            assert subs.outbox.info(saved.application_id).state is State.READY
        finally:
            subs.close()


def test_full_storage_is_a_citizen_safe_error_with_nothing_written(submissions: Submissions) -> None:
    conn = submissions.outbox._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    before = submissions.outbox.status().counts
    with pytest.raises(SaveFailed) as caught:
        submissions.save(FUND_RETIREMENT, applicant(), form("9" * 30000), None)
    assert caught.value.reason == "disk_full"
    assert "ask staff" in str(caught.value)
    assert person("retiree").id_number not in str(caught.value)
    assert submissions.outbox.status().counts == before


def test_corrupt_outbox_raises_a_technician_alert_and_keeps_working(
    tmp_path: Path, server: CentralServer
) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "outbox.db").write_bytes(b"this is not a database" * 300)
    events: list[Event] = []
    with server.client() as client:
        subs = Submissions.from_config(
            make_config(tmp_path, server), client, publish=events.append, policy=NO_WAIT
        )
        try:
            alerts = [e for e in events if isinstance(e, TechnicianAlertDidRaise)]
            assert [a.code for a in alerts] == ["outbox_corrupt"]
            saved = subs.save(FUND_RETIREMENT, applicant(), form(), None)
            assert isinstance(subs.submit_now(saved.application_id), Decision)
        finally:
            subs.close()
    assert any(".corrupt-" in p.name for p in state.iterdir())


def test_device_key_from_a_systemd_credential(tmp_path: Path, server: CentralServer, monkeypatch) -> None:
    credentials = tmp_path / "creds"
    credentials.mkdir()
    (credentials / "outbox-key").write_bytes(bytes(range(32)))
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    config = make_config(tmp_path, server, device_key="systemd-creds:outbox-key")
    with server.client() as client:
        subs = Submissions.from_config(config, client, policy=NO_WAIT)
        subs.save(FUND_RETIREMENT, applicant(), form(), None)
        subs.close()
    assert not (tmp_path / "state" / "device.key").exists()
    (credentials / "outbox-key").unlink()
    with server.client() as client, pytest.raises(Exception, match="device key not found"):
        Submissions.from_config(config, client, policy=NO_WAIT)


def test_a_damaged_stored_decision_is_not_shown(submissions: Submissions) -> None:
    saved = submissions.save(FUND_RETIREMENT, applicant(), form(), None)
    assert isinstance(submissions.submit_now(saved.application_id), Decision)
    conn = submissions.outbox._conn
    blob = conn.execute("SELECT decision FROM delivered").fetchone()[0]
    conn.execute("UPDATE delivered SET decision = ?", (blob[:-1] + bytes([blob[-1] ^ 1]),))
    assert submissions.decision_for(saved.application_id) is None  # the flow asks the service instead


class GatedTransport:
    """The kiosk's own transport; the first delivery waits at a gate until ``gate`` is set."""

    def __init__(self, inner: ApiTransport) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.calls = 0

    def deliver(self, key: str, payload: bytes) -> bytes:
        self.calls += 1
        if self.calls == 1:
            self.entered.set()
            self.gate.wait(10)
        return self.inner.deliver(key, payload)


def test_the_citizen_gets_the_decision_when_the_relay_took_the_application_first(
    tmp_path: Path, server: CentralServer, events: list[Event]
) -> None:
    with server.client(read_timeout=10.0) as client:
        outbox = Outbox(tmp_path / "outbox.db", Sealer(bytes(range(32)), rotation_seconds=86400.0))
        transport = GatedTransport(ApiTransport(client))
        relay = Relay(outbox, transport, policy=NO_WAIT)

        def sleep(seconds: float) -> None:
            # The citizen's attempt is now waiting on the relay's: let the relay's attempt finish.
            transport.gate.set()
            time.sleep(seconds)

        subs = Submissions(outbox, relay, publish=events.append, sleep=sleep)
        try:
            saved = subs.save(FUND_RETIREMENT, applicant(), form(), None)
            racing = threading.Thread(target=relay.run_once)  # the relay's pass takes the fresh row
            racing.start()
            assert transport.entered.wait(10)
            result = subs.submit_now(saved.application_id)
            transport.gate.set()
            racing.join(10)
            assert isinstance(result, Decision)  # not "queued, result by SMS"
            assert result.application_id == saved.application_id and result.outcome == "approved"
            assert ApplicationDidSubmit(saved.application_id, "approved") in events
            assert ApplicationDidQueue(saved.application_id) not in events
            assert transport.calls == 1 and server_copies(server, saved.application_id) == 1
        finally:
            transport.gate.set()
            subs.close()
