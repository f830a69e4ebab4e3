"""Central service throughput and latency: signed decisions at 1, 16 and 64 concurrent clients.

Starts the real service (uvicorn) on 127.0.0.1 with SQLite (WAL, synchronous=FULL) and, when a
server can be started, PostgreSQL (fsync on), and drives it with N concurrent keep-alive
connections. Every request is signed like a kiosk's (the kiosk's own signing function, its own
timestamp and nonce) and every decision request is a new instant-approval application
(provident-fund retirement withdrawal: rule set with registry look-ups, the row, the decision and
its SMS committed before the answer). The baseline, measured in the same run at the same
concurrency, is a signed read (appointment zones): authentication, nonce record and one small
query, i.e. the cost of a request with no decision.

The load generator costs the service as little CPU as possible: all requests of a round are signed
and serialised before its timed window (their timestamps stay well inside the ±300 s window), and
one thread sends them over raw sockets, waiting on all connections with a selector. A service of one
process runs on core 0 and the generator on core 1 by default (``--no-pin`` lets the scheduler
place both); PostgreSQL's own processes are never pinned, and neither are several workers.
The figures include the CPU time per request of the service's processes and of the generator.

Run: .venv/bin/python bench/central.py [--quick] [--backend sqlite|postgres|both] [--workers N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import secrets
import selectors
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Timings, ms, report  # noqa: E402
from central.db import Database, RegistryRecordRow  # noqa: E402
from central.registry_demo import make_id_number  # noqa: E402
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
SERVICE_CPUS = {0}
GENERATOR_CPUS = {1}


# More retirees than one service gets decisions in a run (warm-up and three levels, ~4,900): each
# applies once, as in a real hall. One citizen applying thousands of times would measure the
# look-up of their own earlier decisions (a withdrawal counts what earlier ones took) instead.
APPLICANTS = 6000


def seed_applicants(server: CentralServer, count: int = APPLICANTS) -> Iterator[bytes]:
    """Register ``count`` retirees (the demo retiree's records under their own ID numbers) in the
    service's registries; yields one application body per retiree, then starts over."""
    table = RegistryRecordRow.__table__
    db = Database(server.db_url)
    try:
        with db.write() as session:
            records = session.execute(
                select(RegistryRecordRow.registry_name, RegistryRecordRow.data).where(
                    RegistryRecordRow.key == CITIZEN.id_number
                )
            ).all()
            id_numbers = [
                make_id_number(
                    (date(1955, 1, 1) + timedelta(days=n // 100)).strftime("%Y%m%d"), n % 100, "male"
                )
                for n in range(count)
            ]
            session.execute(
                insert(table),
                [{"registry": r, "key": i, "data": d} for i in id_numbers for r, d in records],
            )
    finally:
        db.dispose()
    bodies = [
        json.dumps(
            {
                "item_code": "411700-GJJ-0901",
                "applicant": {"name": CITIZEN.name, "id_number": id_number, "phone": CITIZEN.phone},
                "form": {"withdrawal_amount": "100.00", "bank_card_number": "6222020200112243445"},
            }
        ).encode()
        for id_number in id_numbers
    ]
    return itertools.cycle(bodies)


def signed_request(server: CentralServer, kind: str, body: bytes) -> bytes:
    """One complete HTTP/1.1 request, signed like the kiosk signs (fresh timestamp and nonce)."""
    if kind == "decision":
        method, path, key = "POST", "/v1/applications", str(uuid.uuid4())
        extra = f"Idempotency-Key: {key}\r\nContent-Type: application/json\r\n"
    else:
        method, path, body, extra, key = "GET", "/v1/appointments/zones", b"", "", ""
    timestamp = str(int(time.time()))
    nonce = secrets.token_urlsafe(18)
    signature = sign_request(
        server.secret, method, path, server.kiosk_id, timestamp, nonce, body, idempotency_key=key
    )
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"X-Kiosk-Id: {server.kiosk_id}\r\nX-Kiosk-Timestamp: {timestamp}\r\n"
        f"X-Kiosk-Nonce: {nonce}\r\nX-Kiosk-Signature: {signature}\r\n"
        f"{extra}Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


@dataclass
class _Client:
    """One keep-alive connection and the requests it still has to send."""

    sock: socket.socket
    requests: list[bytes]
    sent_at: float = 0.0
    buffer: bytearray = field(default_factory=bytearray)

    def send_next(self) -> None:
        self.sent_at = time.perf_counter()
        self.sock.sendall(self.requests.pop())

    def response(self) -> tuple[int, bytes] | None:
        """(status, body) once a whole response is buffered, else None."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return None
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        return int(head[0].split()[1]), body


def drive(
    server: CentralServer, clients: int, per_client: int, kind: str, bodies: Iterator[bytes]
) -> tuple[Timings, float, int]:
    """``clients`` connections each sending ``per_client`` requests in turn; latencies, rate, errors."""
    prepared = [
        [signed_request(server, kind, next(bodies) if kind == "decision" else b"") for _ in range(per_client)]
        for _ in range(clients)
    ]
    selector = selectors.DefaultSelector()
    connections = []
    for requests in prepared:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        client = _Client(sock, requests)
        selector.register(sock, selectors.EVENT_READ, client)
        connections.append(client)
    timings = Timings(kind)
    errors = 0
    active = len(connections)
    started = time.perf_counter()
    for client in connections:
        client.send_next()
    while active:
        events = selector.select(timeout=60)
        if not events:
            raise TimeoutError("the service stopped answering")
        for key, _ in events:
            client = key.data
            chunk = client.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the service closed a connection")
            client.buffer += chunk
            answer = client.response()
            if answer is None:
                continue
            timings.samples.append(time.perf_counter() - client.sent_at)
            status, content = answer
            ok = status == 201 and b'"approved"' in content if kind == "decision" else status == 200
            errors += 0 if ok else 1
            if client.requests:
                client.send_next()
            else:
                active -= 1
    elapsed = time.perf_counter() - started
    for client in connections:
        selector.unregister(client.sock)
        client.sock.close()
    selector.close()
    return timings, len(timings.samples) / elapsed, errors


def _service_pids(server: CentralServer) -> list[int]:
    """The service's process and its worker processes."""
    assert server.process is not None
    root = server.process.pid
    pids = [root]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == root:
                pids.append(int(entry.name))
    return pids


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def _pin(pids: list[int], cpus: set[int]) -> None:
    """Pin every thread of these processes (threads started later inherit it)."""
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            os.sched_setaffinity(int(task.name), cpus)


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(
    label: str, server: CentralServer, levels: list[int], total: int, pin: bool
) -> list[tuple[str, str, str]]:
    pids = _service_pids(server)
    all_cpus = os.sched_getaffinity(0)
    if pin:
        _pin(pids, SERVICE_CPUS)
        os.sched_setaffinity(0, GENERATOR_CPUS)
    try:
        return _measure_levels(label, server, pids, levels, total)
    finally:
        os.sched_setaffinity(0, all_cpus)


def _measure_levels(
    label: str, server: CentralServer, pids: list[int], levels: list[int], total: int
) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    bodies = seed_applicants(server)
    drive(server, 4, 25, "decision", bodies)  # warm up the service, its threads and its connection pool
    drive(server, 4, 25, "read", bodies)
    for clients in levels:
        per_client = max(20, total // clients)
        service_before, own_before = _cpu_seconds(pids), _own_cpu_seconds()
        decisions, rate, errors = drive(server, clients, per_client, "decision", bodies)
        service_cpu = (_cpu_seconds(pids) - service_before) / len(decisions.samples)
        generator_cpu = (_own_cpu_seconds() - own_before) / len(decisions.samples)
        reads, read_rate, read_errors = drive(server, clients, per_client, "read", bodies)
        p99 = decisions.percentile(99)
        verdict = ""
        if clients == 16:
            verdict = " (target p99 < 50 ms: " + ("met" if p99 < TARGET_P99_AT_16_S else "NOT met") + ")"
        rows.append(
            (
                f"{label} {clients:>2} clients",
                f"{rate:7.1f} decisions/s  p50 {ms(decisions.median)}  p99 {ms(p99)}  errors {errors}"
                f"  cpu/decision service {ms(service_cpu)} generator {ms(generator_cpu)}"
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
    parser.add_argument("--workers", type=int, nargs="+", default=None, help="service processes to try")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 16, 64], help="concurrent clients")
    parser.add_argument(
        "--no-pin", dest="pin", action="store_false", help="do not pin the service and generator to cores"
    )
    args = parser.parse_args()
    total = 320 if args.quick else 1600
    pin = args.pin and os.sched_getaffinity(0) >= (SERVICE_CPUS | GENERATOR_CPUS)
    rows: list[tuple[str, str, str]] = []
    if args.backend in ("both", "sqlite"):
        for workers in args.workers or [1]:
            server = start_central(kiosk_id="bench-kiosk", workers=workers)
            try:
                rows += measure(f"sqlite/{workers}w  ", server, args.levels, total, pin and workers == 1)
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
            for workers in args.workers or [1, 2]:
                server = start_central(kiosk_id="bench-kiosk", db_url=cluster.new_database(), workers=workers)
                try:
                    rows += measure(f"postgres/{workers}w", server, args.levels, total, pin and workers == 1)
                finally:
                    server.cleanup()
        finally:
            cluster.stop()
    report(
        "central: signed instant-approval decisions on loopback (Nw = service worker processes)",
        rows,
        note="per-request latency percentiles; requests signed before each timed round and sent by one "
        "selector thread" + ("; 1w: service pinned to core 0, generator to core 1" if pin else ""),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
