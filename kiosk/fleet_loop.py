"""Runs ``FleetSync`` rounds on a thread of their own: a heartbeat about every minute (jittered), the
signed config fetched when the service says there is a newer one.

Thread rules: ``poll`` (network) and the heartbeat source run on the loop's thread; ``on_round`` is
handed to ``post`` and so runs on the core thread, where activating a config between citizens is
decided. ``stop`` wakes the thread at once and waits briefly for it.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable

from kiosk.dispatch import Post
from kiosk.fleet_sync import FleetSync, SyncStatus
from kiosk.heartbeat import next_delay

log = logging.getLogger(__name__)


class FleetLoop:
    def __init__(
        self,
        sync: FleetSync,
        post: Post,
        *,
        interval_s: float,
        on_round: Callable[[SyncStatus], None],
        first_delay_s: float = 5.0,
        delay: Callable[[float], float] = next_delay,
    ) -> None:
        self._sync = sync
        self._post = post
        self._interval_s = interval_s
        self._on_round = on_round
        self._first_delay_s = first_delay_s
        self._delay = delay
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kiosk-fleet", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        wait = self._first_delay_s
        while not self._stop.wait(wait):
            try:
                status = self._sync.poll()
            except Exception:  # a bug in one round must not end the heartbeats
                log.exception("fleet round failed")
            else:
                self._post(functools.partial(self._on_round, status))
            wait = self._delay(self._interval_s)
