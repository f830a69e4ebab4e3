"""Test helpers for device code: a stand-in core thread and an event recorder."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from devices.base import DataEvent, DeviceEvent, ErrorEvent, StatusChangedEvent


class FakeCoreLoop:
    """Plays the core thread: ``post`` queues callables; ``run_until`` runs them on the caller.

    Records which thread ran each callable so tests can assert listeners run on the core thread.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.thread = threading.current_thread()

    def post(self, fn: Callable[[], None]) -> None:
        self._queue.put(fn)

    def run_until(self, predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
        """Run posted callables until ``predicate()`` holds; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                fn = self._queue.get(timeout=min(0.05, remaining))
            except queue.Empty:
                continue
            fn()
        return True

    def run_for(self, seconds: float) -> None:
        """Run posted callables for a while (to show that something does NOT happen)."""
        self.run_until(lambda: False, timeout_s=seconds)


class EventLog:
    """A listener that keeps every event and the thread it arrived on."""

    def __init__(self) -> None:
        self.events: list[DeviceEvent] = []
        self.threads: set[threading.Thread] = set()

    def __call__(self, event: DeviceEvent) -> None:
        self.events.append(event)
        self.threads.add(threading.current_thread())

    def data(self) -> list[object]:
        return [e.data for e in self.events if isinstance(e, DataEvent)]

    def errors(self) -> list[str]:
        return [e.code for e in self.events if isinstance(e, ErrorEvent)]

    def healths(self) -> list[str]:
        return [e.new.value for e in self.events if isinstance(e, StatusChangedEvent)]
