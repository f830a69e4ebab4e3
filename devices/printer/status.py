"""Reading DLE EOT real-time status answers into a snapshot that can say "unknown".

Each request (``DLE EOT n``) is answered with one byte whose fixed bits are ``0xx1 xx10``
(bit 1 and bit 4 set, bits 0 and 7 clear); a byte without that pattern is not a status answer.
A printer that does not answer leaves the corresponding keys "unknown": unlike python-escpos 3.1,
silence is never reported as "paper OK".

Snapshot keys and values: ``online`` true|false|unknown, ``cover`` closed|open|unknown,
``paper`` ok|near_end|out|unknown, ``error`` true|false|unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from devices.printer import commands

UNKNOWN: Final = "unknown"
_FIXED_MASK: Final = 0b1001_0011
_FIXED_BITS: Final = 0b0001_0010


def is_status_byte(value: int) -> bool:
    return (value & _FIXED_MASK) == _FIXED_BITS


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """One status snapshot; every field may be "unknown"."""

    online: str = UNKNOWN
    cover: str = UNKNOWN
    paper: str = UNKNOWN
    error: str = UNKNOWN

    def as_dict(self) -> dict[str, str]:
        return {"online": self.online, "cover": self.cover, "paper": self.paper, "error": self.error}

    @property
    def answered(self) -> bool:
        """True if the printer answered at least one request."""
        return any(v != UNKNOWN for v in self.as_dict().values())


def parse_printer(value: int | None) -> str:
    """DLE EOT 1: bit 3 set = offline."""
    if value is None or not is_status_byte(value):
        return UNKNOWN
    return "false" if value & 0x08 else "true"


def parse_offline_cause(value: int | None) -> tuple[str, str, bool]:
    """DLE EOT 2 → (cover, error, stopped at paper end): bit 2 cover open, bit 5 paper end, bit 6 error."""
    if value is None or not is_status_byte(value):
        return UNKNOWN, UNKNOWN, False
    return ("open" if value & 0x04 else "closed"), ("true" if value & 0x40 else "false"), bool(value & 0x20)


def parse_paper(value: int | None) -> str:
    """DLE EOT 4: bits 5–6 set = roll end, bits 2–3 set = near end."""
    if value is None or not is_status_byte(value):
        return UNKNOWN
    if value & 0x60:
        return "out"
    if value & 0x0C:
        return "near_end"
    return "ok"


Query = Callable[[bytes], int | None]
"""Sends one DLE EOT request and returns the answer byte, or None when the printer is silent."""


def read_status(query: Query) -> PrinterStatus:
    """Ask the three questions through ``query`` and combine the answers.

    Paper end also shows in DLE EOT 2 (bit 5), which a printer reports even when DLE EOT 4 is
    not answered, so it fills in "out" when the paper sensor said nothing.
    """
    first = query(commands.STATUS_PRINTER)
    if first is None:
        # A printer that ignores DLE EOT 1 ignores the others too: do not wait three timeouts.
        return PrinterStatus()
    online = parse_printer(first)
    cover, error, stopped_at_paper_end = parse_offline_cause(query(commands.STATUS_OFFLINE_CAUSE))
    paper = parse_paper(query(commands.STATUS_PAPER))
    if paper == UNKNOWN and stopped_at_paper_end:
        paper = "out"
    return PrinterStatus(online=online, cover=cover, paper=paper, error=error)


def status_from_mapping(values: Mapping[str, str]) -> PrinterStatus:
    return PrinterStatus(
        online=values.get("online", UNKNOWN),
        cover=values.get("cover", UNKNOWN),
        paper=values.get("paper", UNKNOWN),
        error=values.get("error", UNKNOWN),
    )
