"""One round of fleet synchronisation: heartbeat, then fetch a newer signed config when there is one.

``FleetSync.poll()`` blocks on the network (the app runs it on a worker thread, every
``[fleet] heartbeat_s`` with jitter). Each round:

1. sends a heartbeat built from the heartbeat source, plus the code of the last config rejection so
   the fleet view shows a kiosk that refused a document (or, failing that, ``active_<code>`` when the
   active document no longer applies, ``active_expired`` say, and the local config runs instead);
2. fetches ``GET /v1/config`` when the heartbeat answer names a version above the store's trusted
   one, or every ``config_poll_s`` regardless (with the ETag, so an unchanged document costs a 304);
3. hands the exact response bytes to ``RemoteConfigStore.accept`` (which verifies everything against
   the pinned keys: the service is not trusted) and records the outcome.

Activation is not done here: the app calls ``store.activate(session_running=...)`` between citizen
sessions. Network and service errors never escape ``poll()``: they land in :class:`SyncStatus` and the
kiosk keeps working offline on its last good config. Nothing local stops a round either: an active
document that lapsed, or a heartbeat source that fails, still lets the heartbeat go (with what can be
built) and the newer document be fetched, since that document is how the kiosk gets well again.

The store must be built from the pinned keys of the *local* configuration file, never from the
effective (remote) configuration, so that a document cannot choose the keys that verify the next one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from kiosk.api_client import ApiError, HeartbeatAck, ResponseTooLarge, SignedConfig
from kiosk.clock import Clock
from kiosk.config import KioskConfig
from kiosk.heartbeat import Heartbeat
from kiosk.remote_config import RemoteConfigRejected, RemoteConfigStore, key_id, load_public_key
from offline_cache.sync import is_answer

log = logging.getLogger(__name__)

DEFAULT_CONFIG_POLL_S = 1800.0
# What the service accepts for these heartbeat fields (longer values would make it refuse the beat).
_MAX_DEVICES = 16
_MAX_SHORT_TEXT = 32


class FleetApi(Protocol):
    """The part of ``ApiClient`` fleet synchronisation uses."""

    def heartbeat(self, report: Mapping[str, Any]) -> HeartbeatAck: ...

    def fetch_config(self, etag: str | None) -> SignedConfig | None: ...


@dataclass(frozen=True)
class SyncStatus:
    """What the last rounds found, for the next heartbeat and for technicians (no personal data).

    ``online`` is true when the last heartbeat was answered by the service itself (no answer and a
    gateway's 502/503/504 both count as offline). ``accepted_version`` is the version of
    the last document this kiosk accepted; ``rejection`` the stable code of the last refused one
    (cleared by the next acceptance). ``active_rejection`` is why the active document no longer
    applies (``expired``, say: the local config runs until a newer one is activated), checked at every
    heartbeat. ``error`` is the last network or service failure, or a heartbeat that went out
    incomplete, one line.
    """

    online: bool = False
    last_heartbeat_at: datetime | None = None
    clock_offset_s: float | None = None
    latest_config_version: int | None = None
    last_config_check_at: datetime | None = None
    accepted_version: int | None = None
    rejection: str | None = None
    rejection_detail: str | None = None
    active_rejection: str | None = None
    active_rejection_detail: str | None = None
    error: str | None = None


def remote_config_store(local: KioskConfig, *, app_version: str, clock: Clock) -> RemoteConfigStore:
    """The config store for this kiosk, from the *local* config file's ``[fleet]`` section.

    Pinned keys and groups are read from ``local`` only (never from a remote document); with no key
    pinned every document is refused and the local config stays in force. Documents live in
    ``<state dir>/remote-config``. Raises ``ConfigError`` for a pinned key that cannot be read.
    """
    keys = [load_public_key(text) for text in local.fleet.pinned_keys]
    return RemoteConfigStore(
        local.state_dir / "remote-config",
        pinned_keys={key_id(key): key for key in keys},
        kiosk_id=local.kiosk.id,
        groups=frozenset(local.fleet.groups),
        app_version=app_version,
        base_config=local,
        clock=clock,
    )


def heartbeat_report(beat: Heartbeat, *, config_rejection: str | None = None) -> dict[str, Any]:
    """The heartbeat in the service's wire format (``POST /v1/heartbeats``)."""
    devices = [
        {"name": str(name)[:_MAX_SHORT_TEXT], "health": str(health)[:_MAX_SHORT_TEXT]}
        for name, health in list(beat.devices.items())[:_MAX_DEVICES]
    ]
    report: dict[str, Any] = {
        "app_version": beat.app_version[:_MAX_SHORT_TEXT],
        "sent_at": beat.sent_at.isoformat(),
        "applied_config_version": beat.config_applied_version,
        "trusted_config_version": beat.config_trusted_version,
        "outbox_ready": max(beat.outbox_ready, 0),
        "outbox_dead": max(beat.outbox_dead, 0),
        "oldest_pending_age_s": (
            None if beat.outbox_oldest_pending_s is None else max(beat.outbox_oldest_pending_s, 0.0)
        ),
        "last_sync_at": beat.last_sync_at.isoformat() if beat.last_sync_at else None,
        "clock_offset_s": beat.clock_offset_s,
        "disk_free_bytes": max(beat.disk_free_bytes, 0),
        "maintenance_mode": beat.maintenance_mode,
        "devices": devices,
    }
    if config_rejection:
        report["config_rejection"] = config_rejection
    return report


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())[:200]


