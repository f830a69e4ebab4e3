"""The composition root: the one place that builds the kiosk's object graph from configuration.

Nothing else constructs long-lived collaborators, and there is no module-level application state: the
UI, the headless tour, the technician commands and the tests all call ``build_kiosk`` and hold the
``Kiosk`` it returns. Every seam (clock, ``post``, devices, API client, submissions) can be replaced by a
fake through the keyword arguments.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.clock import Clock, SystemClock
from kiosk.config import KioskConfig
from kiosk.dispatch import BackgroundWork, Post
from kiosk.events import EventBus
from kiosk.logs import Redactor, configure_logging

log = logging.getLogger(__name__)


@dataclass
class Kiosk:
    """The running kiosk's collaborators. Owned by whoever called ``build_kiosk``; close it when done."""

    config: KioskConfig
    clock: Clock
    post: Post
    events: EventBus
    redactor: Redactor
    work: BackgroundWork
    parts: dict[str, Any] = field(default_factory=dict)
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def on_close(self, closer: Callable[[], None]) -> None:
        """Register a shutdown step; steps run in reverse order of registration."""
        self._closers.append(closer)

    def close(self) -> None:
        """Stop background work and release devices and storage. Safe to call twice."""
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception:
                log.exception("shutdown step failed")
        self.work.shutdown(wait=False)


def build_kiosk(
    config: KioskConfig,
    *,
    post: Post,
    clock: Clock | None = None,
    redactor: Redactor | None = None,
    configure_logs: bool = True,
    **seams: Any,
) -> Kiosk:
    """Build the kiosk from ``config``; ``seams`` replace parts by name (``api=``, ``devices=``, ...)."""
    redactor = redactor or Redactor()
    if configure_logs:
        config.ensure_state_dir()
        configure_logging(level=config.logging.level, file=config.log_file, redactor=redactor)
    kiosk = Kiosk(
        config=config,
        clock=clock or SystemClock(),
        post=post,
        events=EventBus(),
        redactor=redactor,
        work=BackgroundWork(post),
    )
    kiosk.parts.update(seams)
    log.info("kiosk built", extra={"kiosk_id": config.kiosk.id, "parts": sorted(kiosk.parts)})
    return kiosk
