"""The signed-config loop end to end, against the real central service: an administrator signs a
document offline, publishes it, the kiosk's fleet sync fetches and verifies it, and it applies between
citizen sessions; documents not signed by a pinned key never apply; the kiosk keeps working offline."""

from __future__ import annotations

import json
import logging
import socket
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.admin_cli import main as admin_main
from kiosk.api_client import ApiClient
from kiosk.clock import Clock, FakeClock, SystemClock
from kiosk.config import KioskConfig
from kiosk.fleet_sync import FleetSync, heartbeat_report, remote_config_store
from kiosk.heartbeat import Heartbeat
from kiosk.remote_config import RemoteConfigStore
from tests.support.central import CentralServer, running_central


@pytest.fixture
def server() -> Iterator[CentralServer]:
    with running_central() as running:
        yield running


@pytest.fixture
def client(server: CentralServer) -> Iterator[ApiClient]:
    with server.client() as api:
        yield api


class Admin:
    """An administrator with an offline signing key whose public key the service knows."""

    def __init__(self, directory: Path, server: CentralServer, capsys: pytest.CaptureFixture[str]) -> None:
        self.directory, self.server, self.capsys = directory, server, capsys
        directory.mkdir()
        capsys.readouterr()
        assert admin_main(["keygen", "--out", str(directory / "admin.key")]) == 0
        printed = json.loads(capsys.readouterr().out)
        self.public_key: str = printed["public_key"]
        self.key_id: str = printed["keyid"]

    def sign(self, version: int, settings: str, scope: str, *options: str) -> Path:
        toml = self.directory / f"settings-{version}.toml"
        toml.write_text(settings, encoding="utf-8")
        out = self.directory / f"doc-{version}.json"
        args = ["sign", str(toml), "--key", str(self.directory / "admin.key"), "--version", str(version)]
        assert admin_main([*args, "--scope", scope, *options, "--out", str(out)]) == 0
        return out

    def publish(self, document: Path) -> tuple[int, str]:
        self.capsys.readouterr()
        code = admin_main(
            [
                "publish",
                str(document),
                "--central",
                self.server.base_url,
                "--admin-token",
                self.server.admin_token,
            ]
        )
        captured = self.capsys.readouterr()
        return code, captured.out + captured.err


def kiosk_store(
    tmp_path: Path, server: CentralServer, *pinned: str, clock: Clock | None = None
) -> RemoteConfigStore:
    local = KioskConfig.model_validate(
        {
            "kiosk": {"id": server.kiosk_id},
            "storage": {"state_dir": str(tmp_path / "state")},
            "fleet": {"pinned_keys": list(pinned)},
        }
    )
    return remote_config_store(local, app_version="0.1.0", clock=clock or SystemClock())


def heartbeat_source(server: CentralServer, store: RemoteConfigStore) -> Heartbeat:
    return Heartbeat(
        kiosk_id=server.kiosk_id,
        app_version="0.1.0",
        sent_at=datetime.now(UTC),
        config_applied_version=store.active_version,
        config_trusted_version=store.trusted_version,
        outbox_ready=0,
        outbox_dead=0,
        outbox_oldest_pending_s=None,
        last_sync_at=None,
        clock_offset_s=None,
        disk_free_bytes=1,
        devices={"printer": "online"},
    )


def my_listing(server: CentralServer) -> dict[str, Any]:
    listing = requests.get(server.base_url + "/v1/admin/kiosks", headers=server.admin_headers(), timeout=30)
    return next(k for k in listing.json() if k["kiosk_id"] == server.kiosk_id)


SETTINGS = """
[session]
idle_warning_s = 90
[ui]
voice = false
"""


