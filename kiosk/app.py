"""The composition root: the one place that builds the kiosk's object graph from configuration.

Nothing else constructs long-lived collaborators, and there is no module-level application state: the
Qt application, the headless tour, the technician commands and the tests all call ``build_kiosk`` and
hold the ``Kiosk`` it returns.

What is built, from the config:

- logging (redacted JSON lines in the state directory), the clock, the event bus, the worker pool;
- the central service's API client, the outbox with its sync relay (``Submissions``), and the flows'
  ports over them (``applications``, ``services``, the catalogue source);
- the device manager with one worker thread per configured device, and the printer port over it.

Every seam can be replaced by a fake through the keyword arguments (``catalog=``, ``applications=``,
``services=``, ``printer=``, ``devices=``, ``clock=``). A part that cannot be built falls back to a null
object and says why in the log: no credential means applications cannot be taken and live services are
unavailable; no printer means the receipt's QR code is shown on screen instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiosk.catalog import Catalog, CatalogError, builtin_catalog
from kiosk.clock import Clock, SystemClock
from kiosk.config import KioskConfig
from kiosk.dispatch import BackgroundWork, Post
from kiosk.events import ConfigDidActivate, Event, EventBus, SessionDidEnd, SessionDidStart
from kiosk.flows.ports import (
    Applications,
    NoApplications,
    NoPrinter,
    NoServices,
    ReceiptPrinter,
    Services,
)
from kiosk.logs import Redactor, configure_logging
from offline_cache.snapshots import SnapshotCorruptError, SnapshotStore

if TYPE_CHECKING:
    from devices.manager import DeviceManager
    from kiosk.api_client import ApiClient
    from kiosk.fleet_loop import FleetLoop
    from kiosk.fleet_sync import FleetSync
    from kiosk.heartbeat import Heartbeat
    from kiosk.remote_config import ConfigProbation, RemoteConfigStore
    from kiosk.submissions import Submissions

log = logging.getLogger(__name__)

CATALOG_SNAPSHOT = "catalog"


def app_version() -> str:
    """The installed distribution's version (what heartbeats and config documents compare)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("civic-kiosk")
    except PackageNotFoundError:
        return "0.0.0"


@dataclass
class Kiosk:
    """The running kiosk's collaborators. Owned by whoever called ``build_kiosk``; close it when done."""

    config: KioskConfig
    clock: Clock
    post: Post
    events: EventBus
    redactor: Redactor
    work: BackgroundWork
    catalog: Catalog
    applications: Applications
    services: Services
    printer: ReceiptPrinter
    catalog_source: Callable[[], Catalog | None] | None = None
    api: ApiClient | None = None
    submissions: Submissions | None = None
    devices: DeviceManager | None = None
    device_objects: dict[str, Any] = field(default_factory=dict)
    remote_config: RemoteConfigStore | None = None
    fleet: FleetSync | None = None
    config_probation: ConfigProbation | None = None
    session_running: bool = False
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def on_close(self, closer: Callable[[], None]) -> None:
        """Register a shutdown step; steps run in reverse order of registration."""
        self._closers.append(closer)

    def publish_later(self, event: Event) -> None:
        """Publish ``event`` on the core thread; safe to call from any thread."""
        self.post(lambda: self.events.publish(event))

    def activate_config_if_idle(self) -> int | None:
        """Make a newly accepted remote config active if no citizen is being served; its version, or None.

        The document is stored as active at once and applies from the next start: an installed kiosk
        is restarted by its service manager between citizens (see ``ui/run.py``).
        """
        if self.remote_config is None:
            return None
        activated = self.remote_config.activate(session_running=self.session_running)
        if activated is None:
            return None
        log.info("remote configuration activated", extra={"version": activated.version})
        self.events.publish(ConfigDidActivate(activated.version))
        return activated.version

    def check_config_health(self) -> int | None:
        """Roll back a newly applied remote config that left the kiosk unable to reach the central
        service; the version now in force (0: the local config), or None when nothing was rolled back.

        Called after each fleet round and when a citizen leaves. Healthy means one heartbeat answered
        since this start; without one by the end of the probation window the previous good config is
        restored (never during a session) and ``ConfigDidActivate`` restarts an installed kiosk on it,
        as for an activation. The next heartbeat reports ``active_rolled_back`` to the fleet view.
        Without fleet sync there is no evidence either way, so nothing is decided.
        """
        if self.remote_config is None or self.config_probation is None or self.fleet is None:
            return None
        watched = self.config_probation.version
        answered = self.fleet.status.last_heartbeat_at is not None
        if not self.config_probation.check(answered=answered, session_running=self.session_running):
            return None
        version = self.remote_config.active_version
        log.warning(
            "remote configuration rolled back: no answer from the central service",
            extra={"version": watched, "restored_version": version},
        )
        self.events.publish(ConfigDidActivate(version))
        return version

    def close(self) -> None:
        """Stop background work, then release devices, the outbox and connections. Safe to call twice."""
        self.work.shutdown(wait=False)
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception:
                log.exception("shutdown step failed")


