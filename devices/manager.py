"""Runs every configured device on a thread of its own and reports to the core thread.

Thread rules (written down because everything here depends on them):

* each device is opened, polled, enabled, used and closed only by its own worker thread;
* everything the manager hands back (events, ``run`` results and errors) goes through the injected
  ``post(callable)``, which the composition root wires to the core thread's queue, so listeners
  never run on a worker;
* the public methods (``enable``, ``disable``, ``run``, ``report``, ``subscribe``) may be called
  from any thread; they only enqueue work or read a snapshot.

A device that fails to open or is lost while running is closed and reopened with exponential
backoff (``Backoff``: 0.25 s doubling to 2 s, with jitter), so a replugged device is back within a
few seconds without a restart. An input device the application had enabled is enabled again after
a reconnect; an input delivered in the meantime is never replayed.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, TypeVar

from devices.base import (
    DataEvent,
    Device,
    DeviceError,
    DeviceEvent,
    DeviceInfo,
    DeviceNotFoundError,
    DeviceState,
    ErrorEvent,
    Health,
    RecommendedAction,
    StatusChangedEvent,
)

__all__ = ["Backoff", "DeviceManager", "DeviceReport", "Post"]

_log = logging.getLogger(__name__)

Post = Callable[[Callable[[], None]], None]
Listener = Callable[[DeviceEvent], None]
_R = TypeVar("_R")

_JOIN_TIMEOUT_S: Final = 10.0


@dataclass(frozen=True)
class Backoff:
    """Reconnect delays: ``initial`` doubling up to ``maximum``, each scaled by ±``jitter``."""

    initial_s: float = 0.25
    maximum_s: float = 2.0
    jitter: float = 0.1

    def delay(self, attempt: int) -> float:
        base: float = min(self.maximum_s, self.initial_s * 2.0 ** min(attempt, 16))
        return base * (1 + random.uniform(-self.jitter, self.jitter))


@dataclass(frozen=True)
class DeviceReport:
    """One device as a technician sees it."""

    name: str
    kind: str
    health: Health
    state: DeviceState
    info: DeviceInfo
    status: Mapping[str, str]
    last_error: str | None = None
    reconnects: int = 0


@dataclass
class _Slot:
    """A device, its worker and the worker's inbox."""

    name: str
    device: Device
    inbox: queue.SimpleQueue[Callable[[], None] | None] = field(default_factory=queue.SimpleQueue)
    thread: threading.Thread | None = None
    wants_enabled: bool = False
    info: DeviceInfo = field(default_factory=DeviceInfo)
    last_error: str | None = None
    reconnects: int = 0


