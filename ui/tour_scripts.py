"""The tour's scripts: which flows to walk, given the backends that are available."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ui.tour import Tour, browse


def scripts_for(backends: Any) -> list[Callable[[Tour], None]]:
    return [browse]
