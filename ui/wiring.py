"""Builds the flows' seams from the kiosk's configuration: the real pieces where they are configured,
null objects where they are not (no outbox: applications cannot be taken; no printer: QR on screen).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from kiosk.catalog import Catalog, builtin_catalog
from kiosk.config import KioskConfig
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
    closers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        while self.closers:
            try:
                self.closers.pop()()
            except Exception:
                log.exception("closing a backend failed")


def build_backends(config: KioskConfig) -> Backends:
    """The real backends for ``config``; parts that cannot be built fall back to null objects."""
    backends = Backends(builtin_catalog(), NoApplications(), NoServices(), NoPrinter())
    try:
        from kiosk.flows.services import connect_backends
    except ImportError:
        log.warning("central service adapters unavailable; running with null services")
        return backends
    return connect_backends(config, backends)
