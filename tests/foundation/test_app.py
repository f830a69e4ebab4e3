"""The composition root builds the whole graph from config, falls back to null objects, and closes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from kiosk.app import Kiosk, build_kiosk
from kiosk.clock import FakeClock
from kiosk.config import KioskConfig
from kiosk.dispatch import QueuedPost
from kiosk.events import ApplicationDidSave
from kiosk.flows.ports import NoApplications, NoPrinter, NoServices
from kiosk.remote_config import PROBATION_S
from tests.support.central import CentralServer, running_central


def config_for(tmp_path: Path, **tables: dict) -> KioskConfig:
    data = {"storage": {"state_dir": str(tmp_path / "state")}, **tables}
    return KioskConfig.model_validate(data)


def test_without_a_credential_the_kiosk_still_runs_on_null_objects(tmp_path: Path) -> None:
    kiosk = build_kiosk(config_for(tmp_path), post=QueuedPost(), configure_logs=False, connect_devices=False)
    try:
        assert kiosk.api is None and kiosk.submissions is None
        assert isinstance(kiosk.applications, NoApplications)
        assert isinstance(kiosk.services, NoServices)
        assert isinstance(kiosk.printer, NoPrinter)
        assert len(kiosk.catalog.items) > 0  # the built-in catalogue until the central one is fetched
    finally:
        kiosk.close()


def test_real_graph_against_the_central_service_and_simulated_devices(tmp_path: Path) -> None:
    post = QueuedPost()
    with running_central(kiosk_id="app-kiosk-01") as server:
        credential = tmp_path / "credential"
        credential.write_bytes(server.secret)
        config = config_for(
            tmp_path,
            kiosk={"id": server.kiosk_id},
            api={"base_url": server.base_url, "credential_path": str(credential)},
        )
        kiosk = build_kiosk(config, post=post, configure_logs=False)
        saved: list[ApplicationDidSave] = []
        kiosk.events.subscribe(ApplicationDidSave, saved.append)
        try:
            assert kiosk.api is not None and kiosk.submissions is not None
            assert kiosk.devices is not None
            assert set(kiosk.devices.names) == {"idcard", "scanner", "printer"}
            assert type(kiosk.printer).__name__ == "DevicePrinter"
            catalog = kiosk.catalog_source() if kiosk.catalog_source else None
            assert catalog is not None and len(catalog.items) > 1000  # the city's catalogue, fetched
            application = kiosk.submissions.save("demo-item", {"name": "测试"}, {}, None)
            for _ in range(20):  # the outbox publishes from its own thread, through post
                post.drain(timeout=0.1)
                if saved:
                    break
            assert [event.application_id for event in saved] == [application.application_id]
        finally:
            kiosk.close()
            kiosk.close()  # twice is harmless


def test_a_kiosk_restarted_offline_still_offers_the_city_catalogue(tmp_path: Path) -> None:
    from kiosk.api_client import NetworkError

    with running_central(kiosk_id="app-kiosk-02") as server:
        credential = tmp_path / "credential"
        credential.write_bytes(server.secret)
        config = config_for(
            tmp_path,
            kiosk={"id": server.kiosk_id},
            api={"base_url": server.base_url, "credential_path": str(credential), "connect_timeout_s": 0.5},
        )
        first = build_kiosk(config, post=QueuedPost(), configure_logs=False, connect_devices=False)
        try:
            assert first.catalog_source is not None
            online = first.catalog_source()
            assert online is not None and len(online.items) > 1000
            assert first.catalog_source() is None  # unchanged since the ETag it holds
        finally:
            first.close()
        server.stop()
        restarted = build_kiosk(config, post=QueuedPost(), configure_logs=False, connect_devices=False)
        try:
            assert restarted.catalog_source is not None
            offline = restarted.catalog_source()
            assert offline is not None
            assert [item.code for item in offline.items] == [item.code for item in online.items]
        finally:
            restarted.close()
        (tmp_path / "state" / "snapshots" / "catalog.snapshot").write_bytes(b"torn")
        broken = build_kiosk(config, post=QueuedPost(), configure_logs=False, connect_devices=False)
        try:
            assert broken.catalog_source is not None
            with pytest.raises(NetworkError):  # no snapshot to fall back on: the built-in one stays
                broken.catalog_source()
        finally:
            broken.close()


def test_signed_config_reaches_the_running_kiosk_and_applies_between_citizens(tmp_path: Path, capsys) -> None:
    from kiosk.admin_cli import main as admin_main
    from kiosk.events import ConfigDidActivate, SessionDidEnd, SessionDidStart

    capsys.readouterr()
    assert admin_main(["keygen", "--out", str(tmp_path / "admin.key")]) == 0
    public_key = json.loads(capsys.readouterr().out)["public_key"]
    settings = tmp_path / "settings.toml"
    settings.write_text("[session]\nidle_warning_s = 90\n", encoding="utf-8")
    document = tmp_path / "doc.json"
    sign = [
        "sign",
        str(settings),
        "--key",
        str(tmp_path / "admin.key"),
        "--version",
        "7",
        "--out",
        str(document),
    ]
    assert admin_main(sign) == 0
    with running_central(kiosk_id="app-kiosk-03") as server:
        server.register_config_key(public_key)
        publish = [
            "publish",
            str(document),
            "--central",
            server.base_url,
            "--admin-token",
            server.admin_token,
        ]
        assert admin_main(publish) == 0
        credential = tmp_path / "credential"
        credential.write_bytes(server.secret)
        config = config_for(
            tmp_path,
            kiosk={"id": server.kiosk_id},
            api={"base_url": server.base_url, "credential_path": str(credential)},
            fleet={"pinned_keys": [public_key]},
        )
        kiosk = build_kiosk(config, post=QueuedPost(), configure_logs=False, connect_devices=False)
        activated: list[ConfigDidActivate] = []
        kiosk.events.subscribe(ConfigDidActivate, activated.append)
        try:
            assert kiosk.fleet is not None and kiosk.remote_config is not None
            kiosk.events.publish(SessionDidStart())  # a citizen is at the screen
            status = kiosk.fleet.poll()  # what the fleet thread does every minute
            assert status.online and status.accepted_version == 7
            assert kiosk.activate_config_if_idle() is None  # not while the citizen is served
            kiosk.events.publish(SessionDidEnd("finished"))
            assert [event.version for event in activated] == [7]
            fleet = requests.get(
                server.base_url + "/v1/admin/kiosks", headers=server.admin_headers(), timeout=10
            )
            assert fleet.status_code == 200
            (listed,) = [k for k in fleet.json() if k["kiosk_id"] == server.kiosk_id]
            assert listed["online"] is True  # our heartbeat arrived, signed, with health only
        finally:
            kiosk.close()
        restarted = build_kiosk(config, post=QueuedPost(), configure_logs=False, connect_devices=False)
        try:
            assert restarted.config.session.idle_warning_s == 90  # the signed layer over the local file
            assert restarted.config.kiosk.id == server.kiosk_id
        finally:
            restarted.close()


class ConfigAdmin:
    """An administrator who signs documents offline and publishes them to the real central service."""

    def __init__(self, server: CentralServer) -> None:
        import base64

        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        self.server = server
        self.key = Ed25519PrivateKey.generate()
        raw = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode()
        server.register_config_key(self.public_key)

    def publish(self, version: int, settings: dict) -> None:
        from datetime import UTC, datetime, timedelta

        from kiosk.remote_config import sign_document

        now = datetime.now(UTC)
        signed = {
            "type": "kiosk-config",
            "schema_version": 1,
            "config_id": f"cfg-{version}",
            "version": version,
            "issued_at": now.isoformat(),
            "expires": (now + timedelta(days=90)).isoformat(),
            "scope": {"kiosk": self.server.kiosk_id},
            "min_app_version": "0.0.0",
            "activation": {"at_idle": True, "not_before": None},
            "settings": settings,
            "maintenance": {"pin_hashes": []},
        }
        response = requests.put(
            self.server.base_url + "/v1/admin/config",
            data=sign_document(signed, self.key),
            headers={**self.server.admin_headers(), "Content-Type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 200, response.text


def closed_port() -> int:
    """A local port nothing listens on: connections to it are refused at once."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fleet_config(tmp_path: Path, server: CentralServer, admin: ConfigAdmin) -> KioskConfig:
    credential = tmp_path / "credential"
    credential.write_bytes(server.secret)
    return config_for(
        tmp_path,
        kiosk={"id": server.kiosk_id},
        api={"base_url": server.base_url, "credential_path": str(credential), "connect_timeout_s": 0.5},
        fleet={"pinned_keys": [admin.public_key]},
    )


