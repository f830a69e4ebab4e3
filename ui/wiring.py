"""Builds the flows' seams from the kiosk's configuration: the real pieces where they are configured,
null objects where they are not (no credential: applications cannot be taken and live services are
unavailable; no printer: the receipt's QR code on screen).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.catalog import Catalog, builtin_catalog
from kiosk.config import KioskConfig
from kiosk.dispatch import Post
from kiosk.flows.ports import (
    Applications,
    NoApplications,
    NoPrinter,
    NoServices,
    ReceiptPrinter,
    Services,
)

log = logging.getLogger(__name__)


@dataclass
class Backends:
    catalog: Catalog
    applications: Applications
    services: Services
    printer: ReceiptPrinter
    catalog_source: Callable[[], Catalog | None] | None = None
    devices: Any = None
    device_objects: dict[str, Any] = field(default_factory=dict)
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        while self.closers:
            try:
                self.closers.pop()()
            except Exception:
                log.exception("closing a backend failed")


def build_backends(config: KioskConfig, post: Post) -> Backends:
    """The real backends for ``config``; parts that cannot be built fall back to null objects."""
    backends = Backends(builtin_catalog(), NoApplications(), NoServices(), NoPrinter())
    _connect_central(config, backends)
    _connect_devices(config, post, backends)
    return backends


def _connect_central(config: KioskConfig, backends: Backends) -> None:
    from kiosk.api_client import ApiClient, load_secret
    from kiosk.catalog import Catalog
    from kiosk.flows.services import ApiServices, OutboxApplications
    from kiosk.submissions import Submissions

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
    )
    backends.closers.append(client.close)
    try:
        submissions = Submissions.from_config(config, client)
    except Exception as exc:  # the outbox is the one place applications are kept: say why it is missing
        log.error("outbox unavailable: %s", type(exc).__name__)
        return
    submissions.start()
    backends.closers.append(submissions.close)
    backends.applications = OutboxApplications(submissions, client)
    answered = submissions.relay.connectivity.record_answer
    backends.services = ApiServices(client, on_answer=answered)

    etag: list[str | None] = [None]  # the last version seen; only this worker function touches it

    def fetch_catalog() -> Catalog | None:
        """The catalogue if it changed since the last fetch, else None (a cheap 304 answer)."""
        api_catalog = client.get_catalog(etag[0])
        answered()
        if api_catalog is None:
            return None
        etag[0] = api_catalog.etag or None
        return Catalog.from_api(api_catalog)

    backends.catalog_source = fetch_catalog


def _connect_devices(config: KioskConfig, post: Post, backends: Backends) -> None:
    from devices.base import DeviceError
    from devices.manager import DeviceManager
    from devices.registry import open_device
    from kiosk.flows.devices import DevicePrinter

    manager = DeviceManager(post)
    for kind, uri in (
        ("idcard", config.devices.idcard),
        ("scanner", config.devices.scanner),
        ("printer", config.devices.printer),
    ):
        try:
            device = open_device(kind, uri)
            manager.add(kind, device)
            backends.device_objects[kind] = device
        except DeviceError as exc:
            log.error("device not configured", extra={"device": kind, "code": exc.code})
    manager.start()
    backends.closers.append(manager.stop)
    backends.devices = manager
    if "printer" in manager.names:
        backends.printer = DevicePrinter(manager)
