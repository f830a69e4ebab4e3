"""The composition root builds the whole graph from config, falls back to null objects, and closes."""

from __future__ import annotations

from pathlib import Path

import pytest

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