def start(config: KioskConfig, clock: FakeClock) -> Kiosk:
    """A kiosk start, as after the service manager's restart; the fleet thread's own rounds are not
    drained (the test runs the rounds itself, as the thread would)."""
    return build_kiosk(config, post=QueuedPost(), clock=clock, configure_logs=False, connect_devices=False)


def round_then_activate(kiosk: Kiosk) -> tuple[int | None, int | None]:
    """One fleet round and what the app does after it: (rolled back to, activated version)."""
    assert kiosk.fleet is not None
    kiosk.fleet.poll()
    return kiosk.check_config_health(), kiosk.activate_config_if_idle()


def test_a_config_that_cuts_the_kiosk_off_is_rolled_back_and_not_reactivated(tmp_path: Path) -> None:
    from kiosk.events import ConfigDidActivate, SessionDidEnd, SessionDidStart

    clock = FakeClock(datetime.now(UTC))
    with running_central(kiosk_id="app-kiosk-04") as server:
        admin = ConfigAdmin(server)
        config = fleet_config(tmp_path, server, admin)
        admin.publish(2, {"api": {"base_url": f"http://127.0.0.1:{closed_port()}"}})
        kiosk = start(config, clock)
        try:
            assert round_then_activate(kiosk) == (None, 2)  # valid and signed, so it is activated
        finally:
            kiosk.close()

        cut_off = start(config, clock)  # the restart that applies it: no central service there
        restarts: list[ConfigDidActivate] = []
        cut_off.events.subscribe(ConfigDidActivate, restarts.append)
        try:
            assert cut_off.config.api.base_url != server.base_url
            assert round_then_activate(cut_off) == (None, None)  # within probation: not yet judged
            clock.advance(PROBATION_S + 1)
            cut_off.events.publish(SessionDidStart())
            assert round_then_activate(cut_off) == (None, None)  # not while a citizen is served
            cut_off.events.publish(SessionDidEnd("finished"))  # then at once: the restart applies it
            assert [event.version for event in restarts] == [0]  # back to the local config
        finally:
            cut_off.close()

        restored = start(config, clock)
        try:
            assert restored.config.api.base_url == server.base_url
            # The same bad document is fetched again, but never activated again.
            assert round_then_activate(restored) == (None, None)
            assert round_then_activate(restored) == (None, None)
            assert restored.remote_config is not None and restored.remote_config.active_version == 0
            listed = listing(server)
            assert listed["config_rejection"] == "active_rolled_back"
            assert "config_rejected" in listed["alerts"]
            admin.publish(3, {"session": {"idle_warning_s": 90}})  # the fixed document
            assert round_then_activate(restored) == (None, 3)
        finally:
            restored.close()

        fixed = start(config, clock)
        try:
            assert fixed.config.session.idle_warning_s == 90 and fixed.config.api.base_url == server.base_url
            assert round_then_activate(fixed) == (None, None)  # answered: confirmed
            assert listing(server)["config_rejection"] is None
        finally:
            fixed.close()


