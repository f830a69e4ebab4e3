"""The composition root builds the whole graph from config, falls back to null objects, and closes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from kiosk.app import build_kiosk
from kiosk.config import KioskConfig
from kiosk.dispatch import QueuedPost
from kiosk.events import ApplicationDidSave
from kiosk.flows.ports import NoApplications, NoPrinter, NoServices
from tests.support.central import running_central


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
