"""The heartbeat a kiosk sends about every 60 s: health for the fleet view, never personal data.

What it says: kiosk id, app version, applied and trusted config versions, outbox counts and the age of
the oldest pending application, the last successful sync, the clock offset to the server, free disk,
each device's health, and whether the maintenance mode is on. The server counts a kiosk offline after
two or three missed beats and alerts on dead letters, stale queues and config lag.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

HEARTBEAT_INTERVAL_S = 60.0


@dataclass(frozen=True)
class Heartbeat:
    kiosk_id: str
    app_version: str
    sent_at: datetime
    config_applied_version: int
    config_trusted_version: int
    outbox_ready: int
    outbox_dead: int
    outbox_oldest_pending_s: float | None
    last_sync_at: datetime | None
    clock_offset_s: float | None
    disk_free_bytes: int
    devices: Mapping[str, str] = field(default_factory=dict)
    maintenance_mode: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["sent_at"] = self.sent_at.isoformat()
        data["last_sync_at"] = self.last_sync_at.isoformat() if self.last_sync_at else None
        data["devices"] = dict(self.devices)
        return data


def disk_free(path: Path) -> int:
    """Free bytes on the file system holding ``path`` (0 if it cannot be read)."""
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return 0


def next_delay(
    interval_s: float = HEARTBEAT_INTERVAL_S, *, rng: Callable[[], float] = random.random
) -> float:
    """The wait before the next beat: ±20 % jitter so a fleet restarted together spreads out."""
    return interval_s * (0.8 + 0.4 * rng())


def clock_offset(server_date: datetime | None, sent: datetime, received: datetime) -> float | None:
    """Server time minus local time at the midpoint of the exchange (seconds), if the server said."""
    if server_date is None:
        return None
    midpoint = sent + (received - sent) / 2
    return (server_date - midpoint).total_seconds()