def test_a_config_that_keeps_the_kiosk_in_contact_is_kept_after_probation(tmp_path: Path) -> None:
    clock = FakeClock(datetime.now(UTC))
    with running_central(kiosk_id="app-kiosk-05") as server:
        admin = ConfigAdmin(server)
        config = fleet_config(tmp_path, server, admin)
        admin.publish(4, {"session": {"idle_warning_s": 90}})
        kiosk = start(config, clock)
        try:
            assert round_then_activate(kiosk) == (None, 4)
        finally:
            kiosk.close()
        applied = start(config, clock)
        try:
            assert round_then_activate(applied) == (None, None)
            clock.advance(PROBATION_S + 1)
            server.stop()  # a later outage is not the document's fault: it stays
            assert round_then_activate(applied) == (None, None)
            assert applied.remote_config is not None and applied.remote_config.active_version == 4
        finally:
            applied.close()
        again = start(config, clock)
        try:
            assert again.config.session.idle_warning_s == 90
        finally:
            again.close()


def listing(server: CentralServer) -> dict:
    """This kiosk's row in the fleet view an operator reads."""
    response = requests.get(server.base_url + "/v1/admin/kiosks", headers=server.admin_headers(), timeout=10)
    assert response.status_code == 200
    return next(k for k in response.json() if k["kiosk_id"] == server.kiosk_id)