class DeviceManager:
    """Owns the device workers. Build, ``add`` devices, ``subscribe``, then ``start``."""

    def __init__(self, post: Post, *, backoff: Backoff | None = None) -> None:
        self._post = post
        self._backoff = backoff or Backoff()
        self._slots: dict[str, _Slot] = {}
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._started = False

    # -- set-up ----------------------------------------------------------------------------------

    def add(self, name: str, device: Device) -> None:
        """Register a CLOSED device under ``name`` (before ``start``)."""
        if self._started:
            raise RuntimeError("add devices before starting the manager")
        if name in self._slots:
            raise ValueError(f"a device named {name!r} is already registered")
        slot = _Slot(name=name, device=device)
        device.attach(name, lambda event: self._on_device_event(slot, event))
        self._slots[name] = slot

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` (through ``post``) for every device event; returns an unsubscribe."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._slots)

    # -- running ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start one worker per device; each opens its device (retrying with backoff)."""
        if self._started:
            return
        self._started = True
        for slot in self._slots.values():
            slot.thread = threading.Thread(
                target=self._work, args=(slot,), name=f"device-{slot.name}", daemon=True
            )
            slot.thread.start()

    def stop(self) -> None:
        """Close every device on its own thread and wait for the workers. Idempotent."""
        self._stopping.set()
        for slot in self._slots.values():
            slot.inbox.put(None)
        for slot in self._slots.values():
            if slot.thread is not None and slot.thread is not threading.current_thread():
                slot.thread.join(timeout=_JOIN_TIMEOUT_S)

    def enable(self, name: str) -> None:
        """Ask the device to deliver (one) input; remembered across reconnects."""
        slot = self._slot(name)
        slot.wants_enabled = True
        slot.inbox.put(lambda: self._apply_enabled(slot))

    def disable(self, name: str) -> None:
        slot = self._slot(name)
        slot.wants_enabled = False
        slot.inbox.put(lambda: self._apply_enabled(slot))

    def run(
        self,
        name: str,
        fn: Callable[[Device], _R],
        on_done: Callable[[_R], None],
        on_error: Callable[[DeviceError], None],
    ) -> None:
        """Run ``fn(device)`` on the device's worker; ``on_done(result)`` or ``on_error(error)``
        is posted back. A device that is not connected fails at once with ``DeviceNotFoundError``.
        """
        slot = self._slot(name)

        def job() -> None:
            device = slot.device
            if not device.state.is_open:
                error: DeviceError = DeviceNotFoundError(f"{name} is not connected")
                self._post(lambda: on_error(error))
                return
            try:
                result = fn(device)
            except DeviceError as exc:
                caught = exc
            except Exception as exc:  # a bug in fn still answers the caller
                _log.exception("job failed on device %s", name, exc_info=exc)
                caught = DeviceError(f"internal error ({type(exc).__name__})", code="driver_error")
            else:
                self._post(lambda: on_done(result))
                return
            self._post(lambda: on_error(caught))
            if not device.state.is_open:
                device.close()

        slot.inbox.put(job)

    def report(self) -> dict[str, DeviceReport]:
        """A snapshot of every device, for maintenance views and ``kiosk-devices list``."""
        return {
            slot.name: DeviceReport(
                name=slot.name,
                kind=slot.device.kind,
                health=slot.device.health,
                state=slot.device.state,
                info=slot.info,
                status=slot.device.status(),
                last_error=slot.last_error,
                reconnects=slot.reconnects,
            )
            for slot in self._slots.values()
        }

    # -- the worker --------------------------------------------------------------------------------

    def _work(self, slot: _Slot) -> None:
        device = slot.device
        failures = 0
        opened_before = False
        try:
            while not self._stopping.is_set():
                try:
                    if not device.state.is_open:
                        if not self._try_open(slot):
                            failures += 1
                            self._wait(slot, self._backoff.delay(failures - 1))
                            continue
                        if opened_before:
                            slot.reconnects += 1
                        opened_before = True
                        failures = 0
                    self._poll(slot)
                    self._wait(slot, device.poll_interval_s)
                except Exception as exc:  # whatever happens, the worker survives
                    self._driver_bug(slot, exc)
                    failures += 1
                    self._wait(slot, self._backoff.delay(failures - 1))
        finally:
            device.close()

    def _try_open(self, slot: _Slot) -> bool:
        device = slot.device
        try:
            device.open()
        except DeviceError as exc:
            # One event per distinct failure, not one per retry every two seconds.
            if slot.last_error != exc.code:
                slot.last_error = exc.code
                self._publish(exc.to_event(slot.name))
            return False
        except Exception as exc:  # a driver bug must not kill the worker
            self._driver_bug(slot, exc)
            return False
        slot.last_error = None
        slot.info = device.info()
        self._apply_enabled(slot)
        return True

    def _poll(self, slot: _Slot) -> None:
        device = slot.device
        try:
            device.poll()
        except DeviceError as exc:
            # The device already reported the error; it is closed here and reopened later.
            slot.last_error = exc.code
            device.close()
        except Exception as exc:
            self._driver_bug(slot, exc)

    def _wait(self, slot: _Slot, seconds: float) -> None:
        """Sleep up to ``seconds``, running any work that arrives meanwhile."""
        try:
            item = slot.inbox.get(timeout=max(0.0, seconds))
        except queue.Empty:
            return
        while item is not None:
            self._run_item(slot, item)
            try:
                item = slot.inbox.get_nowait()
            except queue.Empty:
                return

    def _run_item(self, slot: _Slot, item: Callable[[], None]) -> None:
        try:
            item()
        except DeviceError as exc:
            slot.last_error = exc.code
            self._publish(exc.to_event(slot.name))
        except Exception as exc:
            self._driver_bug(slot, exc)

    def _apply_enabled(self, slot: _Slot) -> None:
        device = slot.device
        if not device.state.is_open:
            return  # applied after the next successful open
        if slot.wants_enabled:
            device.enable()
        else:
            device.disable()

    def _driver_bug(self, slot: _Slot, exc: Exception) -> None:
        _log.exception("driver error on device %s", slot.name, exc_info=exc)
        slot.last_error = "driver_error"
        slot.device.close()
        self._publish(
            ErrorEvent(
                device=slot.name,
                code="driver_error",
                message=f"internal driver error ({type(exc).__name__})",
                action=RecommendedAction.NEEDS_MAINTENANCE,
            )
        )

    # -- events ------------------------------------------------------------------------------------

    def _on_device_event(self, slot: _Slot, event: DeviceEvent) -> None:
        """Runs on the worker: keep the manager's view current, then hand over to the core."""
        if isinstance(event, DataEvent) and slot.device.is_input:
            slot.wants_enabled = False  # the device disabled itself after one input
        if isinstance(event, StatusChangedEvent) and event.new is Health.ONLINE:
            slot.last_error = None
        self._publish(event)

    def _publish(self, event: DeviceEvent) -> None:
        self._post(lambda: self._dispatch(event))

    def _dispatch(self, event: DeviceEvent) -> None:
        """Runs on the core thread. One failing listener does not deprive the others."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                _log.exception("device event listener failed")

    def _slot(self, name: str) -> _Slot:
        try:
            return self._slots[name]
        except KeyError:
            raise KeyError(f"no device named {name!r}") from None
