"""The signed-config loop end to end, against the real central service: an administrator signs a
document offline, publishes it, the kiosk's fleet sync fetches and verifies it, and it applies between
citizen sessions; documents not signed by a pinned key never apply; the kiosk keeps working offline."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sqlite3
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
    return local_heartbeat(server.kiosk_id, store)


def local_heartbeat(kiosk_id: str, store: RemoteConfigStore) -> Heartbeat:
    return Heartbeat(
        kiosk_id=kiosk_id,
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


# -- a gateway or a broken service in front of the kiosk -------------------------------------------


class Service:
    """A real HTTP server on 127.0.0.1 answering the kiosk's fleet calls; ``answer`` writes each reply.

    It counts the requests per path and keeps each heartbeat's JSON body.
    """

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler, Service], None]) -> None:
        self.answer = answer
        self.calls: dict[str, int] = {}
        self.heartbeats: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.handle_any()

            def do_POST(self) -> None:
                self.handle_any()

            def handle_any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with service.lock:
                    service.calls[self.path] = service.calls.get(self.path, 0) + 1
                    if self.path == "/v1/heartbeats":
                        service.heartbeats.append(json.loads(body))
                # The kiosk hangs up on a body it refuses: the rest of the write fails, as it would.
                with contextlib.suppress(OSError):
                    service.answer(self, service)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def count(self, path: str) -> int:
        with self.lock:
            return self.calls.get(path, 0)

    def __enter__(self) -> Service:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def reply(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str, **headers: str
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def gateway_down(handler: BaseHTTPRequestHandler, _service: Service) -> None:
    """What a reverse proxy answers while the approval API behind it is down."""
    page = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
    reply(handler, 503, page, "text/html", Retry_After="30")


def test_a_gateway_503_is_offline_and_does_not_count_as_an_answer(tmp_path: Path) -> None:
    from kiosk.app import build_kiosk
    from kiosk.dispatch import QueuedPost
    from kiosk.events import ConnectivityDidChange
    from kiosk.submissions import Queued

    with Service(gateway_down) as gateway:
        credential = tmp_path / "credential"
        credential.write_bytes(b"kiosk-secret")
        config = KioskConfig.model_validate(
            {
                "kiosk": {"id": "gw-kiosk-01"},
                "api": {"base_url": gateway.base_url, "credential_path": str(credential)},
                "storage": {"state_dir": str(tmp_path / "state")},
            }
        )
        post = QueuedPost()
        kiosk = build_kiosk(config, post=post, configure_logs=False, connect_devices=False)
        changes: list[ConnectivityDidChange] = []
        kiosk.events.subscribe(ConnectivityDidChange, changes.append)
        try:
            assert kiosk.submissions is not None and kiosk.fleet is not None
            saved = kiosk.submissions.save("demo-item", {"name": "测试"}, {}, None)
            assert kiosk.submissions.submit_now(saved.application_id) == Queued(
                saved.application_id, "offline"
            )
            post.drain()
            assert not kiosk.submissions.is_online
            deadline = time.monotonic() + 30
            while gateway.count("/v1/heartbeats") == 0 and time.monotonic() < deadline:
                time.sleep(0.05)  # the fleet thread's first round
            assert gateway.count("/v1/heartbeats") == 1
            assert post.drain(timeout=10) >= 1  # the round's result, handled on the core thread
            status = kiosk.fleet.status
            assert status.online is False and status.error and "503" in status.error
            assert gateway.count("/v1/config") == 0  # nothing answered: no config fetch either
            # The citizen screen's indicator stays offline: the heartbeat did not undo the failure.
            assert not kiosk.submissions.is_online
            assert ConnectivityDidChange(True) not in changes
        finally:
            kiosk.close()


# -- the config document's size limit, enforced while downloading -----------------------------------

OVERSIZE_BYTES = 32 * 1024 * 1024
CONFIG_ETAG = '"oversize-2"'


def oversize_envelope() -> bytes:
    """A signed-config envelope (valid JSON) far over the limit: a 32 MiB payload."""
    head = b'{"key_id": "0000000000000000", "algorithm": "ed25519", "signature": "", "payload": "'
    return head + b"A" * (OVERSIZE_BYTES - len(head) - 2) + b'"}'


def broken_service(framing: str) -> Callable[[BaseHTTPRequestHandler, Service], None]:
    """Heartbeats answered (version 2 is waiting); the config sent with ``framing``:

    ``content-length`` (announced honestly), ``long-length`` (announces twice what it sends, then
    hangs up), ``no-length`` (none: the body ends when the connection closes) or ``chunked``.
    """
    body = oversize_envelope()

    def answer(handler: BaseHTTPRequestHandler, _service: Service) -> None:
        if handler.path == "/v1/heartbeats":
            ack = {
                "received_at": datetime.now(UTC).isoformat(),
                "clock_offset_s": 0.0,
                "latest_config_version": 2,
            }
            reply(handler, 200, json.dumps(ack).encode(), "application/json")
            return
        if handler.headers.get("If-None-Match") == CONFIG_ETAG:
            handler.send_response(304)
            handler.send_header("ETag", CONFIG_ETAG)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("ETag", CONFIG_ETAG)
        if framing == "content-length":
            handler.send_header("Content-Length", str(len(body)))
        elif framing == "long-length":
            handler.send_header("Content-Length", str(2 * len(body)))
            handler.close_connection = True
        elif framing == "chunked":
            handler.send_header("Transfer-Encoding", "chunked")
        else:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        view = memoryview(body)
        for start in range(0, len(body), 64 * 1024):
            chunk = view[start : start + 64 * 1024]
            if framing == "chunked":
                handler.wfile.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            else:
                handler.wfile.write(chunk)
        if framing == "chunked":
            handler.wfile.write(b"0\r\n\r\n")

    return answer


def offline_store(tmp_path: Path) -> RemoteConfigStore:
    local = KioskConfig.model_validate(
        {"kiosk": {"id": "gw-kiosk-02"}, "storage": {"state_dir": str(tmp_path / "state")}}
    )
    return remote_config_store(local, app_version="0.1.0", clock=SystemClock())


def traced_poll(sync: FleetSync) -> tuple[Any, int]:
    """One round, and the most memory Python held during it (bytes)."""
    tracemalloc.start()
    try:
        status = sync.poll()
        return status, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("framing", ["content-length", "long-length", "no-length", "chunked"])
def test_an_oversize_config_is_refused_while_downloading_and_heartbeats_go_on(
    tmp_path: Path, framing: str
) -> None:
    from kiosk.remote_config import MAX_DOCUMENT_BYTES

    with Service(broken_service(framing)) as service:
        store = offline_store(tmp_path)
        client = ApiClient(service.base_url, "gw-kiosk-02", b"secret", connect_timeout=2.0, read_timeout=10.0)
        with client:
            sync = FleetSync(client, store, lambda: local_heartbeat("gw-kiosk-02", store))
            status, peak = traced_poll(sync)
            assert status.online and status.latest_config_version == 2
            assert status.rejection == "too_large" and status.accepted_version is None
            assert status.rejection_detail == f"more than {MAX_DOCUMENT_BYTES} bytes"
            assert peak < 4 * MAX_DOCUMENT_BYTES  # not the 32 MiB sent: at most the limit was kept
            assert store.trusted_version == 0 and store.effective_config().session.idle_warning_s == 60

            # The next heartbeat goes out (the unread rest of the body did not stay on a pooled
            # connection) and carries the refusal.
            again = sync.poll()
            assert again.online and again.rejection == "too_large"
            assert service.count("/v1/heartbeats") == 2
            assert service.heartbeats[-1]["config_rejection"] == "too_large"
            assert service.count("/v1/config") == 2  # asked again with its ETag: answered 304, not resent
