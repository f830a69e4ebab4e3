"""Trigger profiles of serial scanners, chosen by the ``profile`` query of a ``serial://`` URI.

What a scanner model needs is data here, not a subclass: the bytes that switch its trigger on and
off, and whether its decode data comes as plain bytes or as Zebra SSI packets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from devices.scanner import ssi

Packeting = Literal["raw", "ssi"]


@dataclass(frozen=True, slots=True)
class TriggerProfile:
    """``trigger_on``/``trigger_off`` are empty for scanners that scan by themselves."""

    name: str
    trigger_on: bytes
    trigger_off: bytes
    packeting: Packeting = "raw"


PROFILES: Final[dict[str, TriggerProfile]] = {
    p.name: p
    for p in (
        # Presentation mode: the scanner decodes whatever is held in front of it.
        TriggerProfile("passive", b"", b""),
        # Honeywell needs "serial trigger mode" configured on the scanner; SYN T CR / SYN U CR.
        TriggerProfile("honeywell", b"\x16T\r", b"\x16U\r"),
        TriggerProfile("zebra-ssi", ssi.START_DECODE, ssi.STOP_DECODE, "ssi"),
        TriggerProfile("zkteco", b"T", b"P"),
        # GM65/GM812 in command-trigger mode: one scan per command, no "off" command.
        TriggerProfile("gm65", bytes.fromhex("7E0008010002 01ABCD"), b""),
    )
}


def get_profile(name: str) -> TriggerProfile:
    """The named profile; ValueError lists the known names."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown scanner profile {name!r} (known: {known})") from None
