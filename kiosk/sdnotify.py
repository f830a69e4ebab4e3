"""The systemd notification protocol (sd_notify), in plain Python, with no extra daemon.

Contract:
- ``SdNotifier.from_environment()`` reads ``$NOTIFY_SOCKET`` (a filesystem path, or ``@name`` for a socket
  in the abstract namespace), ``$WATCHDOG_USEC`` and ``$WATCHDOG_PID``. Outside systemd (no socket) every
  method is a silent no-op that returns ``False``.
- ``ready()``, ``watchdog()``, ``stopping()`` and ``status(text)`` each send one datagram of
  ``KEY=value`` lines and return ``True`` when the datagram was handed to the socket.
- Sending never raises on a missing or refusing socket: a kiosk must not stop serving because its
  supervisor went away. Malformed fields (a newline in a value, a key that is not ``[A-Z_]+``) raise
  ``NotifyFieldError``, because that is a programming error.
- ``watchdog_interval`` is the interval systemd expects pings within (seconds), or ``None`` when the
  watchdog is off or addressed to another process (``$WATCHDOG_PID`` names a different PID).
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

_KEY = re.compile(r"[A-Z_][A-Z0-9_]*")


class NotifyFieldError(ValueError):
    """A notification field that the protocol cannot carry (bad key, newline in a value)."""


def socket_address(value: str) -> str | None:
    """The ``AF_UNIX`` address for a ``$NOTIFY_SOCKET`` value, or ``None`` when it is not one we support.

    ``@name`` is the abstract namespace (a leading NUL byte on the wire); ``/path`` is a filesystem
    socket. Anything else (empty, relative, ``vsock:``) is unsupported and disables notifications.
    """
    if value.startswith("@") and len(value) > 1:
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    return None


def format_message(fields: Mapping[str, str]) -> bytes:
    """Encode ``fields`` as the newline-separated ``KEY=value`` datagram systemd expects."""
    if not fields:
        raise NotifyFieldError("a notification needs at least one field")
    lines = []
    for key, value in fields.items():
        if not _KEY.fullmatch(key):
            raise NotifyFieldError(f"invalid notification key {key!r}")
        if "\n" in value or "\0" in value:
            raise NotifyFieldError(f"notification field {key} contains a newline or NUL")
        lines.append(f"{key}={value}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def watchdog_interval_from(environ: Mapping[str, str], pid: int) -> float | None:
    """Seconds between watchdog deadlines, as ``sd_watchdog_enabled`` would decide for process ``pid``."""
    raw = environ.get("WATCHDOG_USEC", "")
    if not raw:
        return None
    try:
        usec = int(raw)
    except ValueError:
        log.warning("ignoring unparsable WATCHDOG_USEC")
        return None
    if usec <= 0:
        return None
    owner = environ.get("WATCHDOG_PID", "")
    if owner:
        try:
            if int(owner) != pid:
                return None
        except ValueError:
            log.warning("ignoring unparsable WATCHDOG_PID")
            return None
    return usec / 1_000_000


@dataclass(frozen=True)
class SdNotifier:
    """Sends notifications to the service manager at ``address`` (``None``: not under systemd)."""

    address: str | None = None
    watchdog_interval: float | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> SdNotifier:
        """Build from ``environ`` (default ``os.environ``) for the current process."""
        env = os.environ if environ is None else environ
        address = socket_address(env.get("NOTIFY_SOCKET", ""))
        if env.get("NOTIFY_SOCKET") and address is None:
            log.warning("NOTIFY_SOCKET has an unsupported form; notifications disabled")
        return cls(address=address, watchdog_interval=watchdog_interval_from(env, os.getpid()))

    @property
    def enabled(self) -> bool:
        """Whether a service manager is listening."""
        return self.address is not None

    def send(self, fields: Mapping[str, str]) -> bool:
        """Send one notification; ``False`` when there is no listener or the datagram was not accepted."""
        message = format_message(fields)
        if self.address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message, self.address)
        except OSError as exc:
            # The supervisor may be restarting or gone; the kiosk carries on either way.
            log.debug("sd_notify failed: %s", exc.strerror or type(exc).__name__)
            return False
        return True

    def ready(self, status: str | None = None, *, main_pid: int | None = None) -> bool:
        """READY=1: startup is finished. ``main_pid`` makes that process the service's main process."""
        fields = {"READY": "1"}
        if status is not None:
            fields["STATUS"] = status
        if main_pid is not None:
            fields["MAINPID"] = str(main_pid)
        return self.send(fields)

    def watchdog(self) -> bool:
        """WATCHDOG=1: the process is alive and its event loop is turning."""
        return self.send({"WATCHDOG": "1"})

    def stopping(self, status: str | None = None) -> bool:
        """STOPPING=1: an orderly shutdown has begun."""
        fields = {"STOPPING": "1"}
        if status is not None:
            fields["STATUS"] = status
        return self.send(fields)

    def status(self, text: str) -> bool:
        """STATUS=...: a one-line human-readable state shown by ``systemctl status``."""
        return self.send({"STATUS": text})