def test_signed_published_document_applies_between_sessions_and_an_unpinned_one_never(
    tmp_path: Path, server: CentralServer, client: ApiClient, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = Admin(tmp_path / "admin", server, capsys)
    server.register_config_key(admin.public_key)
    store = kiosk_store(tmp_path, server, admin.public_key)
    sync = FleetSync(client, store, lambda: heartbeat_source(server, store))
    assert KioskConfig().session.idle_warning_s == 60 and KioskConfig().ui.voice is True

    nothing = sync.poll()  # no document yet: the local config stays, no error
    assert nothing.online and nothing.error is None and nothing.accepted_version is None

    code, said = admin.publish(admin.sign(1, SETTINGS, f"kiosk:{server.kiosk_id}"))
    assert code == 0 and "published: version 1" in said
    status = sync.poll()
    assert status.latest_config_version == 1
    assert status.accepted_version == 1 and status.rejection is None
    assert store.trusted_version == 1
    assert store.activate(session_running=True) is None  # never in the middle of a citizen's session
    assert store.effective_config().session.idle_warning_s == 60
    activated = store.activate(session_running=False)
    assert activated is not None and activated.version == 1
    effective = store.effective_config()
    assert effective.session.idle_warning_s == 90 and effective.ui.voice is False

    sync.poll()  # the next heartbeat reports the applied version: no lag in the fleet view
    assert "config_lag" not in my_listing(server)["alerts"]

    # Another key the service accepts (say, stolen from it) but this kiosk does not pin.
    intruder = Admin(tmp_path / "intruder", server, capsys)
    server.register_config_key(intruder.public_key)
    code, _ = intruder.publish(intruder.sign(2, "[session]\nidle_warning_s = 600\n", "fleet"))
    assert code == 0
    refused = sync.poll()
    assert refused.latest_config_version == 2
    assert refused.rejection == "unknown_key" and refused.accepted_version == 1
    assert store.trusted_version == 1
    assert store.activate(session_running=False) is None
    assert store.effective_config().session.idle_warning_s == 90
    sync.poll()  # the rejection travels with the next heartbeat
    mine = my_listing(server)
    assert mine["config_rejection"] == "unknown_key" and "config_rejected" in mine["alerts"]


def test_the_kiosk_keeps_working_offline_and_catches_up(
    tmp_path: Path, server: CentralServer, client: ApiClient, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = Admin(tmp_path / "admin", server, capsys)
    server.register_config_key(admin.public_key)
    store = kiosk_store(tmp_path, server, admin.public_key)
    sync = FleetSync(client, store, lambda: heartbeat_source(server, store))
    assert admin.publish(admin.sign(1, SETTINGS, "fleet"))[0] == 0
    server.stop()
    offline = sync.poll()  # swallowed, not raised
    assert offline.online is False and offline.error and offline.accepted_version is None
    assert store.effective_config().session.idle_warning_s == 60
    server.start()
    online = sync.poll()
    assert online.online is True and online.error is None and online.accepted_version == 1


def test_periodic_check_uses_the_etag_and_changes_nothing(
    tmp_path: Path, server: CentralServer, client: ApiClient, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = Admin(tmp_path / "admin", server, capsys)
    server.register_config_key(admin.public_key)
    store = kiosk_store(tmp_path, server, admin.public_key)
    now = [1000.0]
    sync = FleetSync(
        client, store, lambda: heartbeat_source(server, store), config_poll_s=60, monotonic=lambda: now[0]
    )
    assert admin.publish(admin.sign(3, SETTINGS, "fleet"))[0] == 0
    first = sync.poll()
    assert first.accepted_version == 3 and first.last_config_check_at is not None
    sync.poll()  # up to date and not due: no fetch
    assert sync.status.last_config_check_at == first.last_config_check_at
    now[0] += 61
    checked = sync.poll()  # due: a conditional fetch answered 304
    assert (
        checked.last_config_check_at is not None and checked.last_config_check_at > first.last_config_check_at
    )
    assert checked.accepted_version == 3 and checked.rejection is None and checked.error is None
    assert store.trusted_version == 3


def test_publish_refusals_are_one_line_with_a_failing_exit_code(
    tmp_path: Path, server: CentralServer, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = Admin(tmp_path / "admin", server, capsys)
    document = admin.sign(4, SETTINGS, "fleet")
    code, said = admin.publish(document)  # the key is not registered yet
    assert code == 1 and "refused (422 unknown-config-key)" in said and said.count("\n") == 1
    server.register_config_key(admin.public_key)
    assert admin.publish(document)[0] == 0
    code, said = admin.publish(document)
    assert code == 1 and "refused (409 stale-config-version)" in said
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    code = admin_main(
        ["publish", str(document), "--central", f"http://127.0.0.1:{closed_port}", "--admin-token", "x"]
    )
    said = capsys.readouterr().err
    assert code == 2 and "cannot reach the central service" in said and said.count("\n") == 1
    code = admin_main(["publish", str(document), "--central", server.base_url, "--admin-token", "wrong"])
    assert code == 1 and "refused (401" in capsys.readouterr().err


def test_heartbeat_report_is_the_service_wire_format() -> None:
    beat = Heartbeat(
        kiosk_id="zmd-hall-07",
        app_version="0.1.0",
        sent_at=datetime(2026, 6, 1, 8, 0, tzinfo=UTC),
        config_applied_version=3,
        config_trusted_version=4,
        outbox_ready=2,
        outbox_dead=1,
        outbox_oldest_pending_s=95.0,
        last_sync_at=None,
        clock_offset_s=-0.4,
        disk_free_bytes=10,
        devices={"idcard": "online"},
    )
    report = heartbeat_report(beat, config_rejection="expired")
    assert report["applied_config_version"] == 3 and report["trusted_config_version"] == 4
    assert report["oldest_pending_age_s"] == 95.0
    assert report["devices"] == [{"name": "idcard", "health": "online"}]
    assert report["config_rejection"] == "expired"
    assert "kiosk_id" not in report  # the signed request says who is speaking


def test_an_expired_active_document_does_not_stop_heartbeats_or_its_replacement(
    tmp_path: Path, server: CentralServer, client: ApiClient, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = Admin(tmp_path / "admin", server, capsys)
    server.register_config_key(admin.public_key)
    clock = FakeClock(datetime.now(UTC))  # the kiosk's clock, moved on to when the document lapsed
    store = kiosk_store(tmp_path, server, admin.public_key, clock=clock)
    sync = FleetSync(client, store, lambda: heartbeat_source(server, store))
    assert admin.publish(admin.sign(1, SETTINGS, "fleet", "--expires-days", "1"))[0] == 0
    assert sync.poll().accepted_version == 1
    assert store.activate(session_running=False) is not None
    clock.advance(timedelta(days=2).total_seconds())

    assert admin.publish(admin.sign(2, SETTINGS, "fleet"))[0] == 0
    status = sync.poll()  # a restart would not help either: the lapsed document is still the active one
    assert status.online and status.error is None
    assert status.active_rejection == "expired" and status.active_rejection_detail
    assert status.latest_config_version == 2 and status.accepted_version == 2  # fetched all the same
    mine = my_listing(server)  # this round's heartbeat arrived and says what is wrong
    assert mine["online"] and mine["applied_config_version"] == 0
    assert mine["config_rejection"] == "active_expired" and "config_rejected" in mine["alerts"]

    activated = store.activate(session_running=False)
    assert activated is not None and activated.version == 2
    assert store.effective_config().session.idle_warning_s == 90
    assert sync.poll().active_rejection is None
    mine = my_listing(server)
    assert mine["applied_config_version"] == 2 and mine["config_rejection"] is None
    assert "config_rejected" not in mine["alerts"] and "config_lag" not in mine["alerts"]


def test_a_failing_heartbeat_source_still_sends_a_heartbeat_and_fetches(
    tmp_path: Path,
    server: CentralServer,
    client: ApiClient,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = Admin(tmp_path / "admin", server, capsys)
    server.register_config_key(admin.public_key)
    store = kiosk_store(tmp_path, server, admin.public_key)
    broken = [True]

    def source() -> Heartbeat:
        if broken[0]:  # say the outbox database is locked, its message quoting an applicant
            raise sqlite3.OperationalError("database is locked while saving Zhang Wei's application")
        return heartbeat_source(server, store)

    sync = FleetSync(client, store, source)
    assert admin.publish(admin.sign(1, SETTINGS, "fleet"))[0] == 0
    with caplog.at_level(logging.WARNING, logger="kiosk.fleet_sync"):
        status = sync.poll()
    assert status.online and status.last_heartbeat_at is not None
    assert status.error == "heartbeat incomplete: OperationalError"
    assert status.accepted_version == 1  # the config fetch was not skipped
    mine = my_listing(server)
    assert mine["online"] and mine["app_version"] == "0.1.0" and mine["applied_config_version"] == 0
    assert "Zhang Wei" not in caplog.text and "OperationalError" in caplog.text

    broken[0] = False
    assert sync.poll().error is None
