"""The sync relay: delivers outbox rows to the central service, exactly once, whatever happens.

Contract:
- The relay talks to the server only through a `Transport`: `deliver(key, payload) -> bytes` sends
  one application with `key` as its `Idempotency-Key` and returns the decision JSON, or raises
  `DeliveryFailed(status, retry_after, message)`. The same key is used on every attempt, so the
  server's permanent uniqueness on the key turns our at-least-once attempts into exactly-once.
- Failure policy: network errors (status None), timeouts, 408, 409, 425, 429, 5xx and any status
  not listed below are retried with "full jitter" backoff (random(0, min(cap, base * 2^(n-1))))
  and never sooner than the server's Retry-After. 400, 403, 413 and 422 dead-letter the row (kept for
  technicians). 401 means the kiosk's credential or clock is wrong: the row is retried with
  backoff and the problem is reported.
- When the service is unreachable the whole relay pauses until the failed row's next attempt,
  instead of hammering every due row. After the service comes back (an answer following a
  failure) the relay waits a random delay before draining its backlog, so a recovering server is
  not hit by the whole fleet at once.
- "Online" (`Connectivity`) means the central service answered recently, not that a link is up.
- All retry state lives in the outbox rows; the relay itself can be killed at any point.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from offline_cache.outbox import Claim, Outbox

log = logging.getLogger(__name__)

# 413: the application is larger than the server accepts; resending the same bytes cannot succeed.
DEAD_LETTER_STATUSES = frozenset({400, 403, 413, 422})
AUTH_STATUSES = frozenset({401})
# A clock that reads this much earlier than before was corrected backwards (not a small NTP slew).
CLOCK_STEP_BACK_S = 60.0
AUTH_PROBLEM = "central service rejected the kiosk credential or clock (401): check both"


class DeliveryFailed(Exception):
    """One delivery attempt failed. `status` is None when the server gave no answer at all."""

    def __init__(self, status: int | None, retry_after: float | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.message = message


class Transport(Protocol):
    def deliver(self, key: str, payload: bytes) -> bytes:
        """Send one application; return the decision JSON or raise `DeliveryFailed`."""
        ...


class Verdict(StrEnum):
    RETRY = "retry"
    DEAD = "dead"
    AUTH = "auth"


def classify(status: int | None) -> Verdict:
    """What to do after a failed attempt with this HTTP status (None = no answer)."""
    if status in DEAD_LETTER_STATUSES:
        return Verdict.DEAD
    if status in AUTH_STATUSES:
        return Verdict.AUTH
    # Everything else is retried: the idempotency key makes a retry harmless, and a dead
    # letter needs a technician, so only statuses that can never succeed are dead-lettered.
    return Verdict.RETRY


def is_answer(status: int | None) -> bool:
    """Did the central service itself answer? (No answer, 502/503/504 are outages.)"""
    return status is not None and status not in (502, 503, 504)


def error_category(status: int | None) -> str:
    """A short, personal-data-free description stored on the row for technicians."""
    if status is None:
        return "no answer (network error or timeout)"
    return f"HTTP {status}"


@dataclass(frozen=True)
class RetryPolicy:
    """Full-jitter exponential backoff with a cap, honouring Retry-After."""

    base_s: float = 2.0
    cap_s: float = 900.0
    reconnect_spread_s: float = 30.0
    max_retry_after_s: float = 6 * 3600.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.cap_s, self.base_s * 2.0 ** max(0, min(attempt - 1, 60)))
        jittered = rng.uniform(0.0, ceiling)
        if retry_after is not None and retry_after > 0:
            return max(min(retry_after, self.max_retry_after_s), jittered)
        return jittered


class Connectivity:
    """Whether the central service answered within the last `window_s` seconds. Thread safe.

    `on_change(online)` is called (on the recording thread) when a recorded answer or failure flips
    the state; an answer simply growing old is seen on the next read of `online`.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        window_s: float = 180.0,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        self._clock = clock
        self._window_s = window_s
        self._on_change = on_change
        self._lock = threading.Lock()
        self._last_answer_at: float | None = None
        self._failed_since_answer = False
        self._reported: bool | None = None

    @property
    def online(self) -> bool:
        with self._lock:
            return self._online_locked()

    @property
    def last_answer_at(self) -> float | None:
        with self._lock:
            return self._last_answer_at

    @property
    def failing(self) -> bool:
        """True when the latest contact attempt got no answer."""
        with self._lock:
            return self._failed_since_answer

    def record_answer(self) -> None:
        with self._lock:
            self._last_answer_at = self._clock()
            self._failed_since_answer = False
            changed = self._changed_locked()
        self._notify(changed)

    def record_failure(self) -> None:
        with self._lock:
            self._failed_since_answer = True
            changed = self._changed_locked()
        self._notify(changed)

    def _online_locked(self) -> bool:
        if self._last_answer_at is None or self._failed_since_answer:
            return False
        return self._clock() - self._last_answer_at <= self._window_s

    def _changed_locked(self) -> bool | None:
        online = self._online_locked()
        if online == self._reported:
            return None
        self._reported = online
        return online

    def _notify(self, changed: bool | None) -> None:
        if changed is not None and self._on_change is not None:
            self._on_change(changed)


