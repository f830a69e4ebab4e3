"""Citizen applications: saved durably in the outbox, then submitted to the central service.

Contract (what the flows use):
- `save(item_code, applicant, form, partner_city) -> SavedApplication`: creates the UUIDv7
  application id and stores the application sealed in the outbox; durable before it returns.
  Raises `SaveFailed` (citizen-safe message, nothing half written) when storage refuses it. It does
  not wake the relay: the citizen's own attempt (`submit_now`) goes first.
- `submit_now(application_id) -> Decision | Queued`: one immediate attempt with the application id
  as Idempotency-Key (blocking: call it from a worker thread), then wakes the relay. When the relay's
  own pass has the row in flight already, it waits (at most `in_flight_wait_s`) for that attempt and
  returns its outcome instead. `Queued` says the relay will deliver it later (offline, server busy)
  or that staff must look at it (dead-lettered).
- `decision_for(application_id) -> Decision | None`: the decision stored when it was delivered.
- `is_online`: the central service answered recently (not "the OS reports a link").
- `start()` runs the background relay; `close()` stops it and closes the outbox.
- `publish(event)` is called from the caller's thread or the relay's thread: hand in a function
  that posts onto the core thread (the event bus is core-thread only).
- Housekeeping (retention purge, shredding of unused data keys) runs hourly on the relay thread.

`ApiTransport` adapts the API client to the relay's `Transport` protocol.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.api_client import ApiError, Decision
from kiosk.events import (
    ApplicationDidQueue,
    ApplicationDidSave,
    ApplicationDidSubmit,
    ConnectivityDidChange,
    Event,
    TechnicianAlertDidRaise,
)
from offline_cache.ids import new_application_id
from offline_cache.outbox import ConflictingApplication, Outbox, State
from offline_cache.outbox import SaveFailed as OutboxSaveFailed
from offline_cache.sealing import Sealer, SealingError, load_device_key
from offline_cache.storage import storage_warning
from offline_cache.sync import (
    AUTH_PROBLEM,
    AttemptStatus,
    Connectivity,
    DeliveryFailed,
    Relay,
    RetryPolicy,
    is_answer,
)

if TYPE_CHECKING:
    # Only for the type: the crash-test child and the relay start fast without loading pydantic.
    from kiosk.config import KioskConfig

log = logging.getLogger(__name__)

OUTBOX_FILE = "outbox.db"
SYSTEMD_CREDENTIAL_PREFIX = "systemd-creds:"
HOUSEKEEPING_INTERVAL_S = 3600.0
# How long the citizen waits for a delivery attempt the relay has in flight (one attempt's timeouts).
IN_FLIGHT_WAIT_S = 15.0
IN_FLIGHT_POLL_S = 0.05


class DeliversApplications(Protocol):
    """The part of the API client the outbox needs (`ApiClient.deliver_application`)."""

    def deliver_application(self, application_id: str, payload: bytes) -> bytes: ...


class SaveFailed(Exception):
    """The application could not be saved. `message_key`/`message` are safe to show the citizen."""

    message_key = "outbox.save_failed"

    def __init__(self, reason: str) -> None:
        super().__init__("could not save the application, please ask staff for help")
        self.reason = reason


@dataclass(frozen=True)
class SavedApplication:
    application_id: str
    item_code: str
    saved_at: datetime


@dataclass(frozen=True)
class Queued:
    """Saved but not decided yet. `reason`: offline | server_busy | in_progress | needs_staff."""

    application_id: str
    reason: str


class ApiTransport:
    """The relay's `Transport` over the kiosk's API client (same key on every attempt)."""

    def __init__(self, client: DeliversApplications) -> None:
        self._client = client

    def deliver(self, key: str, payload: bytes) -> bytes:
        # The exact stored bytes go out on every attempt, so the server's payload fingerprint
        # matches and a replay returns the original decision.
        try:
            return self._client.deliver_application(key, payload)
        except ApiError as exc:
            # The title only (e.g. "Invalid application"): details may echo what the citizen typed.
            raise DeliveryFailed(exc.status, exc.retry_after, exc.title or type(exc).__name__) from None


def application_body(
    item_code: str, applicant: Mapping[str, Any], form: Mapping[str, Any], partner_city: str | None
) -> dict[str, Any]:
    """The request body the central service expects for one application."""
    body: dict[str, Any] = {"item_code": item_code, "applicant": dict(applicant), "form": dict(form)}
    if partner_city is not None:
        body["partner_city"] = partner_city
    return body


class Submissions:
    """Applications for the flows: the outbox, its relay and the connectivity indicator."""

    def __init__(
        self,
        outbox: Outbox,
        relay: Relay,
        *,
        publish: Callable[[Event], None] | None = None,
        retention_s: float = 30 * 86400.0,
        in_flight_wait_s: float = IN_FLIGHT_WAIT_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``in_flight_wait_s``: how long `submit_now` waits for an attempt the relay has in flight
        (about one attempt's connect and read timeouts); ``sleep`` pauses between looks at the row."""
        self._outbox = outbox
        self._relay = relay
        self._publish = publish or (lambda event: None)
        self._retention_s = retention_s
        self._in_flight_wait_s = in_flight_wait_s
        self._sleep = sleep
        relay.set_housekeeping(self.housekeeping, HOUSEKEEPING_INTERVAL_S)
        if outbox.startup_alert is not None:
            log.error("outbox: %s", outbox.startup_alert)
            self._publish(TechnicianAlertDidRaise(code="outbox_corrupt", detail=outbox.startup_alert))

    @classmethod
    def from_config(
        cls,
        config: KioskConfig,
        client: DeliversApplications,
        *,
        publish: Callable[[Event], None] | None = None,
        clock: Callable[[], float] = time.time,
        policy: RetryPolicy | None = None,
    ) -> Submissions:
        """Open the outbox in the state dir with the configured device key and retention."""
        state_dir = config.ensure_state_dir()
        create_key = not config.outbox.device_key.startswith(SYSTEMD_CREDENTIAL_PREFIX)
        device_key = load_device_key(config.device_key_path, create=create_key)
        sealer = Sealer(device_key, rotation_seconds=config.outbox.data_key_rotation_hours * 3600.0)
        outbox = Outbox(Path(state_dir) / OUTBOX_FILE, sealer, clock=clock)
        sink = publish or (lambda event: None)
        connectivity = Connectivity(clock=clock, on_change=lambda online: sink(ConnectivityDidChange(online)))
        relay = Relay(
            outbox,
            ApiTransport(client),
            policy=policy,
            clock=clock,
            connectivity=connectivity,
            on_auth_problem=lambda: sink(TechnicianAlertDidRaise(code="central_auth", detail=AUTH_PROBLEM)),
        )
        submissions = cls(
            outbox,
            relay,
            publish=publish,
            retention_s=config.outbox.retention_days * 86400.0,
            # A relay attempt lasts at most about the client's timeouts; a little more for the database.
            in_flight_wait_s=config.api.connect_timeout_s + config.api.read_timeout_s + 2.0,
        )
        warning = storage_warning(outbox.path.parent)
        if warning is not None:
            log.warning("%s", warning)
            sink(TechnicianAlertDidRaise(code="outbox_storage", detail=warning))
        return submissions

    @property
    def connectivity(self) -> Connectivity:
        """Feed it from other calls to the central service too (heartbeats, queries)."""
        return self._relay.connectivity

    @property
    def outbox(self) -> Outbox:
        return self._outbox

    @property
    def relay(self) -> Relay:
        return self._relay

    @property
    def is_online(self) -> bool:
        return self._relay.connectivity.online

    def save(
        self,
        item_code: str,
        applicant: Mapping[str, Any],
        form: Mapping[str, Any],
        partner_city: str | None,
    ) -> SavedApplication:
        application_id = new_application_id()
        try:
            payload = json.dumps(
                application_body(item_code, applicant, form, partner_city), sort_keys=True, ensure_ascii=False
            ).encode()
        except (TypeError, ValueError):
            raise SaveFailed("invalid") from None
        try:
            self._outbox.add(application_id, payload)
        except OutboxSaveFailed as exc:
            log.error("application not saved: %s", exc.reason)
            raise SaveFailed(exc.reason) from None
        except ConflictingApplication:
            raise SaveFailed("conflict") from None
        self._publish(ApplicationDidSave(application_id))
        # No relay wake here: woken now, the relay could take the row before the citizen's own attempt
        # and the citizen would be told "queued" for a decision arriving a moment later. `submit_now`
        # wakes it; if the flow never gets there, the relay's idle poll finds the row.
        return SavedApplication(
            application_id=application_id, item_code=item_code, saved_at=datetime.now(UTC)
        )

    def submit_now(self, application_id: str) -> Decision | Queued:
        try:
            return self._submit_now(application_id)
        finally:
            # Only now: a row left for later (offline, busy) is then on the relay's schedule.
            self._relay.wake()

    def _submit_now(self, application_id: str) -> Decision | Queued:
        result = self._relay.deliver_now(application_id)
        if result is None:
            stored = self.decision_for(application_id)
            if stored is not None:
                return stored
            info = self._outbox.info(application_id)
            if info is not None and info.state is State.IN_FLIGHT:
                return self._after_relay_attempt(application_id)
            if info is not None and info.state is State.DEAD:
                return self._queued(application_id, "needs_staff")
            return self._queued(application_id, "in_progress")
        if result.status is AttemptStatus.DELIVERED and result.decision is not None:
            decision = _parse_decision(result.decision)
            if decision is None:
                return self._queued(application_id, "in_progress")
            self._publish(ApplicationDidSubmit(application_id, decision.outcome))
            return decision
        if result.status is AttemptStatus.DEAD:
            return self._queued(application_id, "needs_staff")
        return self._queued(application_id, _retry_reason(result.http_status))

    def _after_relay_attempt(self, application_id: str) -> Decision | Queued:
        """The outcome of the relay's attempt on this row, in flight when the citizen's came.

        Waits up to ``in_flight_wait_s`` for the row to leave the in-flight state: the decision is
        then the citizen's as if their own attempt had got it. Still in flight after that, it is
        ``in_progress`` (the result comes later, by SMS).
        """
        deadline = time.monotonic() + self._in_flight_wait_s
        info = self._outbox.info(application_id)
        while info is not None and info.state is State.IN_FLIGHT and time.monotonic() < deadline:
            self._sleep(IN_FLIGHT_POLL_S)
            info = self._outbox.info(application_id)
        decision = self.decision_for(application_id)
        if decision is not None:
            self._publish(ApplicationDidSubmit(application_id, decision.outcome))
            return decision
        if info is not None and info.state is State.DEAD:
            return self._queued(application_id, "needs_staff")
        if info is not None and info.state is State.READY:  # the relay's attempt failed: retried later
            return self._queued(application_id, _retry_reason(info.last_status))
        # Still in flight, or delivered with a decision that cannot be read: the result comes later.
        return self._queued(application_id, "in_progress")

    def _queued(self, application_id: str, reason: str) -> Queued:
        self._publish(ApplicationDidQueue(application_id))
        return Queued(application_id=application_id, reason=reason)

    def decision_for(self, application_id: str) -> Decision | None:
        try:
            raw = self._outbox.decision_for(application_id)
        except SealingError:
            # Damaged or shredded: the central service still has the decision (the caller asks it).
            log.error("stored decision of %s cannot be opened", application_id)
            return None
        return None if raw is None else _parse_decision(raw)

    def housekeeping(self) -> None:
        """Purge delivered rows past retention and shred unused data keys (hourly from the relay)."""
        report = self._outbox.purge(self._retention_s)
        if report.rows_deleted or report.keys_destroyed:
            log.info(
                "outbox purge: %d rows deleted, %d data keys destroyed",
                report.rows_deleted,
                report.keys_destroyed,
            )

    def start(self) -> None:
        self._relay.start()

    def close(self) -> None:
        self._relay.stop()
        self._outbox.close()


def _retry_reason(http_status: int | None) -> str:
    """Why a failed attempt left the row for later: ``offline`` when the service itself did not answer
    (nothing, or a gateway's 502/503/504), else ``server_busy``."""
    return "server_busy" if is_answer(http_status) else "offline"


def _parse_decision(raw: bytes) -> Decision | None:
    try:
        data = json.loads(raw)
        return Decision.from_json(data) if isinstance(data, dict) else None
    except (ValueError, KeyError, TypeError):
        log.error("stored decision is not a decision document")
        return None
