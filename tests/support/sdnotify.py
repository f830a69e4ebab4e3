"""A test listener for sd_notify datagrams: what systemd would receive on ``$NOTIFY_SOCKET``."""

from __future__ import annotations

import os
import socket
import tempfile
import time
from pathlib import Path
from types import TracebackType


class NotifyListener:
    """Binds a datagram socket (filesystem path, or abstract name when ``abstract``) and collects messages.

    ``env_value`` is what to put in ``$NOTIFY_SOCKET``. Messages are parsed into ``{KEY: value}`` dicts.
    """

    def __init__(self, *, abstract: bool = False) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="notify-")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = f"civic-kiosk-test-{os.getpid()}-{id(self)}"
            self.sock.bind("\0" + name)
            self.env_value = "@" + name
        else:
            path = Path(self._dir.name) / "notify.sock"
            self.sock.bind(str(path))
            self.env_value = str(path)
        self.messages: list[dict[str, str]] = []

    def receive(self, timeout: float = 5.0) -> dict[str, str] | None:
        """The next message within ``timeout`` seconds, or ``None``."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return None
        fields = dict(line.split("=", 1) for line in data.decode("utf-8").splitlines() if line)
        self.messages.append(fields)
        return fields

    def wait_for(self, key: str, timeout: float = 10.0) -> dict[str, str] | None:
        """Receive until a message carrying ``key`` arrives; ``None`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is None:
                return None
            if key in message:
                return message
        return None

    def close(self) -> None:
        self.sock.close()
        self._dir.cleanup()

    def __enter__(self) -> NotifyListener:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
