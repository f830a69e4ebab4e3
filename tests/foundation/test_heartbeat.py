"""Heartbeat payload: health only, no personal data, jittered interval, clock offset."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.heartbeat import Heartbeat, clock_offset, disk_free, next_delay


def test_heartbeat_json_has_the_fleet_fields_and_nothing_personal(tmp_path: Path) -> None:
    beat = Heartbeat(
        kiosk_id="zmd-hall-07",
        app_version="0.1.0",
        sent_at=datetime(2026, 6, 1, 8, 0, tzinfo=UTC),
        config_applied_version=3,
        config_trusted_version=4,
        outbox_ready=2,
        outbox_dead=0,
        outbox_oldest_pending_s=95.0,
        last_sync_at=None,
        clock_offset_s=-0.4,
        disk_free_bytes=disk_free(tmp_path),
        devices={"idcard": "online", "printer": "user_error"},
    )
    data = json.loads(json.dumps(beat.to_json()))
    assert data["kiosk_id"] == "zmd-hall-07"
    assert data["devices"] == {"idcard": "online", "printer": "user_error"}
    assert data["disk_free_bytes"] > 0
    assert data["sent_at"] == "2026-06-01T08:00:00+00:00"


def test_interval_is_jittered_within_twenty_percent() -> None:
    assert next_delay(60, rng=lambda: 0.0) == 48
    assert next_delay(60, rng=lambda: 1.0) == pytest.approx(72)


def test_clock_offset_uses_the_midpoint_of_the_exchange() -> None:
    sent = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    received = sent + timedelta(seconds=2)
    assert clock_offset(sent + timedelta(seconds=31), sent, received) == 30.0
    assert clock_offset(None, sent, received) is None
