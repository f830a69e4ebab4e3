"""Central service throughput and latency: signed decisions at 1, 16 and 64 concurrent clients.

Starts the real service (uvicorn, one process) on 127.0.0.1 with SQLite (WAL, synchronous=FULL)
and, when a server can be started, PostgreSQL (fsync on), and drives it with threads that each
own a signed client session. Every request is a new instant-approval application (provident-fund
retirement withdrawal: rule set with registry look-ups, two commits, notification outbox). The
baseline, measured in the same run at the same concurrency, is a signed read (appointment zones):
authentication, nonce record and one small query, i.e. the cost of a request with no decision.

Run: .venv/bin/python bench/central.py [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import json
import secrets
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Timings, ms, report  # noqa: E402
from kiosk.api_client import sign_request  # noqa: E402
from tests.support.central import (  # noqa: E402
    CentralServer,
    PostgresUnavailable,
    person,
    start_central,
    start_postgres,
)

TARGET_P99_AT_16_S = 0.050
CITIZEN = person("retiree")


def application() -> bytes:
    return json.dumps(
        {
            "item_code": "411700-GJJ-0901",
            "applicant": {"name": CITIZEN.name, "id_number": CITIZEN.id_number, "phone": CITIZEN.phone},
            "form": {"withdrawal_amount": "100.00", "bank_card_number": "6222020200112233445"},
        }
    ).encode()


class SignedConnection:
    """A lean keep-alive HTTP/1.1 client that signs like the kiosk (the kiosk's own signing function).

    The kiosk uses requests; the load generator uses http.client so that its own CPU cost, on the
    same two cores as the service, distorts the service's figures less.
    """

    def __init__(self, server: CentralServer) -> None:
        self._server = server
        self._connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> int:
        timestamp = str(int(time.time()))
        nonce = secrets.token_urlsafe(18)
        signature = sign_request(
            self._server.secret, method, path, self._server.kiosk_id, timestamp, nonce, body
        )
        all_headers = {
            "X-Kiosk-Id": self._server.kiosk_id,
            "X-Kiosk-Timestamp": timestamp,
            "X-Kiosk-Nonce": nonce,
            "X-Kiosk-Signature": signature,
            "Content-Type": "application/json",
            **(headers or {}),
        }
        self._connection.request(method, path, body=body or None, headers=all_headers)
        response = self._connection.getresponse()
        content = response.read()
        if response.status == 201 and b'"approved"' not in content:
            return 0
        return response.status

    def close(self) -> None:
        self._connection.close()


def drive(server: CentralServer, clients: int, per_client: int, kind: str) -> tuple[Timings, float, int]:
    """Run ``clients`` threads of ``per_client`` requests; returns latencies, requests/s and errors."""
    timings = Timings(kind)
    errors = 0
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    body = application()

    def worker() -> None:
        nonlocal errors
        local: list[float] = []
        failed = 0
        connection = SignedConnection(server)
        barrier.wait()
        for _ in range(per_client):
            started = time.perf_counter()
            if kind == "decision":
                status = connection.request(
                    "POST", "/v1/applications", body, {"Idempotency-Key": str(uuid.uuid4())}
                )
                ok = status == 201
            else:
                ok = connection.request("GET", "/v1/appointments/zones") == 200
            local.append(time.perf_counter() - started)
            failed += 0 if ok else 1
        connection.close()
        with lock:
            timings.samples.extend(local)
            errors += failed

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return timings, len(timings.samples) / elapsed, errors


def measure(label: str, server: CentralServer, levels: list[int], total: int) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    drive(server, 4, 10, "decision")  # warm up the service and its connection pool
    drive(server, 4, 10, "read")
    for clients in levels:
        per_client = max(20, total // clients)
        decisions, rate, errors = drive(server, clients, per_client, "decision")
        reads, read_rate, read_errors = drive(server, clients, per_client, "read")
        p99 = decisions.percentile(99)
        verdict = ""
        if clients == 16:
            verdict = " (target p99 < 50 ms: " + ("met" if p99 < TARGET_P99_AT_16_S else "NOT met") + ")"
        rows.append(
            (
                f"{label} {clients:>2} clients",
                f"{rate:7.1f} decisions/s  p50 {ms(decisions.median)}  p99 {ms(p99)}  errors {errors}"
                f"  | baseline signed read {read_rate:7.1f}/s p50 {ms(reads.median)}"
                f" p99 {ms(reads.percentile(99))} errors {read_errors}",
                f"p50 ratio {decisions.median / reads.median:.2f}x{verdict}",
            )
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument("--backend", choices=["both", "sqlite", "postgres"], default="both")
    args = parser.parse_args()
    levels = [1, 16, 64]
    total = 320 if args.quick else 1600
    rows: list[tuple[str, str, str]] = []
    if args.backend in ("both", "sqlite"):
        server = start_central(kiosk_id="bench-kiosk")
        try:
            rows += measure("sqlite/1w  ", server, levels, total)
        finally:
            server.cleanup()
    cluster = None
    if args.backend in ("both", "postgres"):
        try:
            cluster = start_postgres(durable=True)
        except PostgresUnavailable as error:
            print(f"PostgreSQL skipped: {error}")
    if cluster is not None:
        try:
            for workers in (1, 2):
                server = start_central(kiosk_id="bench-kiosk", db_url=cluster.new_database(), workers=workers)
                try:
                    rows += measure(f"postgres/{workers}w", server, levels, total)
                finally:
                    server.cleanup()
        finally:
            cluster.stop()
    report(
        "central: signed instant-approval decisions on loopback (Nw = uvicorn worker processes)",
        rows,
        note="per-request latency percentiles; the load generator (Python threads) shares the 2 cores "
        "with the service and its database",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
