"""Child process of the crash test: saves applications and relays them until it is SIGKILLed.

It journals (append + fsync) "intent <id>" before each save and "saved <id>" after the save
returned, so the parent knows which applications the kiosk promised to deliver (saved) and which
it may have stored without saying so (intent only). With `--drain` it saves nothing and exits 0
once every pending application is delivered.

Usage: crash_child.py --state DIR --journal FILE --url URL --kiosk-id ID --secret-file FILE
                      --template FILE [--drain] [--seed N]

The template is an application body (JSON); each save varies its "form.withdrawal_amount" so
every application has its own payload.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from offline_cache.ids import new_application_id
from offline_cache.outbox import Outbox
from offline_cache.sealing import Sealer, load_device_key
from offline_cache.sync import Relay, RetryPolicy, Transport

# Fast retries: the test is about crashes, not about waiting out a backoff.
POLICY = RetryPolicy(base_s=0.05, cap_s=0.5, reconnect_spread_s=0.0)


def journal_line(fd: int, text: str) -> None:
    os.write(fd, (text + "\n").encode())
    os.fsync(fd)


def make_transport(url: str, kiosk_id: str, secret: bytes) -> Transport:
    from kiosk.api_client import ApiClient
    from kiosk.submissions import ApiTransport

    client = ApiClient(url, kiosk_id, secret, connect_timeout=2.0, read_timeout=10.0)
    return ApiTransport(client)


def application(template: dict[str, Any], rng: random.Random) -> bytes:
    body = dict(template)
    body["form"] = dict(template["form"]) | {
        "withdrawal_amount": f"{rng.randint(100, 99999)}.{rng.randint(0, 99):02d}"
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False).encode()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--journal", type=Path, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--kiosk-id", required=True)
    parser.add_argument("--secret-file", type=Path, required=True)
    parser.add_argument("--template", type=Path, required=True)
    parser.add_argument("--drain", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    template = json.loads(args.template.read_text(encoding="utf-8"))
    device_key = load_device_key(args.state / "device.key", create=True)
    outbox = Outbox(args.state / "outbox.db", Sealer(device_key, rotation_seconds=3600.0), lease_seconds=5.0)
    transport = make_transport(args.url, args.kiosk_id, args.secret_file.read_bytes().strip())
    relay = Relay(outbox, transport, policy=POLICY, rng=rng)
    fd = os.open(args.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    # Tells the parent how many deliveries the previous kill interrupted.
    print(f"ready {outbox.recovered_in_flight}", flush=True)

    if args.drain:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            relay.run_once()
            status = outbox.status()
            if status.counts["ready"] == 0 and status.counts["in_flight"] == 0:
                print(json.dumps(status.counts), flush=True)
                return 0
            time.sleep(0.05)
        print("drain timed out", json.dumps(status.counts), file=sys.stderr, flush=True)
        return 1

    while True:
        app_id = new_application_id()
        journal_line(fd, f"intent {app_id}")
        outbox.add(app_id, application(template, rng))
        journal_line(fd, f"saved {app_id}")
        # Sometimes the citizen's immediate submit, sometimes only the background relay: both
        # paths get killed at random points.
        if rng.random() < 0.5:
            relay.deliver_now(app_id)
        relay.run_once(max_rows=3)


if __name__ == "__main__":
    raise SystemExit(main())
