"""Crash test: a kiosk process saving and relaying is SIGKILLed at random points, over and over.

Against the real reference central service: afterwards every application whose save had returned
exists exactly once on the server, and nothing else does (only applications the child had started
to save may exist besides them, and then also exactly once, and only if the kiosk stored them).

The harness needs only the server's URL, the kiosk's id and secret, and a way to list what the
server stored, so it runs against any deployment of the service.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from offline_cache.outbox import Outbox, State
from offline_cache.sealing import Sealer, load_device_key
from tests.support.central import CentralServer, person, running_central

CHILD = Path(__file__).with_name("crash_child.py")
REPO = Path(__file__).resolve().parents[2]
KILLS = 200
FUND_RETIREMENT = "411700-GJJ-0901"


@dataclass
class Journal:
    intents: list[str]
    saved: list[str]


@dataclass
class Campaign:
    kills: int
    interrupted_deliveries: int
    startup_kills: int
    journal: Journal
    outbox_rows: dict[str, State]


def read_journal(path: Path) -> Journal:
    intents: list[str] = []
    saved: list[str] = []
    for line in path.read_text().splitlines():
        kind, _, app_id = line.partition(" ")
        # A kill can cut the last line short: only whole lines count.
        if len(app_id) != 36:
            continue
        (intents if kind == "intent" else saved).append(app_id)
    return Journal(intents, saved)


def run_campaign(
    base_url: str,
    kiosk_id: str,
    secret: bytes,
    template: dict[str, object],
    workdir: Path,
    *,
    kills: int,
    seed: int,
) -> Campaign:
    """Start, SIGKILL and restart the child `kills` times, then let one child drain the outbox."""
    rng = random.Random(seed)
    state = workdir / "state"
    state.mkdir(mode=0o700)
    secret_file = workdir / "secret"
    secret_file.write_bytes(secret)
    template_file = workdir / "template.json"
    template_file.write_text(json.dumps(template, ensure_ascii=False), encoding="utf-8")
    journal = workdir / "journal"
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def child_command(*extra: str) -> list[str]:
        return [
            sys.executable,
            str(CHILD),
            "--state",
            str(state),
            "--journal",
            str(journal),
            "--url",
            base_url,
            "--kiosk-id",
            kiosk_id,
            "--secret-file",
            str(secret_file),
            "--template",
            str(template_file),
            *extra,
        ]

    done = 0
    interrupted = 0
    startup_kills = 0
    while done < kills:
        child = subprocess.Popen(
            child_command("--seed", str(rng.getrandbits(32))),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO,
            env=env,
        )
        assert child.stdout is not None
        if rng.random() < 0.1:
            # Some kills land during start-up itself: opening, WAL recovery, requeueing.
            time.sleep(rng.uniform(0.0, 0.3))
            startup_kills += 1
        else:
            ready = child.stdout.readline().split()
            if not ready or ready[0] != b"ready":
                child.kill()
                _, err = child.communicate(timeout=30)
                raise AssertionError(f"crash child failed to start: {err.decode(errors='replace')[-2000:]}")
            interrupted += int(ready[1]) > 0
            # Random points: while saving, mid-commit, mid-request, between delivery and bookkeeping.
            time.sleep(rng.uniform(0.0, 0.25))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        if child.stdout:
            child.stdout.close()
        if child.stderr:
            child.stderr.close()
        assert child.returncode == -signal.SIGKILL, "the child must be killed, not exit on its own"
        done += 1

    drain = subprocess.run(child_command("--drain"), capture_output=True, cwd=REPO, env=env, timeout=180)
    assert drain.returncode == 0, drain.stderr.decode(errors="replace")[-2000:]

    key = load_device_key(state / "device.key", create=False)
    outbox = Outbox(state / "outbox.db", Sealer(key, rotation_seconds=3600.0), startup_checks=False)
    try:
        rows = {row.application_id: row.state for row in outbox.rows()}
        # Every delivered row kept the server's decision for that very application.
        for app_id in rows:
            decision = outbox.decision_for(app_id)
            assert decision is not None, f"{app_id} delivered without a stored decision"
            assert json.loads(decision)["application_id"] == app_id
    finally:
        outbox.close()
    return Campaign(
        kills=done,
        interrupted_deliveries=interrupted,
        startup_kills=startup_kills,
        journal=read_journal(journal),
        outbox_rows=rows,
    )


def check_exactly_once(campaign: Campaign, server_ids: list[str]) -> None:
    intents, saved = set(campaign.journal.intents), set(campaign.journal.saved)
    on_server = Counter(server_ids)
    duplicates = [app_id for app_id, n in on_server.items() if n > 1]
    assert duplicates == [], f"applications stored more than once: {duplicates[:5]}"
    missing = saved - on_server.keys()
    assert not missing, f"{len(missing)} saved applications never reached the server"
    unknown = on_server.keys() - intents
    assert not unknown, f"{len(unknown)} applications on the server that the kiosk never saved"
    # The outbox holds exactly what reached the server, all delivered.
    assert set(campaign.outbox_rows) == set(on_server)
    assert set(campaign.outbox_rows.values()) == {State.DONE}


def sqlite_lister(server: CentralServer) -> Callable[[], list[str]]:
    path = server.db_url.removeprefix("sqlite:///")

    def list_ids() -> list[str]:
        with sqlite3.connect(path) as conn:
            rows = conn.execute(
                "SELECT application_id, state FROM applications WHERE kiosk_id = ?", (server.kiosk_id,)
            ).fetchall()
        assert {state for _, state in rows} <= {"done"}, "some applications never got a decision"
        return [str(app_id) for app_id, _ in rows]

    return list_ids


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sigkill_at_random_points_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    citizen = person("retiree")
    template = {
        "item_code": FUND_RETIREMENT,
        "applicant": {"name": citizen.name, "id_number": citizen.id_number, "phone": citizen.phone},
        "form": {"withdrawal_amount": "100.00", "bank_card_number": "6222020200112233445"},
    }
    with running_central(kiosk_id="crash-kiosk-01") as server:
        started = time.monotonic()
        campaign = run_campaign(
            server.base_url, server.kiosk_id, server.secret, template, tmp_path, kills=KILLS, seed=20261128
        )
        elapsed = time.monotonic() - started
        check_exactly_once(campaign, sqlite_lister(server)())
    assert campaign.kills >= KILLS
    # The kills must have landed in real work, not only at start-up.
    assert len(campaign.journal.saved) >= KILLS
    assert campaign.interrupted_deliveries > 0, "no kill ever landed during a delivery"
    print(
        f"crash test: {campaign.kills} kills ({campaign.interrupted_deliveries} mid-delivery, "
        f"{campaign.startup_kills} during start-up), "
        f"{len(campaign.journal.saved)} saved, {len(campaign.outbox_rows)} delivered, {elapsed:.0f} s"
    )
