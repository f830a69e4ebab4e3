"""The relay against a real HTTP server on 127.0.0.1 that injects faults, with a fake clock."""

from __future__ import annotations

import json
import random

import pytest

from offline_cache.ids import new_application_id
from offline_cache.outbox import Outbox, State
from offline_cache.sync import (
    AUTH_PROBLEM,
    AttemptStatus,
    Connectivity,
    Relay,
    RetryPolicy,
    Verdict,
    classify,
)

PAYLOAD = json.dumps({"item_code": "demo-item"}).encode()
POLICY = RetryPolicy(base_s=2.0, cap_s=900.0, reconnect_spread_s=30.0)


def make_relay(outbox: Outbox, transport, clock, seed: int = 7, **kwargs) -> Relay:
    return Relay(outbox, transport, policy=POLICY, clock=clock, rng=random.Random(seed), **kwargs)


def test_classification_follows_the_policy() -> None:
    for status in (None, 408, 409, 425, 429, 500, 502, 503, 504):
        assert classify(status) is Verdict.RETRY, status
    for status in (400, 403, 422):
        assert classify(status) is Verdict.DEAD, status
    assert classify(401) is Verdict.AUTH


def test_backoff_is_full_jitter_with_a_cap_and_honours_retry_after() -> None:
    rng = random.Random(1)
    for attempt in range(1, 30):
        ceiling = min(900.0, 2.0 * 2 ** (attempt - 1))
        delays = [POLICY.delay(attempt, None, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > 0.5 * ceiling  # jitter spans the whole range, not a fixed step
    assert all(POLICY.delay(1, 120.0, rng) >= 120.0 for _ in range(50))
    assert POLICY.delay(1, 10 * 86400.0, rng) == POLICY.max_retry_after_s


def test_delivers_with_the_application_id_as_idempotency_key(
    outbox: Outbox, fault_server, make_transport, clock
) -> None:
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    results = make_relay(outbox, make_transport(fault_server.base_url), clock).run_once()
    assert [r.status for r in results] == [AttemptStatus.DELIVERED]
    assert fault_server.requests == [(app_id, PAYLOAD)]
    assert outbox.info(app_id).state is State.DONE
    assert json.loads(outbox.decision_for(app_id))["outcome"] == "approved"


@pytest.mark.parametrize(
    ("kind", "status", "expected"),
    [
        ("status", 500, 500),
        ("status", 503, 503),
        ("status", 409, 409),
        ("status", 408, 408),
        ("drop", 0, None),
        ("timeout", 0, None),
    ],
)
def test_retryable_failures_are_rescheduled_within_the_backoff_window_then_delivered(
    outbox: Outbox, fault_server, make_transport, clock, kind: str, status: int, expected: int | None
) -> None:
    fault_server.push(kind, status, delay_s=1.0)
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    relay = make_relay(outbox, make_transport(fault_server.base_url, timeout=0.3), clock)
    (result,) = relay.run_once()
    assert result.status is AttemptStatus.RETRY and result.http_status == expected
    info = outbox.info(app_id)
    assert info.state is State.READY and info.last_status == expected
    assert clock.now <= info.next_attempt_at <= clock.now + POLICY.base_s  # first retry: [0, base]
    assert relay.run_once() == [] or info.next_attempt_at == clock.now  # not before its time
    clock.advance(POLICY.base_s + POLICY.reconnect_spread_s + 0.01)
    (second,) = relay.run_once()
    assert second.status is AttemptStatus.DELIVERED
    assert outbox.info(app_id).state is State.DONE
    assert fault_server.sent_keys()[-1] == app_id
    assert set(fault_server.sent_keys()) == {app_id}
    assert {body for _, body in fault_server.requests} == {PAYLOAD}


def test_refused_connections_back_off_exponentially_up_to_the_cap(
    outbox: Outbox, refused_url: str, make_transport, clock
) -> None:
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    relay = make_relay(outbox, make_transport(refused_url), clock)
    delays = []
    for attempt in range(1, 16):
        (result,) = relay.run_once()
        assert result.status is AttemptStatus.RETRY and result.http_status is None
        delay = outbox.info(app_id).next_attempt_at - clock.now
        assert 0.0 <= delay <= min(POLICY.cap_s, POLICY.base_s * 2 ** (attempt - 1))
        assert relay.hold_until == clock.now + delay  # an outage pauses the whole backlog
        delays.append(delay)
        clock.advance(delay)
    info = outbox.info(app_id)
    assert info.attempts == 15 and info.state is State.READY and info.last_error.startswith("no answer")
    assert max(delays[-5:]) > 60  # the window really grew
    assert not relay.connectivity.online


def test_429_retry_after_is_honoured_for_the_row_and_the_backlog(
    outbox: Outbox, fault_server, make_transport, clock
) -> None:
    fault_server.push("status", 429, retry_after="120")
    first, second = new_application_id(now_ms=1), new_application_id(now_ms=2)
    outbox.add(first, PAYLOAD)
    outbox.add(second, PAYLOAD)
    relay = make_relay(outbox, make_transport(fault_server.base_url), clock)
    (result,) = relay.run_once()  # the second row is not hammered while the server is busy
    assert result.status is AttemptStatus.RETRY and result.http_status == 429
    assert outbox.info(first).next_attempt_at >= clock.now + 120
    assert relay.hold_until >= clock.now + 120
    assert relay.connectivity.online  # a 429 is an answer: the service is up, only busy
    clock.advance(119)
    assert relay.run_once() == []
    assert fault_server.sent_keys() == [first]
    clock.advance(POLICY.base_s * 2 + 1)
    delivered = relay.run_once()
    assert sorted(r.application_id for r in delivered) == [first, second]
    assert all(r.status is AttemptStatus.DELIVERED for r in delivered)


@pytest.mark.parametrize("status", [400, 403, 413, 422])
def test_permanent_rejections_land_in_dead_letters_and_are_not_retried(
    outbox: Outbox, fault_server, make_transport, clock, status: int
) -> None:
    fault_server.push("status", status)
    dead, fine = new_application_id(now_ms=1), new_application_id(now_ms=2)
    outbox.add(dead, PAYLOAD)
    outbox.add(fine, PAYLOAD)
    relay = make_relay(outbox, make_transport(fault_server.base_url), clock)
    results = relay.run_once()
    assert [(r.application_id, r.status) for r in results] == [
        (dead, AttemptStatus.DEAD),
        (fine, AttemptStatus.DELIVERED),
    ]
    info = outbox.info(dead)
    assert info.state is State.DEAD and info.last_status == status and info.last_error == f"HTTP {status}"
    clock.advance(86400 * 40)
    assert relay.run_once() == []
    outbox.purge(30 * 86400)
    assert outbox.info(dead).state is State.DEAD
    assert outbox.status().counts["dead"] == 1
    assert fault_server.sent_keys() == [dead, fine]


def test_401_reports_a_credential_or_clock_problem_and_keeps_retrying(
    outbox: Outbox, fault_server, make_transport, clock
) -> None:
    fault_server.push("status", 401)
    reported = []
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    relay = make_relay(
        outbox, make_transport(fault_server.base_url), clock, on_auth_problem=lambda: reported.append(1)
    )
    (result,) = relay.run_once()
    assert result.status is AttemptStatus.RETRY and reported == [1]
    assert outbox.status().last_problem == AUTH_PROBLEM
    assert outbox.info(app_id).state is State.READY
    clock.advance(POLICY.base_s + 0.01)
    (second,) = relay.run_once()
    assert second.status is AttemptStatus.DELIVERED
    assert outbox.status().last_problem is None


def test_reconnecting_waits_a_random_delay_before_draining_the_backlog(
    outbox: Outbox, fault_server, make_transport, refused_url, clock
) -> None:
    ids = [new_application_id(now_ms=i) for i in range(5)]
    for app_id in ids:
        outbox.add(app_id, PAYLOAD)
    transport = make_transport(refused_url)
    relay = make_relay(outbox, transport, clock)
    relay.run_once()
    assert not relay.connectivity.online
    # The service is back (and other calls already noticed): the first delivery that succeeds is
    # followed by a random pause before the rest of the backlog.
    transport.base_url = fault_server.base_url
    relay.connectivity.record_answer()
    clock.advance(POLICY.base_s + 0.01)
    first = relay.run_once()
    assert [r.status for r in first] == [AttemptStatus.DELIVERED]
    assert relay.connectivity.online
    assert clock.now <= relay.hold_until <= clock.now + POLICY.reconnect_spread_s
    assert relay.next_wake_at() == max(relay.hold_until, outbox.next_due_at())
    clock.now = relay.hold_until
    rest = relay.run_once()
    assert len(rest) == 4 and all(r.status is AttemptStatus.DELIVERED for r in rest)
    assert outbox.status().counts["done"] == 5


def test_deliver_now_ignores_backoff_and_skips_rows_already_taken(
    outbox: Outbox, fault_server, make_transport, clock
) -> None:
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    fault_server.push("status", 503)
    relay = make_relay(outbox, make_transport(fault_server.base_url), clock)
    assert relay.deliver_now(app_id).status is AttemptStatus.RETRY
    assert relay.deliver_now(app_id).status is AttemptStatus.DELIVERED  # the citizen is waiting
    assert relay.deliver_now(app_id) is None  # done: nothing to send
    assert relay.deliver_now(new_application_id()) is None


def test_a_broken_transport_never_loses_the_row(outbox: Outbox, clock) -> None:
    class Broken:
        def deliver(self, key: str, payload: bytes) -> bytes:
            raise RuntimeError("bug")

    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    (result,) = make_relay(outbox, Broken(), clock).run_once()
    assert result.status is AttemptStatus.RETRY
    assert outbox.info(app_id).state is State.READY


def test_connectivity_means_an_answer_within_the_window(clock) -> None:
    changes: list[bool] = []
    connectivity = Connectivity(clock=clock, window_s=180, on_change=changes.append)
    assert not connectivity.online
    connectivity.record_answer()
    assert connectivity.online
    clock.advance(181)
    assert not connectivity.online  # the service has not answered lately
    connectivity.record_answer()
    connectivity.record_failure()
    assert not connectivity.online
    connectivity.record_failure()
    assert changes == [True, False]


def test_background_loop_delivers_after_a_wake(outbox: Outbox, fault_server, make_transport) -> None:
    import time

    relay = Relay(outbox, make_transport(fault_server.base_url), idle_poll_s=30.0)
    relay.start()
    try:
        app_id = new_application_id()
        outbox.add(app_id, PAYLOAD)
        relay.wake()
        deadline = time.monotonic() + 20
        while outbox.info(app_id).state is not State.DONE and time.monotonic() < deadline:
            time.sleep(0.02)
        assert outbox.info(app_id).state is State.DONE
    finally:
        relay.stop()


def test_background_loop_runs_housekeeping_and_survives_its_failures(
    outbox: Outbox, fault_server, make_transport
) -> None:
    import threading
    import time

    calls: list[int] = []
    second_call = threading.Event()

    def housekeeping() -> None:
        calls.append(1)
        if len(calls) >= 2:
            second_call.set()
        raise RuntimeError("purge failed")

    relay = Relay(outbox, make_transport(fault_server.base_url), idle_poll_s=0.05)
    relay.set_housekeeping(housekeeping, interval_s=0.05)
    relay.start()
    try:
        assert second_call.wait(20)
        app_id = new_application_id()
        outbox.add(app_id, PAYLOAD)
        relay.wake()
        deadline = time.monotonic() + 20
        while outbox.info(app_id).state is not State.DONE and time.monotonic() < deadline:
            time.sleep(0.02)
        assert outbox.info(app_id).state is State.DONE  # still relaying after the failures
    finally:
        relay.stop()


def test_a_hold_set_under_a_wrong_clock_is_forgotten(
    outbox: Outbox, fault_server, make_transport, clock
) -> None:
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    relay = make_relay(outbox, make_transport(fault_server.base_url), clock)
    relay._hold_until = clock.now + 365 * 86400  # set while the clock ran a year ahead
    assert [r.status for r in relay.run_once()] == [AttemptStatus.DELIVERED]


def test_a_clock_hours_ahead_then_corrected_does_not_stall_the_backlog(
    outbox: Outbox, fault_server, make_transport, clock
) -> None:
    # The kiosk boots with its RTC three hours ahead (local time kept in the RTC): the service
    # refuses the request (401, clock skew) and the relay holds the backlog for a short backoff,
    # counted on the wrong clock. NTP then sets the clock back three hours.
    clock.advance(3 * 3600)
    fault_server.push("status", 401)
    app_id = new_application_id()
    outbox.add(app_id, PAYLOAD)
    relay = make_relay(outbox, make_transport(fault_server.base_url), clock)
    (refused,) = relay.run_once()
    assert refused.status is AttemptStatus.RETRY
    clock.advance(-3 * 3600)
    clock.advance(POLICY.base_s + 0.01)
    assert [r.status for r in relay.run_once()] == [AttemptStatus.DELIVERED]
    assert outbox.info(app_id).state is State.DONE