def build_kiosk(
    config: KioskConfig,
    *,
    post: Post,
    clock: Clock | None = None,
    redactor: Redactor | None = None,
    configure_logs: bool = True,
    catalog: Catalog | None = None,
    applications: Applications | None = None,
    services: Services | None = None,
    printer: ReceiptPrinter | None = None,
    devices: DeviceManager | None = None,
    connect_central: bool = True,
    connect_devices: bool = True,
) -> Kiosk:
    """Build the kiosk from ``config``. Seams passed in are used as they are and not built."""
    redactor = redactor or Redactor()
    clock = clock or SystemClock()
    store = _remote_config_store(config, clock)
    if store is not None:
        config = store.effective_config()  # the local file with the activated signed document over it
    if configure_logs:
        config.ensure_state_dir()
        configure_logging(level=config.logging.level, file=config.log_file, redactor=redactor)
    kiosk = Kiosk(
        config=config,
        clock=clock,
        post=post,
        events=EventBus(),
        redactor=redactor,
        work=BackgroundWork(post),
        catalog=catalog or builtin_catalog(),
        applications=applications or NoApplications(),
        services=services or NoServices(),
        printer=printer or NoPrinter(),
    )
    kiosk.remote_config = store
    if store is not None:
        from kiosk.remote_config import ConfigProbation

        # Built before any activation of this start: it watches the document this start runs.
        kiosk.config_probation = ConfigProbation(store, clock)
    _track_sessions(kiosk)
    if connect_central and applications is None and services is None:
        _connect_central(kiosk)
    if devices is not None:
        kiosk.devices = devices
    elif connect_devices:
        _connect_devices(kiosk)
    if printer is None and kiosk.devices is not None and "printer" in kiosk.devices.names:
        from kiosk.flows.devices import DevicePrinter

        kiosk.printer = DevicePrinter(kiosk.devices)
    if kiosk.api is not None and store is not None:
        _connect_fleet(kiosk, kiosk.api, store)
    log.info("kiosk built", extra={"kiosk_id": config.kiosk.id, "online_parts": _built_parts(kiosk)})
    return kiosk


def _remote_config_store(config: KioskConfig, clock: Clock) -> RemoteConfigStore | None:
    from kiosk.config import ConfigError
    from kiosk.fleet_sync import remote_config_store

    try:
        return remote_config_store(config, app_version=app_version(), clock=clock)
    except (ConfigError, OSError) as exc:
        log.error("remote configuration disabled: %s", exc)
        return None


def _track_sessions(kiosk: Kiosk) -> None:
    """Whether a citizen is being served; a config waiting for activation goes live when they leave."""

    def started(_: SessionDidStart) -> None:
        kiosk.session_running = True

    def ended(_: SessionDidEnd) -> None:
        kiosk.session_running = False
        # A roll-back held back during the session goes first: it restarts the kiosk anyway.
        if kiosk.check_config_health() is None:
            kiosk.activate_config_if_idle()

    kiosk.events.subscribe(SessionDidStart, started)
    kiosk.events.subscribe(SessionDidEnd, ended)


def _connect_fleet(kiosk: Kiosk, client: ApiClient, store: RemoteConfigStore) -> None:
    """Heartbeats and signed config on a thread of their own; activation decided on the core thread."""
    from kiosk.fleet_loop import FleetLoop
    from kiosk.fleet_sync import FleetSync, SyncStatus

    config = kiosk.config
    sync = FleetSync(
        client, store, lambda: _heartbeat(kiosk, store, sync), config_poll_s=config.fleet.config_poll_s
    )

    def after_round(status: SyncStatus) -> None:
        if status.online and kiosk.submissions is not None:
            kiosk.submissions.relay.connectivity.record_answer()  # an answer is an answer
        if kiosk.check_config_health() is None:  # a roll-back restarts the kiosk: nothing to add
            kiosk.activate_config_if_idle()

    loop: FleetLoop = FleetLoop(sync, kiosk.post, interval_s=config.fleet.heartbeat_s, on_round=after_round)
    kiosk.fleet = sync
    loop.start()
    kiosk.on_close(loop.stop)