class AttemptStatus(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True)
class AttemptResult:
    """The outcome of one delivery attempt of one row."""

    application_id: str
    status: AttemptStatus
    decision: bytes | None = None
    http_status: int | None = None
    retry_at: float | None = None


class Relay:
    """Delivers due outbox rows through a transport; `run()` is its background loop."""

    def __init__(
        self,
        outbox: Outbox,
        transport: Transport,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        connectivity: Connectivity | None = None,
        on_auth_problem: Callable[[], None] | None = None,
        idle_poll_s: float = 30.0,
    ) -> None:
        self._outbox = outbox
        self._transport = transport
        self._policy = policy or RetryPolicy()
        self._clock = clock
        self._rng = rng or random.Random()
        self.connectivity = connectivity or Connectivity(clock=clock)
        self._on_auth_problem = on_auth_problem
        self._idle_poll_s = idle_poll_s
        self._hold_until = 0.0
        # The clock reading when the hold was last set: a clock that has since gone back (an RTC
        # ahead, corrected by NTP) computed the hold, which then lasts as long as the error.
        self._hold_set_at = 0.0
        # Our own view (not the shared connectivity, which other calls also update): the service
        # failed our last delivery, so the next success is a reconnection.
        self._outage = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pass_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._housekeeping: Callable[[], None] | None = None
        self._housekeeping_interval_s = 3600.0
        self._housekeeping_due = 0.0

    def set_housekeeping(self, task: Callable[[], None], interval_s: float) -> None:
        """Run `task` (e.g. the retention purge) from the background loop every `interval_s`."""
        self._housekeeping = task
        self._housekeeping_interval_s = interval_s
        self._housekeeping_due = 0.0

    @property
    def hold_until(self) -> float:
        """The relay sends nothing from its backlog before this time (outage or reconnect delay)."""
        return self._hold_until

    def attempt(self, claim: Claim) -> AttemptResult:
        """Deliver one claimed row once and record the outcome on the row."""
        was_out = self._outage
        try:
            decision = self._transport.deliver(claim.application_id, claim.payload)
        except DeliveryFailed as failure:
            return self._failed(claim, failure.status, failure.retry_after)
        except Exception:
            # A bug in a transport must not stop the relay or lose the row: retry it later.
            log.exception("transport raised an unexpected error for %s", claim.application_id)
            return self._failed(claim, None, None)
        self.connectivity.record_answer()
        self._outage = False
        self._record(self._outbox.mark_delivered, claim.application_id, decision)
        if was_out:
            # Back online after an outage: spread the fleet's backlog over a random delay.
            self._set_hold(self._clock() + self._rng.uniform(0.0, self._policy.reconnect_spread_s))
        return AttemptResult(
            claim.application_id, AttemptStatus.DELIVERED, decision=decision, http_status=200
        )

    @staticmethod
    def _record(step: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Write an attempt's outcome to its row; a storage failure here loses nothing.

        The row then stays in flight: it goes back to ready when its lease expires or the kiosk
        restarts, and the server replays the same decision for the same key.
        """
        try:
            step(*args, **kwargs)
        except (sqlite3.Error, OSError):
            log.exception("could not record a delivery outcome; the row will be retried")

    def _failed(self, claim: Claim, status: int | None, retry_after: float | None) -> AttemptResult:
        if is_answer(status):
            self.connectivity.record_answer()
        else:
            self.connectivity.record_failure()
        verdict = classify(status)
        if verdict is Verdict.DEAD:
            log.warning("application %s dead-lettered (%s)", claim.application_id, error_category(status))
            self._record(
                self._outbox.mark_dead, claim.application_id, status=status, error=error_category(status)
            )
            return AttemptResult(claim.application_id, AttemptStatus.DEAD, http_status=status)
        if verdict is Verdict.AUTH:
            log.error("delivery refused: %s", AUTH_PROBLEM)
            self._record(self._outbox.note_problem, AUTH_PROBLEM)
            if self._on_auth_problem is not None:
                self._on_auth_problem()
        retry_at = self._clock() + self._policy.delay(claim.attempt, retry_after, self._rng)
        self._record(
            self._outbox.mark_retry,
            claim.application_id,
            next_attempt_at=retry_at,
            status=status,
            error=error_category(status),
        )
        if status is None or status >= 500:
            self._outage = True
        if status is None or status >= 500 or status in (408, 429) or verdict is Verdict.AUTH:
            # The service is out, overloaded or refusing us: pause the whole backlog.
            self._set_hold(max(self._hold_until, retry_at))
        return AttemptResult(claim.application_id, AttemptStatus.RETRY, http_status=status, retry_at=retry_at)

    def deliver_now(self, application_id: str) -> AttemptResult | None:
        """Try one specific row immediately (the citizen is waiting), ignoring backoff and holds.

        Returns None when the row is not waiting for delivery (unknown, already in flight, done or
        dead); the caller then reads its state from the outbox.
        """
        claim = self._outbox.claim(application_id)
        if claim is None:
            return None
        return self.attempt(claim)

    def run_once(self, max_rows: int = 1000) -> list[AttemptResult]:
        """Deliver due rows one at a time until none is due, the relay is on hold, or `max_rows`."""
        results: list[AttemptResult] = []
        with self._pass_lock:
            self._forget_hold_from_a_wrong_clock()
            while len(results) < max_rows and self._clock() >= self._hold_until:
                claims = self._outbox.claim_due(limit=1)
                if not claims:
                    break
                results.append(self.attempt(claims[0]))
        return results

    def _set_hold(self, until: float) -> None:
        self._hold_until = until
        self._hold_set_at = self._clock()

    def _forget_hold_from_a_wrong_clock(self) -> None:
        # A hold set while the clock was ahead (then corrected backwards) would stop the relay for
        # as long as the error: forget it once the clock reads earlier than when it was set (beyond
        # a small slew), or when it is longer than any hold we set can legitimately be.
        now = self._clock()
        longest = self._policy.max_retry_after_s + self._policy.cap_s + self._policy.reconnect_spread_s
        if now < self._hold_set_at - CLOCK_STEP_BACK_S or self._hold_until - now > longest:
            self._hold_until = 0.0

    def next_wake_at(self) -> float | None:
        """When `run_once` next has something to do, or None when the outbox has nothing pending."""
        self._forget_hold_from_a_wrong_clock()
        due = self._outbox.next_due_at()
        if due is None:
            return None
        return max(due, self._hold_until)

    def wake(self) -> None:
        """Ask the background loop to look at the outbox now (e.g. after a save)."""
        self._wake.set()

    def _run_housekeeping_if_due(self) -> None:
        if self._housekeeping is None or time.monotonic() < self._housekeeping_due:
            return
        self._housekeeping_due = time.monotonic() + self._housekeeping_interval_s
        try:
            self._housekeeping()
        except Exception:
            log.exception("outbox housekeeping failed; next try in %.0f s", self._housekeeping_interval_s)

    def start(self) -> None:
        """Run the background loop on a daemon thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the background loop; an attempt in progress finishes (or times out) first."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run(self) -> None:
        """Background loop until `stop()`. Never raises; errors are logged and retried."""
        stop = self._stop
        while not stop.is_set():
            try:
                self._run_housekeeping_if_due()
                self.run_once()
                wake_at = self.next_wake_at()
                timeout = (
                    self._idle_poll_s
                    if wake_at is None
                    else min(self._idle_poll_s, max(0.0, wake_at - self._clock()))
                )
            except Exception:
                log.exception("relay pass failed; retrying shortly")
                timeout = min(self._idle_poll_s, 5.0)
            if stop.is_set():
                break
            self._wake.wait(timeout)
            self._wake.clear()
