"""Trigger profiles of serial scanners, chosen by the ``profile`` query of a ``serial://`` URI.

What a scanner model needs is data here, not a subclass: the bytes that switch its trigger on and
off, whether the trigger is one-shot (and so has to be re-sent), what the scanner answers to it, and
whether its decode data comes as plain bytes or as Zebra SSI packets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from devices.scanner import ssi

Packeting = Literal["raw", "ssi"]


@dataclass(frozen=True, slots=True)
class TriggerProfile:
    """``trigger_on``/``trigger_off`` are empty for scanners that scan by themselves.

    ``read_timeout_s`` is set for a one-shot trigger: the scanner stops reading after one good read
    (whether or not the kiosk accepts the code) or after this long without one (the scanner's factory
    read time-out). The driver then re-sends ``trigger_on`` after a rejected code and every
    ``rearm_s`` (a little under ``read_timeout_s``) while it is enabled. ``trigger_ack`` is what the
    scanner answers to ``trigger_on`` before any code; the driver drops it from the incoming bytes.
    """

    name: str
    trigger_on: bytes
    trigger_off: bytes
    packeting: Packeting = "raw"
    read_timeout_s: float | None = None
    rearm_s: float | None = None
    trigger_ack: bytes = b""

    def __post_init__(self) -> None:
        if (self.read_timeout_s is None) != (self.rearm_s is None):
            raise ValueError("read_timeout_s and rearm_s go together")
        if self.read_timeout_s is not None and self.rearm_s is not None:
            # Re-arming after the time-out would leave the scanner dark in between.
            if not 0 < self.rearm_s < self.read_timeout_s:
                raise ValueError("rearm_s must be positive and below read_timeout_s")
            if not self.trigger_on:
                raise ValueError("a one-shot trigger needs trigger_on bytes")

    @property
    def one_shot(self) -> bool:
        """Whether one ``trigger_on`` yields at most one read (see the class docstring)."""
        return self.read_timeout_s is not None


PROFILES: Final[dict[str, TriggerProfile]] = {
    p.name: p
    for p in (
        # Presentation mode: the scanner decodes whatever is held in front of it.
        TriggerProfile("passive", b"", b""),
        # Honeywell needs "serial trigger mode" configured on the scanner; SYN T CR / SYN U CR.
        # The trigger ends on a good read or on the serial trigger read time-out (30 s by default).
        TriggerProfile("honeywell", b"\x16T\r", b"\x16U\r", read_timeout_s=30.0, rearm_s=25.0),
        # START_DECODE starts one decode session: it ends on a decode or on the decode session
        # time-out (9.9 s by default). The scanner ACKs the command with an SSI packet.
        TriggerProfile(
            "zebra-ssi", ssi.START_DECODE, ssi.STOP_DECODE, "ssi", read_timeout_s=9.9, rearm_s=8.0
        ),
        TriggerProfile("zkteco", b"T", b"P"),
        # GM65/GM812 in command-trigger mode: one scan per command (single reading time 5 s by
        # default), no "off" command; the module answers every command with 02 00 00 01 00 33 31.
        TriggerProfile(
            "gm65",
            bytes.fromhex("7E0008010002 01ABCD"),
            b"",
            read_timeout_s=5.0,
            rearm_s=4.0,
            trigger_ack=bytes.fromhex("02000001003331"),
        ),
    )
}


def get_profile(name: str) -> TriggerProfile:
    """The named profile; ValueError lists the known names."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown scanner profile {name!r} (known: {known})") from None
