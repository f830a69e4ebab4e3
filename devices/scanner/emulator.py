"""An emulated serial QR scanner on a pseudo-terminal, for tests and demos.

``scan(payload)`` makes the scanner send a code the way the configured profile would: raw bytes
plus suffix, or Zebra SSI decode packets that are retransmitted until the host ACKs them. With a
triggered profile, a scan only goes out while the host has the trigger on, like a real scanner in
serial-trigger mode. Everything the host sends is recorded in ``commands``.
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
    """A scanner at ``path``; ``uri`` is the matching ``serial://`` device URI."""

    def __init__(self, profile: str = "passive", *, suffix: bytes = b"\r", baud: int | None = None) -> None:
        self.profile: TriggerProfile = get_profile(profile)
        self.suffix = suffix
        self.harness = PtyHarness(self._on_bytes, baud=baud, name="ttyQR0")
        self.commands = bytearray()
        self._trigger_on = not self.profile.trigger_on  # passive scanners are always "on"
        self._acks = threading.Semaphore(0)
        self._ssi = ssi.SsiParser()
        self._lock = threading.Lock()

    @property
    def uri(self) -> str:
        suffix = {b"\r": "cr", b"\r\n": "crlf", b"\n": "lf", b"": "none"}[self.suffix]
        return f"serial://{self.path}?profile={self.profile.name}&suffix={suffix}"

    @property
    def trigger_on(self) -> bool:
        return self._trigger_on

    def scan(self, payload: bytes, *, chunk_gap_s: float = 0.0, chunks: int = 1) -> bool:
        """Send ``payload`` as one decode; False if the trigger is off (nothing sent) or, for SSI,
        no ACK came after the retries. ``chunks``/``chunk_gap_s`` split the raw bytes with pauses
        (a scanner's inter-character delay, or a USB-CDC transfer boundary)."""
        if not self._trigger_on:
            return False
        if self.profile.packeting == "ssi":
            return self._scan_ssi(payload)
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

    def _scan_ssi(self, payload: bytes) -> bool:
        for packet in ssi.decode_packets(payload):
            for attempt in range(SSI_RETRIES):
                if attempt:
                    # A retransmission has the retransmit bit set and so a different checksum.
                    body = bytearray(packet[:-2])
                    body[3] |= ssi.STATUS_RETRANSMIT
                    packet = bytes(body) + ssi.checksum(bytes(body))
                if not self.harness.write(packet):
                    return False
                if self._acks.acquire(timeout=SSI_ACK_WAIT_S):
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
        # Several commands may arrive in one chunk: the last one wins.
        on_at = data.rfind(self.profile.trigger_on) if self.profile.trigger_on else -1
        off_at = data.rfind(self.profile.trigger_off) if self.profile.trigger_off else -1
        if on_at > off_at:
            self._trigger_on = True
        elif off_at > on_at:
            self._trigger_on = False

    def _on_ssi(self, packet: ssi.SsiPacket) -> None:
        if packet.opcode == ssi.OP_ACK:
            self._acks.release()
        elif packet.opcode == ssi.OP_START_DECODE:
            self._trigger_on = True
            self.harness.write(ssi.encode_packet(ssi.OP_ACK, source=ssi.SOURCE_DECODER))
        elif packet.opcode == ssi.OP_STOP_DECODE:
            self._trigger_on = False
            self.harness.write(ssi.encode_packet(ssi.OP_ACK, source=ssi.SOURCE_DECODER))
