"""Outbox benchmark: durable save latency and throughput against persist-queue, and relay drain rate.

Subject: `Outbox.add` (seal with AES-256-GCM, application + outbox row in one BEGIN IMMEDIATE
transaction, WAL, synchronous=FULL). Baseline: persist-queue's `SQLiteAckQueue.put` with the same
durability (WAL, synchronous=FULL, a commit per put, JSON serializer, no encryption), measured
interleaved in the same run on the same file system. Then the relay's drain rate against the
local reference central service, when it is available.

Run: .venv/bin/python bench/outbox.py [--saves N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import Timings, compare, ms, report
from offline_cache.ids import new_application_id
from offline_cache.outbox import Outbox
from offline_cache.sealing import Sealer
from offline_cache.sync import Relay

FUND_RETIREMENT = "411700-GJJ-0901"
BODY = {
    "item_code": "demo-item",
    "applicant": {"name": "测试", "id_number": "110105194912310029", "phone": "13800138000"},
    "form": {"reason": "benchmark", "note": "x" * 400},
}


def save_latency(directory: Path, saves: int) -> tuple[Timings, Timings]:
    import persistqueue
    import persistqueue.serializers.json as pq_json

    outbox = Outbox(directory / "outbox.db", Sealer(os.urandom(32), rotation_seconds=86400.0))
    queue = persistqueue.SQLiteAckQueue(
        str(directory / "pq"), multithreading=True, auto_commit=True, serializer=pq_json
    )
    for conn in {id(queue._conn): queue._conn, id(queue._putter): queue._putter}.values():
        conn.execute("PRAGMA synchronous = FULL")

    def subject() -> None:
        payload = json.dumps(BODY, sort_keys=True, ensure_ascii=False).encode()
        outbox.add(new_application_id(), payload)

    def baseline() -> None:
        queue.put(BODY)

    try:
        return compare(("Outbox.add", subject), ("SQLiteAckQueue.put", baseline), repeat=saves, warmup=20)
    finally:
        outbox.close()
        queue.close()


def throughput(timings: Timings) -> float:
    return len(timings.samples) / sum(timings.samples)


def drain_rate(directory: Path, count: int) -> tuple[float, float] | None:
    """Applications delivered per second by the relay against the local central service."""
    try:
        from kiosk.submissions import ApiTransport, application_body
        from tests.support.central import person, running_central
    except ImportError as exc:
        print(f"  relay drain rate: skipped ({exc})")
        return None
    citizen = person("retiree")
    applicant = {"name": citizen.name, "id_number": citizen.id_number, "phone": citizen.phone}
    with running_central() as central, central.client() as client:
        outbox = Outbox(directory / "drain.db", Sealer(os.urandom(32), rotation_seconds=86400.0))
        relay = Relay(outbox, ApiTransport(client), rng=random.Random(1))
        for i in range(count):
            form = {"withdrawal_amount": f"{100 + i}.00", "bank_card_number": "6222020200112233445"}
            body = application_body(FUND_RETIREMENT, applicant, form, None)
            outbox.add(new_application_id(), json.dumps(body, sort_keys=True, ensure_ascii=False).encode())
        start = time.perf_counter()
        delivered = 0
        while delivered < count and time.perf_counter() - start < 300:
            delivered += len(relay.run_once())
        elapsed = time.perf_counter() - start
        done = outbox.status().counts["done"]
        outbox.close()
    return done / elapsed, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--saves", type=int, default=1000, help="saves per queue (interleaved)")
    parser.add_argument("--drain", type=int, default=200, help="applications for the drain-rate run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="outbox-bench-") as tmp:
        subject, baseline = save_latency(Path(tmp), args.saves)
        rows = [
            (
                "save p50",
                f"{ms(subject.median)} vs SQLiteAckQueue {ms(baseline.median)}",
                f"ratio {subject.median / baseline.median:.2f}x",
            ),
            (
                "save p99",
                f"{ms(subject.percentile(99))} vs SQLiteAckQueue {ms(baseline.percentile(99))}",
                f"ratio {subject.percentile(99) / baseline.percentile(99):.2f}x",
            ),
            (
                "throughput",
                f"{throughput(subject):.0f}/s vs SQLiteAckQueue {throughput(baseline):.0f}/s",
                f"ratio {throughput(subject) / throughput(baseline):.2f}x",
            ),
        ]
        report(
            f"outbox durable save, {args.saves} saves each, interleaved, {os.cpu_count()} cores",
            rows,
            note=f"mean {ms(statistics.fmean(subject.samples))}; target: p99 < 10 ms and ratio <= 1.00x",
        )
        drained = drain_rate(Path(tmp), args.drain)
        if drained is not None:
            rate, elapsed = drained
            figures = f"{args.drain} in {elapsed:.2f} s against the local central service"
            print(f"  relay drain rate: {rate:.0f} applications/s ({figures})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
