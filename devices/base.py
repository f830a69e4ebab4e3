"""The vocabulary every device kind shares.

Lifecycle (UnifiedPOS): ``open`` → ``enable`` → … → ``disable`` → ``close``; every step is idempotent.
Input devices (card reader, scanner) deliver one input and then disable themselves until the
application enables them again, so a card read while nobody asked for one is never delivered.

Two views of a device are kept apart on purpose:

* ``DeviceState`` is the driver's lifecycle, guarded by ``ALLOWED_TRANSITIONS`` (a driver bug that
  tries an illegal move raises ``IllegalTransition`` instead of silently corrupting the state);
* ``Health`` is what a technician and the application care about (online, no device, paper out …),
  together with a per-kind status snapshot whose values may be ``"unknown"``.

Everything a device tells the outside world travels as a ``DeviceEvent`` through the sink the
manager attaches; errors travel as data (``ErrorEvent``) as well as exceptions (``DeviceError``).
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import ClassVar, Final

__all__ = [
    "ALLOWED_TRANSITIONS",
    "UNKNOWN",
    "DataEvent",
    "Device",
    "DeviceConfigError",
    "DeviceError",
    "DeviceEvent",
    "DeviceHardwareError",
    "DeviceInfo",
    "DeviceNotFoundError",
    "DeviceProtocolError",
    "DeviceState",
    "DeviceTimeoutError",
    "DeviceUserError",
    "ErrorEvent",
    "EventSink",
    "Health",
    "IllegalTransition",
    "NotSupportedError",
    "OutputCompleteEvent",
    "RecommendedAction",
    "StatusChangedEvent",
]

_log = logging.getLogger(__name__)

UNKNOWN: Final = "unknown"
"""The status value for anything the device could not or did not report."""


class DeviceState(Enum):
    """The driver's lifecycle state."""

    CLOSED = "closed"
    STARTING = "starting"
    IDLE = "idle"
    BUSY = "busy"
    ERROR = "error"

    @property
    def is_open(self) -> bool:
        """True while the device is usable (idle or busy)."""
        return self in (DeviceState.IDLE, DeviceState.BUSY)

    def can_become(self, new: DeviceState) -> bool:
        """Whether ``ALLOWED_TRANSITIONS`` permits moving from this state to ``new``."""
        return new in ALLOWED_TRANSITIONS[self]


ALLOWED_TRANSITIONS: Final[Mapping[DeviceState, frozenset[DeviceState]]] = MappingProxyType(
    {
        DeviceState.CLOSED: frozenset({DeviceState.STARTING}),
        DeviceState.STARTING: frozenset({DeviceState.IDLE, DeviceState.ERROR, DeviceState.CLOSED}),
        DeviceState.IDLE: frozenset({DeviceState.BUSY, DeviceState.ERROR, DeviceState.CLOSED}),
        DeviceState.BUSY: frozenset({DeviceState.IDLE, DeviceState.ERROR, DeviceState.CLOSED}),
        # A fault the device recovers from by itself (cover closed again) returns to IDLE;
        # anything else is closed and opened afresh.
        DeviceState.ERROR: frozenset({DeviceState.IDLE, DeviceState.CLOSED}),
    }
)


class Health(Enum):
    """What the device can do for a citizen right now."""

    ONLINE = "online"
    OFFLINE = "offline"
    NO_DEVICE = "no_device"
    HARDWARE_ERROR = "hardware_error"
    USER_ERROR = "user_error"
    BUSY = "busy"
    STARTING = "starting"


class RecommendedAction(Enum):
    """What whoever receives an error should do about it."""

    RETRY = "retry"
    ASK_USER = "ask_user"
    NEEDS_MAINTENANCE = "needs_maintenance"
    NONE = "none"


@dataclass(frozen=True)
class DeviceInfo:
    """Identification shown to technicians. Never contains personal data."""

    model: str = UNKNOWN
    serial: str = UNKNOWN
    firmware: str = UNKNOWN
    extra: dict[str, str] = field(default_factory=dict)


# --- events -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataEvent:
    """An input arrived (a card was read, a code was scanned)."""

    device: str
    data: object


@dataclass(frozen=True)
class StatusChangedEvent:
    """Health or the status snapshot changed. ``status`` values may be ``"unknown"``."""

    device: str
    old: Health
    new: Health
    status: Mapping[str, str]


@dataclass(frozen=True)
class ErrorEvent:
    """Something went wrong; ``message`` is for logs and technicians and holds no personal data."""

    device: str
    code: str
    message: str
    action: RecommendedAction


@dataclass(frozen=True)
class OutputCompleteEvent:
    """An output job (a receipt) finished."""

    device: str
    job_id: str


DeviceEvent = DataEvent | StatusChangedEvent | ErrorEvent | OutputCompleteEvent
EventSink = Callable[[DeviceEvent], None]


# --- errors -------------------------------------------------------------------------------------


