"""How work crosses threads: ``post`` onto the core thread, ``BackgroundWork`` off it.

Core objects live on one thread (the Qt main thread in the app). Device threads and network workers
never touch them; they hand a callable to ``post``, which the composition root supplies: Qt-backed in
the app, a ``QueuedPost`` in tests.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

log = logging.getLogger(__name__)

Post = Callable[[Callable[[], None]], None]
T = TypeVar("T")


class QueuedPost:
    """A ``post`` for tests and headless tools: callables wait until ``drain`` runs them."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

    def __call__(self, fn: Callable[[], None]) -> None:
        self._queue.put(fn)

    def drain(self, timeout: float = 0.0) -> int:
        """Run what has been posted; wait up to ``timeout`` for the first callable. Returns the count."""
        count = 0
        try:
            fn = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return 0
        while True:
            fn()
            count += 1
            try:
                fn = self._queue.get_nowait()
            except queue.Empty:
                return count


class BackgroundWork:
    """A small pool for blocking I/O (network calls); results come back through ``post``.

    Thread rules: ``fn`` runs on a pool thread and must not touch core objects; ``on_done`` and
    ``on_error`` run on the core thread.
    """

    def __init__(self, post: Post, *, workers: int = 2) -> None:
        self._post = post
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kiosk-io")

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[Exception], None],
    ) -> Future[T]:
        def finished(future: Future[T]) -> None:
            try:
                result = future.result()
            except Exception as exc:
                error = exc  # ``exc`` is cleared when the except block ends; the lambda runs later
                self._post(lambda: on_error(error))
            else:
                self._post(lambda: on_done(result))

        future = self._pool.submit(fn)
        future.add_done_callback(finished)
        return future

    def shutdown(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)
