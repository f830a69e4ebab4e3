"""Fixtures for the outbox tests: a fake clock, a sealer, and a fault-injecting HTTP server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from offline_cache.outbox import Outbox
from offline_cache.sealing import Sealer
from offline_cache.sync import DeliveryFailed

DEVICE_KEY = bytes(range(32))


class FakeClock:
    """Epoch seconds that only move when a test says so."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(DEVICE_KEY, rotation_seconds=24 * 3600)


@pytest.fixture
def outbox(tmp_path: Path, sealer: Sealer, clock: FakeClock) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.db", sealer, clock=clock)
    yield box
    box.close()


@dataclass
class Fault:
    """One scripted answer: `kind` is ok | status | timeout | drop."""

    kind: str
    status: int = 200
    retry_after: str | None = None
    delay_s: float = 0.0


@dataclass
class FaultServer:
    """An HTTP server on 127.0.0.1 that answers POST /v1/applications from a script of faults.

    Once the script is used up it answers 200 with a decision. It records every request's
    Idempotency-Key and body, and, like the real service, remembers each key's first payload.
    """

    script: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, bytes]] = field(default_factory=list)
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def push(
        self, kind: str, status: int = 200, retry_after: str | None = None, delay_s: float = 0.0
    ) -> None:
        """Script the next answer: ok | status | timeout | drop (connection closed, no answer)."""
        with self.lock:
            self.script.append(Fault(kind, status, retry_after, delay_s))

    def sent_keys(self) -> list[str]:
        with self.lock:
            return [key for key, _ in self.requests]

    def next_fault(self) -> Fault:
        with self.lock:
            return self.script.pop(0) if self.script else Fault("ok")


def _make_handler(server_state: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            key = self.headers.get("Idempotency-Key", "")
            with server_state.lock:
                server_state.requests.append((key, body))
            fault = server_state.next_fault()
            if fault.kind == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault.kind == "timeout":
                time.sleep(fault.delay_s)
                self.close_connection = True
                return
            if fault.kind == "status":
                payload = json.dumps({"title": "fault", "status": fault.status}).encode()
                self.send_response(fault.status)
                self.send_header("Content-Type", "application/problem+json")
                if fault.retry_after is not None:
                    self.send_header("Retry-After", fault.retry_after)
            else:
                payload = json.dumps({"application_id": key, "outcome": "approved"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    state = FaultServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    httpd.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HttpTransport:
    """A minimal real HTTP transport for the relay tests (the kiosk's own one wraps its API client)."""

    def __init__(self, base_url: str, *, timeout: float = 0.5) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.session = requests.Session()

    def deliver(self, key: str, payload: bytes) -> bytes:
        try:
            response = self.session.post(
                f"{self.base_url}/v1/applications",
                data=payload,
                headers={"Idempotency-Key": key, "Content-Type": "application/json"},
                timeout=(self.timeout, self.timeout),
            )
        except requests.RequestException as exc:
            raise DeliveryFailed(None, None, type(exc).__name__) from None
        if response.status_code >= 300:
            retry_after = response.headers.get("Retry-After")
            raise DeliveryFailed(
                response.status_code,
                float(retry_after) if retry_after else None,
                f"HTTP {response.status_code}",
            )
        return response.content


@pytest.fixture
def make_transport() -> type[HttpTransport]:
    return HttpTransport


@pytest.fixture
def refused_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def device_key() -> bytes:
    return DEVICE_KEY


@pytest.fixture
def new_clock() -> type[FakeClock]:
    return FakeClock