class DeviceError(Exception):
    """Base of every device failure: a stable machine ``code`` and a ``RecommendedAction``.

    ``health`` is the health the device is in after this error (``None``: unchanged). Messages
    must never contain personal data: they end up in logs.
    """

    default_code: ClassVar[str] = "device_error"
    default_action: ClassVar[RecommendedAction] = RecommendedAction.RETRY
    health: ClassVar[Health | None] = None

    def __init__(
        self, message: str, *, code: str | None = None, action: RecommendedAction | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.action = action or self.default_action

    def to_event(self, device: str) -> ErrorEvent:
        """This error as data, for listeners."""
        return ErrorEvent(device=device, code=self.code, message=self.message, action=self.action)


class DeviceTimeoutError(DeviceError):
    """The device did not answer within the command's deadline."""

    default_code = "timeout"
    health = Health.OFFLINE


class DeviceNotFoundError(DeviceError):
    """The device is not there: never plugged in, unplugged, or its port vanished."""

    default_code = "no_device"
    health = Health.NO_DEVICE


class DeviceProtocolError(DeviceError):
    """The device answered with something that is not a valid frame; usually transient."""

    default_code = "protocol_error"


class DeviceHardwareError(DeviceError):
    """The device reports a fault of its own; a technician has to look at it."""

    default_code = "hardware_fault"
    default_action = RecommendedAction.NEEDS_MAINTENANCE
    health = Health.HARDWARE_ERROR


class DeviceUserError(DeviceError):
    """The citizen has to do something (place the card again, close the cover)."""

    default_code = "user_error"
    default_action = RecommendedAction.ASK_USER


class NotSupportedError(DeviceError):
    """The device (or this driver) cannot do what was asked."""

    default_code = "not_supported"
    default_action = RecommendedAction.NONE


class DeviceConfigError(DeviceError):
    """A device URI or setting is malformed or names an unknown driver."""

    default_code = "bad_config"
    default_action = RecommendedAction.NEEDS_MAINTENANCE


class IllegalTransition(DeviceError):
    """A driver tried a lifecycle move that ``ALLOWED_TRANSITIONS`` forbids (a driver bug)."""

    default_code = "illegal_transition"
    default_action = RecommendedAction.NEEDS_MAINTENANCE


def _discard(event: DeviceEvent) -> None:
    """The sink of a device nobody listens to."""


# --- the device ---------------------------------------------------------------------------------


class Device(ABC):
    """Base of every driver. Subclasses implement ``_open`` and ``_close``; input devices ``_poll``.

    Thread rule: after ``open`` every method must be called from the thread that opened the device
    (the manager's worker for that device, or the only thread of a command-line tool). I/O helpers
    call ``_assert_io_thread`` so a violation fails loudly instead of interleaving bytes on a port.

    ``poll`` is called repeatedly by the owner thread while the device is open; it does one short,
    bounded piece of work (e.g. one "is a card there?" exchange) and returns.
    """

    kind: ClassVar[str] = "device"
    is_input: ClassVar[bool] = False
    poll_interval_s: float = 0.5
    keepalive_interval_s: float = 2.0

    def __init__(self, name: str | None = None) -> None:
        self._name = name or self.kind
        self._sink: EventSink = _discard
        self._state = DeviceState.CLOSED
        self._health = Health.OFFLINE
        self._status: dict[str, str] = {}
        self._enabled = False
        self._io_thread: int | None = None
        self._next_keepalive = 0.0

    # -- wiring ----------------------------------------------------------------------------------

    def attach(self, name: str, sink: EventSink) -> None:
        """Give the device its configured name and the sink its events go to."""
        self._name = name
        self._sink = sink

    @property
    def name(self) -> str:
        return self._name

    @property
    def state(self) -> DeviceState:
        return self._state

    @property
    def health(self) -> Health:
        return self._health

    @property
    def enabled(self) -> bool:
        return self._enabled

    # -- lifecycle -------------------------------------------------------------------------------

    def open(self) -> None:
        """Connect to the device and check it answers. No-op when already open.

        On failure the device is left CLOSED (ready for another attempt), its health reflects the
        failure, and the ``DeviceError`` propagates.
        """
        if self._state is not DeviceState.CLOSED:
            return
        self._io_thread = threading.get_ident()
        self._transition(DeviceState.STARTING)
        if self._health is Health.OFFLINE:
            # Reconnect attempts keep the failure's health (no device, hardware error) until one
            # succeeds, so a device that stays unplugged does not flap between two healths.
            self._set_health(Health.STARTING)
        try:
            self._open()
        except DeviceError as exc:
            self._transition(DeviceState.ERROR)
            self._set_health(exc.health or Health.OFFLINE)
            self._release()
            raise
        except Exception:
            # A driver bug: still leave the device CLOSED, so the next attempt really retries.
            self._transition(DeviceState.ERROR)
            self._set_health(Health.OFFLINE)
            self._release()
            raise
        self._transition(DeviceState.IDLE)
        self._set_health(Health.ONLINE)

    def close(self) -> None:
        """Disconnect. Idempotent; never raises."""
        if self._state is DeviceState.CLOSED:
            return
        self._enabled = False
        self._release()
        if self._health not in (Health.NO_DEVICE, Health.HARDWARE_ERROR):
            self._set_health(Health.OFFLINE)

    def enable(self) -> None:
        """Start delivering input (input devices) or accepting output. Idempotent."""
        if not self._state.is_open:
            raise DeviceError("device is not open", code="not_open")
        if not self._enabled:
            self._enabled = True
            self._on_enable()

    def disable(self) -> None:
        """Stop delivering input. Idempotent; allowed in any state."""
        if self._enabled:
            self._enabled = False
            if self._state.is_open:
                self._on_disable()

    def poll(self) -> None:
        """Do one bounded piece of background work if the device is open: the driver's ``_poll``
        while enabled, otherwise a ``_keepalive`` every ``keepalive_interval_s`` (so a device
        unplugged while nobody uses it still shows up as lost).

        A ``DeviceError`` escaping the driver's ``_poll`` means the device is unusable: it is
        reported (ERROR state, health from the error, an ``ErrorEvent``) and re-raised, and the
        owner closes and later reopens the device. Errors the citizen can fix are reported by
        the driver itself and do not escape.
        """
        if self._state is not DeviceState.IDLE:
            return
        try:
            if self._enabled:
                self._poll()
            elif time.monotonic() >= self._next_keepalive:
                self._next_keepalive = time.monotonic() + self.keepalive_interval_s
                self._keepalive()
        except DeviceError as exc:
            self._fail(exc)
            raise

    def info(self) -> DeviceInfo:
        """Model, serial, firmware for technicians; ``"unknown"`` where not known."""
        return DeviceInfo()

    def status(self) -> Mapping[str, str]:
        """The per-kind status snapshot (a copy); values may be ``"unknown"``."""
        return dict(self._status)

    # -- for subclasses ----------------------------------------------------------------------------

    @abstractmethod
    def _open(self) -> None:
        """Connect and verify; raise a ``DeviceError`` on failure."""

    @abstractmethod
    def _close(self) -> None:
        """Release the transport. Must not raise."""

    def _poll(self) -> None:  # noqa: B027 - optional hook, empty by design
        """One unit of input work while enabled. Default: nothing (output devices)."""

    def _keepalive(self) -> None:  # noqa: B027 - optional hook, empty by design
        """Hook: check, cheaply, that the device is still there (raise a ``DeviceError`` if not)."""

    def _on_enable(self) -> None:  # noqa: B027 - optional hook, empty by design
        """Hook: the device was enabled."""

    def _on_disable(self) -> None:  # noqa: B027 - optional hook, empty by design
        """Hook: the device was disabled."""

    def _emit(self, event: DeviceEvent) -> None:
        self._sink(event)

    def _deliver(self, data: object) -> None:
        """Hand one input to the listeners; input devices then disable themselves."""
        if self.is_input:
            self.disable()
        self._emit(DataEvent(device=self._name, data=data))

    def _report(self, error: DeviceError) -> None:
        """Publish an error as an event and apply the health it implies."""
        if error.health is not None:
            self._set_health(error.health)
        self._emit(error.to_event(self._name))

    def _transition(self, new: DeviceState) -> None:
        if new is self._state:
            return
        if not self._state.can_become(new):
            raise IllegalTransition(f"{self.kind}: {self._state.value} -> {new.value} is not allowed")
        self._state = new

    def _set_health(self, new: Health, **status: str) -> None:
        """Set health and merge ``status`` into the snapshot; emit one event if anything changed."""
        merged = {**self._status, **status}
        if new is self._health and merged == self._status:
            return
        old = self._health
        self._health = new
        self._status = merged
        self._emit(
            StatusChangedEvent(device=self._name, old=old, new=new, status=MappingProxyType(dict(merged)))
        )

    def _set_status(self, **status: str) -> None:
        """Update the status snapshot, keeping health."""
        self._set_health(self._health, **status)

    @contextmanager
    def _busy(self) -> Iterator[None]:
        """Mark the device BUSY for the duration of one operation (IDLE again afterwards)."""
        self._transition(DeviceState.BUSY)
        try:
            yield
        finally:
            if self._state is DeviceState.BUSY:
                self._transition(DeviceState.IDLE)

    def _fail(self, error: DeviceError) -> None:
        """The device is unusable until reopened: ERROR state, health from the error, event out."""
        if self._state.is_open or self._state is DeviceState.STARTING:
            self._transition(DeviceState.ERROR)
        self._report(error)

    def _assert_io_thread(self) -> None:
        """Fail loudly if I/O happens off the thread that owns the device."""
        if self._io_thread is not None and self._io_thread != threading.get_ident():
            raise RuntimeError(f"{self.kind} device used from a thread that does not own it")

    def _release(self) -> None:
        try:
            self._close()
        except Exception:
            # close() promises never to raise; a driver whose _close does is logged, not obeyed.
            _log.warning("%s driver failed to close cleanly", self.kind, exc_info=True)
        finally:
            self._state = DeviceState.CLOSED
            self._io_thread = None