class FleetSync:
    """Heartbeats and signed-config fetching for one kiosk; ``poll()`` does one round."""

    def __init__(
        self,
        api: FleetApi,
        store: RemoteConfigStore,
        heartbeat_source: Callable[[], Heartbeat],
        *,
        config_poll_s: float = DEFAULT_CONFIG_POLL_S,
        monotonic: Callable[[], float] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        import time

        self._api = api
        self._store = store
        self._heartbeat_source = heartbeat_source
        self._config_poll_s = config_poll_s
        self._monotonic = monotonic or time.monotonic
        self._now = now or (lambda: datetime.now().astimezone())
        self._lock = threading.Lock()  # poll() runs on a worker thread, status is read elsewhere
        self._round = threading.Lock()  # one round at a time
        self._status = SyncStatus()
        self._etag: str | None = None
        self._last_outcome_accepted = True
        self._last_fetch: float | None = None

    @property
    def status(self) -> SyncStatus:
        with self._lock:
            return self._status

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)

    def poll(self) -> SyncStatus:
        """One round: heartbeat, then fetch and accept a newer document if any. Never raises ApiError."""
        with self._round:
            reachable, latest = self._send_heartbeat()
            if not reachable:
                return self.status
            due = self._last_fetch is None or self._monotonic() - self._last_fetch >= self._config_poll_s
            newer = isinstance(latest, int) and latest > self._store.trusted_version
            if newer or due:
                # A heartbeat-triggered fetch reuses the last ETag (a refused document is not fetched
                # again every minute); the periodic one retries a refused document from scratch, since
                # a corrected clock or an upgraded app may now accept it.
                etag = self._etag if (newer or self._last_outcome_accepted) else None
                self._fetch_and_accept(etag)
            return self.status

    def _send_heartbeat(self) -> tuple[bool, int | None]:
        """(service reachable, its latest config version for this kiosk)."""
        report, incomplete = self._report()
        try:
            ack = self._api.heartbeat(report)
        except ApiError as error:
            if not is_answer(error.status):
                # No answer, or a gateway's 502/503/504 in front of a service that is down: offline,
                # as the relay counts it (the app reports an online round to the relay as an answer).
                self._update(online=False, error=_one_line(error))
                return False, None
            # Answered but refused (credential, clock): the service is there; try the config anyway.
            self._update(online=True, error=_one_line(error))
            return True, None
        self._update(
            online=True,
            error=incomplete,
            last_heartbeat_at=ack.received_at,
            clock_offset_s=ack.clock_offset_s,
            latest_config_version=ack.latest_config_version,
        )
        return True, ack.latest_config_version

    def _report(self) -> tuple[dict[str, Any], str | None]:
        """The heartbeat to send, and a one-line note when only part of it could be built.

        Never raises for a failing heartbeat source: a kiosk that stops beating looks offline and, worse,
        no longer fetches the document that could fix it. What the store knows is sent instead.
        """
        rejection = self._config_rejection()
        try:
            return heartbeat_report(self._heartbeat_source(), config_rejection=rejection), None
        # The source reads parts this module does not own (outbox database, device drivers, disk), so
        # their failures cannot be listed here; only the building of the contents is guarded.
        except Exception as error:
            name = type(error).__name__
            # The type only: a message could quote an application's or a device's data.
            log.warning("heartbeat source failed, sending a partial heartbeat: %s", name)
            return self._partial_report(rejection), f"heartbeat incomplete: {name}"

    def _config_rejection(self) -> str | None:
        """The code the heartbeat carries: the last refused document's, else why the active one lapsed."""
        try:
            lapsed = self._store.active_rejection
            code, detail = (lapsed.code, lapsed.detail) if lapsed else (None, None)
        except OSError as error:  # the state directory cannot be read: the active document cannot apply
            code, detail = "store_failed", error.strerror or type(error).__name__
        self._update(active_rejection=code, active_rejection_detail=detail[:200] if detail else None)
        # A refused newer document is the fresher news; an applied version of 0 already shows the lapse.
        return self.status.rejection or (f"active_{code}" if code else None)

    def _partial_report(self, rejection: str | None) -> dict[str, Any]:
        """The heartbeat from what this module knows alone: app and config versions, the rejection."""
        report: dict[str, Any] = {
            "app_version": self._store.app_version[:_MAX_SHORT_TEXT],
            "sent_at": self._now().isoformat(),
        }
        with contextlib.suppress(OSError):  # unreadable state: the fleet view shows the versions unknown
            applied, trusted = self._store.active_version, self._store.trusted_version
            report.update(applied_config_version=applied, trusted_config_version=trusted)
        if rejection:
            report["config_rejection"] = rejection
        return report

    def _fetch_and_accept(self, etag: str | None) -> None:
        self._last_fetch = self._monotonic()
        try:
            document = self._api.fetch_config(etag)
        except ResponseTooLarge as error:
            # Check 1 (size limit) done while downloading: reported like the store's own refusal, and
            # its ETag kept so the same oversize document is not downloaded again every heartbeat.
            self._etag = error.etag or self._etag
            self._last_outcome_accepted = False
            self._update(
                last_config_check_at=self._now(), rejection="too_large", rejection_detail=error.detail
            )
            return
        except ApiError as error:
            if not is_answer(error.status):  # no answer, or a gateway's 502/503/504: offline
                self._update(online=False, error=_one_line(error))
                return
            if error.status == 404:  # no document for this kiosk: the local config stays
                self._update(last_config_check_at=self._now())
            else:
                self._update(error=_one_line(error))
            return
        self._update(last_config_check_at=self._now())
        if document is None:  # 304: nothing new
            return
        self._etag = document.etag or None
        try:
            verified = self._store.accept(document.content)
        except RemoteConfigRejected as rejected:
            self._last_outcome_accepted = False
            self._update(rejection=rejected.code, rejection_detail=rejected.detail[:200])
            return
        except OSError as error:  # the state directory is full or read-only: nothing was trusted
            self._last_outcome_accepted = False
            self._update(rejection="store_failed", rejection_detail=error.strerror or type(error).__name__)
            return
        self._last_outcome_accepted = True
        self._update(accepted_version=verified.version, rejection=None, rejection_detail=None)
