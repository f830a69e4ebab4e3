"""Outbox benchmark: durable save latency and throughput against persist-queue, and relay drain rate.

Subject, timed per save: what the kiosk does to save a confirmed application, i.e. the JSON
encoding of the body (sorted keys, UTF-8, as `kiosk.submissions` encodes it), a new UUIDv7, and
`Outbox.add` (id check, SHA-256 fingerprint, idempotency look-up, AES-256-GCM sealing with a fresh
nonce, one BEGIN IMMEDIATE transaction, COMMIT; WAL, synchronous=FULL).
Baseline, timed per put: persist-queue's `SQLiteAckQueue.put` of the same body with the same
durability (WAL, synchronous=FULL, a commit per put), which includes its JSON serializer and its
own id (AUTOINCREMENT); no encryption, no idempotency.

Both queues live in the same fresh directory, start empty, and are measured interleaved save for
save. Each round uses a fresh directory and alternates which of the two goes first in a pair, so
neither always follows the other's flush. The figures are per round; a shared, busy machine moves
them, the ratios much less. Then the relay's drain rate against the local reference central
service, when it is available.

Run: .venv/bin/python bench/outbox.py [--saves N] [--rounds R] [--drain N] [--breakdown] [--phases]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import Timings, compare, report
from offline_cache.ids import is_application_id, new_application_id
from offline_cache.outbox import (
    _DELIVERED_FINGERPRINT,
    _INSERT_PENDING,
    _SCHEMA,
    SCHEMA_VERSION,
    Outbox,
)
from offline_cache.sealing import NONCE_BYTES, SealedRecord, Sealer
from offline_cache.sync import Relay

FUND_RETIREMENT = "411700-GJJ-0901"
TAG_BYTES = 16
BODY = {
    "item_code": "demo-item",
    "applicant": {"name": "测试", "id_number": "110105194912310029", "phone": "13800138000"},
    "form": {"reason": "benchmark", "note": "x" * 400},
}


class _CopyingSealer(Sealer):
    """Breakdown experiment only: a "seal" that copies the payload into a blob of the sealed size."""

    def seal(
        self,
        conn: sqlite3.Connection,
        *,
        now: float,
        record_id: str,
        purpose: str,
        schema_version: int,
        plaintext: bytes,
    ) -> SealedRecord:
        return SealedRecord("0" * 16, bytes(NONCE_BYTES) + plaintext + bytes(TAG_BYTES))


# Subjects for `--breakdown`: the kiosk's save, then the same with one more part taken out.
KIOSK_SAVE = "kiosk save (sorted JSON, new id, Outbox.add)"
ID_BEFOREHAND = "  id made beforehand"
PLAIN_JSON = "  and the baseline's JSON encoding"
NO_ENCRYPTION = "  and no encryption (payload copied)"
TRANSACTION_ONLY = "  only BEGIN IMMEDIATE, INSERT, COMMIT of the row"
UNINDEXED = "  the same into a table without the id index"
VARIANTS = (KIOSK_SAVE, ID_BEFOREHAND, PLAIN_JSON, NO_ENCRYPTION, TRANSACTION_ONLY, UNINDEXED)

# The cheapest storage the row could have: the outbox's table with its id a plain column, so an
# insert touches one b-tree (no unique id: measured to bound what any layout could gain).
_UNINDEXED_TABLE = _SCHEMA[0].replace("outbox", "unindexed").replace("TEXT PRIMARY KEY", "TEXT NOT NULL")
_INSERT_UNINDEXED = _INSERT_PENDING.replace("outbox", "unindexed").split(" ON CONFLICT")[0]


def save_latency(
    directory: Path, saves: int, *, baseline_first: bool, variant: str = KIOSK_SAVE
) -> tuple[Timings, Timings]:
    """One round: `saves` saves into each queue, interleaved; returns (subject, baseline)."""
    import persistqueue
    import persistqueue.serializers.json as pq_json

    sealer = Sealer(os.urandom(32), rotation_seconds=86400.0)
    if variant in (NO_ENCRYPTION, TRANSACTION_ONLY):
        sealer = _CopyingSealer(os.urandom(32), rotation_seconds=86400.0)
    outbox = Outbox(directory / "outbox.db", sealer)
    outbox._conn.execute(_UNINDEXED_TABLE)
    queue = persistqueue.SQLiteAckQueue(
        str(directory / "pq"), multithreading=True, auto_commit=True, serializer=pq_json
    )
    for conn in {id(queue._conn): queue._conn, id(queue._putter): queue._putter}.values():
        if conn is not None:
            conn.execute("PRAGMA synchronous = FULL")
    ids = iter([new_application_id() for _ in range(saves + 40)])

    def subject() -> None:
        if variant == KIOSK_SAVE:
            outbox.add(new_application_id(), json.dumps(BODY, sort_keys=True, ensure_ascii=False).encode())
        elif variant == ID_BEFOREHAND:
            outbox.add(next(ids), json.dumps(BODY, sort_keys=True, ensure_ascii=False).encode())
        elif variant in (PLAIN_JSON, NO_ENCRYPTION):
            outbox.add(next(ids), json.dumps(BODY).encode())
        else:
            payload = json.dumps(BODY).encode()
            sealed = bytes(NONCE_BYTES) + payload + bytes(TAG_BYTES)
            row = (next(ids), time.time(), "0" * 64, SCHEMA_VERSION, "0" * 16, sealed)
            outbox._conn.execute("BEGIN IMMEDIATE")
            outbox._conn.execute(_INSERT_PENDING if variant == TRANSACTION_ONLY else _INSERT_UNINDEXED, row)
            outbox._conn.execute("COMMIT")

    def baseline() -> None:
        queue.put(BODY)

    pair = (("Outbox.add", subject), ("SQLiteAckQueue.put", baseline))
    try:
        if baseline_first:
            second, first = compare(pair[1], pair[0], repeat=saves, warmup=20)
            return first, second
        return compare(pair[0], pair[1], repeat=saves, warmup=20)
    finally:
        outbox.close()
        queue.close()


def breakdown(saves: int, rounds: int) -> None:
    """Where the difference goes: each variant against the baseline, interleaved, `rounds` times."""
    print(f"breakdown: p50 of each variant / SQLiteAckQueue.put, {saves} saves each, {rounds} rounds")
    for variant in VARIANTS:
        ratios = []
        differences = []
        for number in range(rounds):
            with tempfile.TemporaryDirectory(prefix="outbox-bench-") as tmp:
                subject, baseline = save_latency(
                    Path(tmp), saves, baseline_first=number % 2 == 1, variant=variant
                )
            ratios.append(subject.median / baseline.median)
            differences.append(subject.median - baseline.median)
        print(f"  {variant.ljust(50)} ratio {spread(ratios)}, {us(statistics.median(differences))} more")


SAVE_STEPS = (
    "new id",
    "JSON",
    "id check, fingerprint",
    "BEGIN IMMEDIATE",
    "delivered look-up",
    "seal",
    "INSERT",
    "COMMIT",
)
PUT_STEPS = ("JSON", "INSERT (takes the write lock)", "COMMIT")


def phases(saves: int) -> None:
    """Where a save's time goes, step by step, next to the steps of a put; interleaved, one round.

    Both are written out here with a clock read between steps (internals of both queues): the
    totals are within a few µs of `Outbox.add` and `put`, whose own calls add a little.
    """
    import persistqueue
    import persistqueue.serializers.json as pq_json

    clock = time.perf_counter
    with tempfile.TemporaryDirectory(prefix="outbox-bench-") as tmp:
        outbox = Outbox(Path(tmp) / "outbox.db", Sealer(os.urandom(32), rotation_seconds=86400.0))
        queue = persistqueue.SQLiteAckQueue(str(Path(tmp) / "pq"), auto_commit=True, serializer=pq_json)
        queue._putter.execute("PRAGMA synchronous = FULL")
        outbox.add(new_application_id(), b"{}")  # the data key exists: as on a kiosk after its first save
        conn, sealer, putter, insert = outbox._conn, outbox._sealer, queue._putter, queue._sql_insert

        def save() -> list[float]:
            marks = [clock()]
            application_id = new_application_id()
            marks.append(clock())
            payload = json.dumps(BODY, sort_keys=True, ensure_ascii=False).encode()
            marks.append(clock())
            assert is_application_id(application_id)
            fingerprint, now = sealer.fingerprint(payload), time.time()
            marks.append(clock())
            conn.execute("BEGIN IMMEDIATE")
            marks.append(clock())
            conn.execute(_DELIVERED_FINGERPRINT, (application_id,)).fetchone()
            marks.append(clock())
            key_id, blob = sealer.seal(
                conn,
                now=now,
                record_id=application_id,
                purpose="payload",
                schema_version=SCHEMA_VERSION,
                plaintext=payload,
            )
            marks.append(clock())
            conn.execute(_INSERT_PENDING, (application_id, now, fingerprint, SCHEMA_VERSION, key_id, blob))
            marks.append(clock())
            conn.execute("COMMIT")
            marks.append(clock())
            return marks

        def put() -> list[float]:
            marks = [clock()]
            data = pq_json.dumps(BODY)
            marks.append(clock())
            cursor = putter.cursor()
            cursor.execute(insert, (data, time.time()))
            cursor.close()
            marks.append(clock())
            putter.commit()
            marks.append(clock())
            return marks

        steps: dict[str, list[list[float]]] = {"save": [], "put": []}
        for number in range(saves + 20):
            pair = (("save", save), ("put", put)) if number % 2 == 0 else (("put", put), ("save", save))
            for name, run in pair:
                marks = run()
                if number >= 20:
                    steps[name].append([later - earlier for earlier, later in itertools.pairwise(marks)])
        outbox.close()
        queue.close()
    print(f"phases: median µs per step, {saves} of each, interleaved")
    for name, labels in (("save", SAVE_STEPS), ("put", PUT_STEPS)):
        medians = [statistics.median(column) for column in zip(*steps[name], strict=True)]
        total = statistics.median(sum(row) for row in steps[name])
        figures = ", ".join(
            f"{label} {value * 1e6:.1f}" for label, value in zip(labels, medians, strict=True)
        )
        print(f"  {name}: total {total * 1e6:.1f} = {figures}")


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
            form = {"withdrawal_amount": f"{100 + i}.00", "bank_card_number": "6222020200112243445"}
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


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


def spread(values: list[float], fmt: str = "{:.3f}") -> str:
    """min–max (median) of per-round figures."""
    low, high, mid = min(values), max(values), statistics.median(values)
    return f"{fmt.format(low)}–{fmt.format(high)} (median {fmt.format(mid)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--saves", type=int, default=2000, help="saves per queue and round (interleaved)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, each in a fresh directory")
    parser.add_argument("--drain", type=int, default=200, help="applications to drain (0: skip)")
    parser.add_argument("--breakdown", action="store_true", help="then: the save with parts taken out")
    parser.add_argument("--phases", action="store_true", help="then: a save and a put step by step")
    args = parser.parse_args()
    p50_ratios: list[float] = []
    p99_ratios: list[float] = []
    throughput_ratios: list[float] = []
    p99_subject: list[float] = []
    for number in range(args.rounds):
        load_before = os.getloadavg()[0]
        with tempfile.TemporaryDirectory(prefix="outbox-bench-") as tmp:
            subject, baseline = save_latency(Path(tmp), args.saves, baseline_first=number % 2 == 1)
        p50_ratios.append(subject.median / baseline.median)
        p99_ratios.append(subject.percentile(99) / baseline.percentile(99))
        throughput_ratios.append(throughput(subject) / throughput(baseline))
        p99_subject.append(subject.percentile(99))
        first = "SQLiteAckQueue" if number % 2 else "Outbox"
        report(
            f"round {number + 1}/{args.rounds}: {args.saves} saves each, interleaved ({first} first in "
            f"each pair), {os.cpu_count()} cores, load {load_before:.1f} -> {os.getloadavg()[0]:.1f}",
            [
                (
                    "save p50",
                    f"{us(subject.median)} vs SQLiteAckQueue {us(baseline.median)}",
                    f"ratio {p50_ratios[-1]:.3f}x",
                ),
                (
                    "save p99",
                    f"{us(subject.percentile(99))} vs SQLiteAckQueue {us(baseline.percentile(99))}",
                    f"ratio {p99_ratios[-1]:.3f}x",
                ),
                (
                    "throughput",
                    f"{throughput(subject):.0f}/s vs SQLiteAckQueue {throughput(baseline):.0f}/s",
                    f"ratio {throughput_ratios[-1]:.3f}x",
                ),
            ],
        )
    if p50_ratios:
        print(
            f"outbox / SQLiteAckQueue over {args.rounds} rounds: p50 {spread(p50_ratios)}, "
            f"p99 {spread(p99_ratios)}, throughput {spread(throughput_ratios)}; outbox p99 "
            f"{spread([s * 1000 for s in p99_subject], '{:.2f}')} ms\n"
            f"  target: p99 < 10 ms and p50 ratio <= 1.000x in every round",
            flush=True,
        )
    if args.breakdown:
        breakdown(args.saves, args.rounds)
    if args.phases:
        phases(args.saves)
    if args.drain > 0:
        with tempfile.TemporaryDirectory(prefix="outbox-bench-") as tmp:
            drained = drain_rate(Path(tmp), args.drain)
        if drained is not None:
            rate, elapsed = drained
            figures = f"{args.drain} in {elapsed:.2f} s against the local central service"
            print(f"  relay drain rate: {rate:.0f} applications/s ({figures})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
