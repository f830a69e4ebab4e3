"""The client's typed errors when the service is absent, failing or answering nonsense."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from kiosk.api_client import ApiClient, ClientError, NetworkError, ProtocolError, ServerError


class Scripted(BaseHTTPRequestHandler):
    """Answers every request with the status, headers and body given by the path."""

    answers: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        for prefix, (status, headers, body) in self.answers.items():
            if self.path.startswith(prefix):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        self.send_response(500)
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def client(base_url: str) -> ApiClient:
    return ApiClient(base_url, "kiosk-1", b"secret", connect_timeout=2, read_timeout=2)


def problem(status: int, slug: str) -> bytes:
    return json.dumps(
        {"type": f"urn:civic-kiosk:problem:{slug}", "title": "Busy", "status": status, "detail": "Try later."}
    ).encode()


def test_nothing_listening_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NetworkError) as caught:
        client(f"http://127.0.0.1:{port}").get_application("x")
    assert caught.value.status is None


def test_503_with_retry_after_is_a_server_error(scripted: str) -> None:
    Scripted.answers = {
        "/": (
            503,
            {"Content-Type": "application/problem+json", "Retry-After": "7"},
            problem(503, "maintenance"),
        )
    }
    with pytest.raises(ServerError) as caught:
        client(scripted).get_catalog(None)
    assert (caught.value.status, caught.value.retry_after, caught.value.title) == (503, 7.0, "Busy")
    assert caught.value.slug == "maintenance"


def test_429_is_a_client_error_with_retry_after(scripted: str) -> None:
    Scripted.answers = {
        "/": (
            429,
            {"Content-Type": "application/problem+json", "Retry-After": "2"},
            problem(429, "rate-limited"),
        )
    }
    with pytest.raises(ClientError) as caught:
        client(scripted).submit_application("a", {})
    assert caught.value.retry_after == 2.0


def test_error_without_problem_body_still_has_a_message(scripted: str) -> None:
    Scripted.answers = {"/": (502, {"Content-Type": "text/html"}, b"<html>bad gateway</html>")}
    with pytest.raises(ServerError) as caught:
        client(scripted).get_application("x")
    assert caught.value.detail == "The service answered HTTP 502."


@pytest.mark.parametrize("body", [b"not json", b'{"unexpected": true}', b"[]"])
def test_success_with_the_wrong_shape_is_a_protocol_error(scripted: str, body: bytes) -> None:
    Scripted.answers = {"/": (200, {"Content-Type": "application/json"}, body)}
    with pytest.raises(ProtocolError):
        client(scripted).get_application("x")


def test_read_timeout_is_a_network_error_and_not_retried(scripted: str) -> None:
    calls: list[str] = []

    class Slow(Scripted):
        def do_GET(self) -> None:
            calls.append(self.path)
            threading.Event().wait(1.5)
            super().do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        api = ApiClient(
            f"http://127.0.0.1:{server.server_address[1]}", "k", b"s", connect_timeout=1, read_timeout=0.3
        )
        with pytest.raises(NetworkError):
            api.get_application("x")
    finally:
        server.shutdown()
        server.server_close()
    assert len(calls) == 1
