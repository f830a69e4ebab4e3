"""An emulated serial QR scanner on a pseudo-terminal, for tests and demos.

``scan(payload)`` makes the scanner send a code the way the configured profile would: raw bytes
plus suffix, or Zebra SSI decode packets that are retransmitted until the host ACKs them. With a
triggered profile, a scan only goes out while the host has the trigger on, like a real scanner in
serial-trigger mode; a one-shot trigger (``TriggerProfile.one_shot``) allows one scan and lapses
after the read time-out, and a scanner whose profile has a ``trigger_ack`` answers each trigger
with it. Everything the host sends is recorded in ``commands``.
"""

from __future__ import annotations

import threading
import time
from typing import Final

from devices.emulators.pty import PtyHarness, SerialEmulator
from devices.scanner import ssi
from devices.scanner.profiles import TriggerProfile, get_profile

SSI_RETRIES: Final = 3
SSI_ACK_WAIT_S: Final = 0.3


class SerialScannerEmulator(SerialEmulator):
    """A scanner at ``path``; ``uri`` is the matching ``serial://`` device URI.

    ``read_timeout_s`` replaces the profile's read time-out (how long a one-shot trigger stays on
    without a read), so tests can see a trigger lapse without waiting for the factory value.
    """

    def __init__(
        self,
        profile: str = "passive",
        *,
        suffix: bytes = b"\r",
        baud: int | None = None,
        read_timeout_s: float | None = None,
    ) -> None:
        self.profile: TriggerProfile = get_profile(profile)
        self.suffix = suffix
        self.read_timeout_s = read_timeout_s if read_timeout_s is not None else self.profile.read_timeout_s
        self.harness = PtyHarness(self._on_bytes, baud=baud, name="ttyQR0")
        self.commands = bytearray()
        self._trigger_on = not self.profile.trigger_on  # passive scanners are always "on"
        self._triggered_at = 0.0
        self._acks = threading.Semaphore(0)
        self._ssi = ssi.SsiParser()
        self._unparsed = bytearray()  # the start of a trigger command split over two chunks
        self._lock = threading.Lock()

    @property
    def uri(self) -> str:
        suffix = {b"\r": "cr", b"\r\n": "crlf", b"\n": "lf", b"": "none"}[self.suffix]
        return f"serial://{self.path}?profile={self.profile.name}&suffix={suffix}"

    @property
    def trigger_on(self) -> bool:
        """Whether the scanner would read a code held in front of it now."""
        if not self._trigger_on:
            return False
        if self.profile.one_shot and self.read_timeout_s is not None:
            return time.monotonic() - self._triggered_at < self.read_timeout_s
        return True

    def scan(
        self, payload: bytes, *, chunk_gap_s: float = 0.0, chunks: int = 1, retransmit: bool = False
    ) -> bool:
        """Send ``payload`` as one decode; False if the trigger is off (nothing sent) or, for SSI,
        no ACK came after the retries. ``chunks``/``chunk_gap_s`` split the raw bytes with pauses
        (a scanner's inter-character delay, or a USB-CDC transfer boundary). ``retransmit`` (SSI)
        sends every packet twice in one write, the second time as a retransmission, as a scanner
        does whose ACK timer ran out while the host's ACK was on its way."""
        if not self.trigger_on:
            return False
        if self.profile.one_shot:
            # The scanner stops reading on a good read, before it sends the code: a trigger that
            # the host sends in answer to this code starts the next read.
            self._trigger_on = False
        if self.profile.packeting == "ssi":
            return self._scan_ssi(payload, retransmit=retransmit)
        data = payload + self.suffix
        size = max(1, -(-len(data) // max(chunks, 1)))
        for start in range(0, len(data), size):
            if start and chunk_gap_s:
                time.sleep(chunk_gap_s)
            if not self.harness.write(data[start : start + size]):
                return False
        return True

    def send_raw(self, data: bytes) -> bool:
        """Line noise or a malformed packet, exactly as given."""
        return self.harness.write(data)

    def _scan_ssi(self, payload: bytes, *, retransmit: bool) -> bool:
        while self._acks.acquire(blocking=False):
            pass  # ACKs left over from an earlier scan must not count for this one
        for packet in ssi.decode_packets(payload):
            sent = packet
            for attempt in range(SSI_RETRIES):
                if attempt:
                    sent = _as_retransmission(packet)
                data = sent + _as_retransmission(packet) if retransmit and not attempt else sent
                if not self.harness.write(data):
                    return False
                if self._acks.acquire(timeout=SSI_ACK_WAIT_S):
                    if retransmit and not attempt:
                        self._acks.acquire(timeout=SSI_ACK_WAIT_S)  # the copy's ACK
                    break
            else:
                return False
        return True

    def _on_bytes(self, data: bytes) -> None:
        with self._lock:
            self.commands += data
        if self.profile.packeting == "ssi":
            for item in self._ssi.feed(data):
                if isinstance(item, ssi.SsiPacket):
                    self._on_ssi(item)
            return
        self._unparsed += data
        on, off = self.profile.trigger_on, self.profile.trigger_off
        while True:
            hits = [(at, cmd) for cmd in (on, off) if cmd and (at := self._unparsed.find(cmd)) >= 0]
            if not hits:
                break
            at, command = min(hits)
            del self._unparsed[: at + len(command)]
            if command == on:
                if self.profile.trigger_ack:
                    # Answer before reading, so a code can only come after the answer.
                    self.harness.write(self.profile.trigger_ack)
                self._switch_on()
            else:
                self._trigger_on = False
        keep = max(len(on), len(off)) - 1
        if len(self._unparsed) > keep:
            del self._unparsed[: len(self._unparsed) - keep]

    def _switch_on(self) -> None:
        self._triggered_at = time.monotonic()
        self._trigger_on = True

    def _on_ssi(self, packet: ssi.SsiPacket) -> None:
        if packet.opcode == ssi.OP_ACK:
            self._acks.release()
        elif packet.opcode == ssi.OP_START_DECODE:
            self._switch_on()
            self.harness.write(ssi.encode_packet(ssi.OP_ACK, source=ssi.SOURCE_DECODER))
        elif packet.opcode == ssi.OP_STOP_DECODE:
            self._trigger_on = False
            self.harness.write(ssi.encode_packet(ssi.OP_ACK, source=ssi.SOURCE_DECODER))


def _as_retransmission(packet: bytes) -> bytes:
    """``packet`` with the retransmit bit set (and so a different checksum)."""
    body = bytearray(packet[:-2])
    body[3] |= ssi.STATUS_RETRANSMIT
    return bytes(body) + ssi.checksum(bytes(body))
