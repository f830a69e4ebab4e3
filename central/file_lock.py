"""An exclusive lock shared by the processes of one host, held on a small file (``flock``).

Used beside a SQLite database file so that several service processes take turns without
polling: a process waiting for the lock sleeps in the kernel and wakes the moment the holder
releases it (SQLite's own busy handler sleeps 1, 2, 5, 10... ms between retries instead). The
kernel drops the lock when its holder's process ends, however it ends.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path


class FileLock:
    """An exclusive lock on ``path`` (created if missing); one holder per process at a time.

    Not re-entrant. A thread of this process that wants it while another thread holds it waits
    for that thread first (an in-process lock), then for other processes (the file lock).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._descriptor: int | None = None
        self._local = threading.Lock()  # flock locks belong to the open file, not to a thread
        self._held = False

    def _open(self) -> int:
        if self._descriptor is None:
            self._descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._descriptor

    @property
    def held(self) -> bool:
        """Whether this process holds the lock (taken through this object)."""
        return self._held

    def acquire(self) -> None:
        """Wait until the lock is ours (the file lock is taken without holding the GIL)."""
        self._local.acquire()
        try:
            fcntl.flock(self._open(), fcntl.LOCK_EX)
        except BaseException:
            self._local.release()
            raise
        self._held = True

    def try_acquire(self) -> bool:
        """Take the lock if no one holds it; True when it is ours now."""
        if not self._local.acquire(blocking=False):
            return False
        try:
            fcntl.flock(self._open(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._local.release()
            return False
        except BaseException:
            self._local.release()
            raise
        self._held = True
        return True

    def release(self) -> None:
        """Give the lock up (it must be held)."""
        assert self._descriptor is not None and self._held
        self._held = False
        fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        self._local.release()

    def close(self) -> None:
        """Release the lock if held and close the file."""
        if self._held:
            self.release()
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
