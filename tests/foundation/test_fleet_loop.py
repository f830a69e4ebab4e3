"""The fleet loop: rounds on its own thread, results on the core thread, a failing round is survived."""

from __future__ import annotations

import threading
import time

from kiosk.dispatch import QueuedPost
from kiosk.fleet_loop import FleetLoop
from kiosk.fleet_sync import SyncStatus


class CountingSync:
    """Stands in for FleetSync: the second round fails, the others report online."""

    def __init__(self) -> None:
        self.rounds = 0
        self.threads: set[str] = set()

    def poll(self) -> SyncStatus:
        self.rounds += 1
        self.threads.add(threading.current_thread().name)
        if self.rounds == 2:
            raise RuntimeError("a bug in one round")
        return SyncStatus(online=True)


def test_rounds_repeat_off_the_core_thread_and_survive_a_failure() -> None:
    sync = CountingSync()
    post = QueuedPost()
    seen: list[tuple[SyncStatus, str]] = []
    loop = FleetLoop(
        sync,  # type: ignore[arg-type]
        post,
        interval_s=0.02,
        on_round=lambda status: seen.append((status, threading.current_thread().name)),
        first_delay_s=0.0,
        delay=lambda interval: interval,
    )
    loop.start()
    deadline = time.monotonic() + 10
    while len(seen) < 3 and time.monotonic() < deadline:
        post.drain(timeout=0.1)
    loop.stop()
    assert len(seen) >= 3  # the failing second round did not end the heartbeats
    assert all(status.online for status, _ in seen)
    assert {name for _, name in seen} == {threading.current_thread().name}  # results on the core thread
    assert sync.threads == {"kiosk-fleet"}
    rounds = sync.rounds
    time.sleep(0.1)
    assert sync.rounds == rounds  # stopped: no more rounds