def _heartbeat(kiosk: Kiosk, store: RemoteConfigStore, sync: FleetSync) -> Heartbeat:
    """This kiosk's health, no personal data: config versions, outbox figures, devices, disk, clock."""
    from datetime import UTC, datetime

    from kiosk.heartbeat import Heartbeat, disk_free

    counts: dict[str, int] = {}
    oldest: float | None = None
    last_sync: datetime | None = None
    if kiosk.submissions is not None:
        outbox = kiosk.submissions.outbox.status()
        counts, oldest = outbox.counts, outbox.oldest_pending_age_s
        if outbox.last_success_at is not None:
            last_sync = datetime.fromtimestamp(outbox.last_success_at, UTC)
    devices = (
        {name: report.health.value for name, report in kiosk.devices.report().items()}
        if kiosk.devices
        else {}
    )
    return Heartbeat(
        kiosk_id=kiosk.config.kiosk.id,
        app_version=app_version(),
        sent_at=kiosk.clock.now(),
        config_applied_version=store.active_version,
        config_trusted_version=store.trusted_version,
        outbox_ready=counts.get("ready", 0) + counts.get("in_flight", 0),
        outbox_dead=counts.get("dead", 0),
        outbox_oldest_pending_s=oldest,
        last_sync_at=last_sync,
        clock_offset_s=sync.status.clock_offset_s,
        disk_free_bytes=disk_free(kiosk.config.state_dir),
        devices=devices,
    )


def _built_parts(kiosk: Kiosk) -> list[str]:
    parts = {"api": kiosk.api, "outbox": kiosk.submissions, "devices": kiosk.devices}
    return sorted(name for name, part in parts.items() if part is not None)


def _connect_central(kiosk: Kiosk) -> None:
    """The API client, the outbox and relay, and the flows' ports over them."""
    from kiosk.api_client import ApiClient, load_secret
    from kiosk.flows.services import ApiServices, OutboxApplications
    from kiosk.submissions import Submissions

    config = kiosk.config
    try:
        secret = load_secret(config.credential_path)
    except OSError:
        log.warning("no kiosk credential: applications and live services are unavailable")
        return
    client = ApiClient(
        config.api.base_url,
        config.kiosk.id,
        secret,
        connect_timeout=config.api.connect_timeout_s,
        read_timeout=config.api.read_timeout_s,
        ca_file=config.api.ca_file,
        client_cert=(config.api.client_cert, config.api.client_key) if config.api.client_cert else None,
    )
    kiosk.api = client
    kiosk.on_close(client.close)
    try:
        submissions = Submissions.from_config(config, client, publish=kiosk.publish_later)
    except Exception as exc:  # the outbox is the one place applications are kept: say why it is missing
        log.error("outbox unavailable: %s", type(exc).__name__)
        return
    submissions.start()
    kiosk.on_close(submissions.close)
    kiosk.submissions = submissions
    kiosk.applications = OutboxApplications(submissions, client)
    answered = submissions.relay.connectivity.record_answer
    kiosk.services = ApiServices(client, on_answer=answered)

    kiosk.catalog_source = _catalog_source(client, SnapshotStore(config.state_dir / "snapshots"), answered)


def _catalog_source(
    client: ApiClient, snapshots: SnapshotStore, answered: Callable[[], None]
) -> Callable[[], Catalog | None]:
    """Fetch the central catalogue (with its ETag) on a worker thread; keep a snapshot of each new one.

    While the central service cannot be reached, the first call returns the last snapshot, so a kiosk
    restarted offline still offers the city's services. Returns None when nothing changed.
    """
    from kiosk.api_client import ApiError
    from kiosk.api_client import Catalog as ApiCatalog

    state: dict[str, str | None] = {"etag": None}

    def from_snapshot() -> Catalog | None:
        try:
            snapshot = snapshots.load(CATALOG_SNAPSHOT)
            if snapshot is None:
                return None
            catalog = Catalog.from_api(ApiCatalog.from_json(json.loads(snapshot.data), snapshot.etag or ""))
        except (SnapshotCorruptError, ValueError, KeyError, TypeError, CatalogError) as exc:
            log.warning("catalogue snapshot unusable: %s", type(exc).__name__)
            return None
        state["etag"] = snapshot.etag
        return catalog

    def fetch() -> Catalog | None:
        try:
            api_catalog = client.get_catalog(state["etag"])
        except ApiError:
            if state["etag"] is None and (catalog := from_snapshot()) is not None:
                return catalog
            raise
        answered()
        if api_catalog is None:
            return None  # not modified since the ETag we hold
        catalog = Catalog.from_api(api_catalog)
        snapshots.save(CATALOG_SNAPSHOT, json.dumps(api_catalog.raw).encode(), etag=api_catalog.etag)
        state["etag"] = api_catalog.etag
        return catalog

    return fetch


def _connect_devices(kiosk: Kiosk) -> None:
    """One driver per configured device kind, under a manager with a worker thread each."""
    from devices.base import DeviceError
    from devices.manager import DeviceManager
    from devices.registry import open_device

    config = kiosk.config
    manager = DeviceManager(kiosk.post)
    for kind, uri in (
        ("idcard", config.devices.idcard),
        ("scanner", config.devices.scanner),
        ("printer", config.devices.printer),
    ):
        try:
            device = open_device(kind, uri)
        except DeviceError as exc:
            log.error("device not configured", extra={"device": kind, "code": exc.code})
            continue
        manager.add(kind, device)
        kiosk.device_objects[kind] = device
    manager.start()
    kiosk.on_close(manager.stop)
    kiosk.devices = manager
