"""Serial (RS-232 or USB-CDC) QR scanners.

Contract: while enabled, each ``poll`` reads the line for up to ``read_window_s`` (longer only while
a code is still arriving, at most ``max_poll_s``), frames what arrived (suffix plus quiet, or idle
gap: see ``framing``) or, for Zebra SSI scanners, parses decode packets and ACKs them; each payload
is checked and delivered once, and nothing is delivered after the first accepted code. Enabling
flushes what the scanner sent while nobody wanted a code and sends the profile's trigger-on bytes;
disabling sends trigger-off.

A one-shot trigger (``TriggerProfile.one_shot``) stops the scanner after one read or its read
time-out, so while enabled the driver triggers again after every rejected code and every
``rearm_s``; the scanner's answer to the trigger (``trigger_ack``) is dropped from the start of
what arrives next, even when a code follows it without a pause. A Zebra SSI retransmission of the
packet last ACKed is ACKed again and otherwise ignored.

Why ``poll`` keeps reading while a frame is pending: a frame ends on silence after its last byte,
so the bytes have to be timestamped when they arrive, not after the owner's sleep between polls.
"""

from __future__ import annotations

import contextlib
import termios
import time
from collections.abc import Callable
from typing import Any, Final

import serial

from devices.base import DeviceError, DeviceInfo, DeviceNotFoundError, DeviceTimeoutError
from devices.scanner import ssi
from devices.scanner.common import ScannerDevice
from devices.scanner.framing import DEFAULT_IDLE_GAP_S, DEFAULT_SUFFIX_GAP_S, SerialFramer
from devices.scanner.payload import MAX_PAYLOAD_BYTES, RejectReason
from devices.scanner.profiles import TriggerProfile

READ_WINDOW_S: Final = 0.05
MAX_POLL_S: Final = 1.0
WRITE_TIMEOUT_S: Final = 1.0

SerialFactory = Callable[..., Any]
# A vanished port fails in three ways: pyserial's own error, OSError from ioctl, and termios.error
# (not an OSError) from tcflush.
_PORT_ERRORS: Final = (serial.SerialException, OSError, termios.error)


class SerialScanner(ScannerDevice):
    """A QR scanner on ``port``; ``profile`` chooses trigger commands and packet format."""

    poll_interval_s = 0.02

    def __init__(
        self,
        port: str,
        *,
        profile: TriggerProfile,
        baud: int = 9600,
        suffix: bytes = b"\r",
        suffix_gap_s: float = DEFAULT_SUFFIX_GAP_S,
        idle_gap_s: float = DEFAULT_IDLE_GAP_S,
        serial_factory: SerialFactory = serial.Serial,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.port = port
        self.profile = profile
        self.baud = baud
        self._framer = SerialFramer(
            suffix=suffix,
            suffix_gap_s=suffix_gap_s,
            idle_gap_s=idle_gap_s,
            max_frame_bytes=MAX_PAYLOAD_BYTES + len(suffix) + 1,
        )
        self._ssi = ssi.SsiParser()
        self._assembler = ssi.SsiDecodeAssembler(max_bytes=MAX_PAYLOAD_BYTES)
        self._serial_factory = serial_factory
        self._serial: Any = None
        self._deferred: DeviceError | None = None
        # The last SSI decode packet ACKed, to recognise its retransmission (kept across enables:
        # a late retransmission may arrive after the next enable's flush).
        self._last_acked: ssi.SsiPacket | None = None
        # Trigger answers still expected, and the first bytes of one that arrived (with their time).
        self._acks_due = 0
        self._ack_held = b""
        self._ack_held_at = 0.0
        self._next_rearm = 0.0

    # -- lifecycle -------------------------------------------------------------------------------

    def _open(self) -> None:
        try:
            self._serial = self._serial_factory(
                self.port, self.baud, timeout=READ_WINDOW_S, write_timeout=WRITE_TIMEOUT_S
            )
        except (serial.SerialException, OSError, ValueError):
            raise DeviceNotFoundError(f"no scanner at {self.port}") from None
        self._deferred = None
        self._last_acked = None
        self._set_status(scanner="off", profile=self.profile.name)
        # Some scanners power up with the trigger on; make "disabled" mean it.
        self._send(self.profile.trigger_off)

    def _close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            # Closing a port whose device vanished may fail; there is nothing left to release.
            with contextlib.suppress(Exception):
                port.close()

    def info(self) -> DeviceInfo:
        return DeviceInfo(
            model=f"serial QR scanner ({self.profile.name})",
            extra={"port": self.port, "baud": str(self.baud), "profile": self.profile.name},
        )

    def _on_enable(self) -> None:
        try:
            self._serial.reset_input_buffer()
        except _PORT_ERRORS:
            self._deferred = DeviceNotFoundError(f"the scanner at {self.port} went away")
        self._framer.reset()
        self._ssi.reset()
        # Parts of a code that was cut off by the last disable must not prefix the next code.
        self._assembler.reset()
        self._acks_due = 0
        self._ack_held = b""
        self._trigger()
        super()._on_enable()

    def _on_disable(self) -> None:
        self._send(self.profile.trigger_off)
        self._framer.reset()
        super()._on_disable()

    def _trigger(self) -> None:
        """Send trigger-on; for a one-shot trigger, restart the clock of the next re-arm."""
        self._send(self.profile.trigger_on)
        if self.profile.trigger_ack and self.profile.trigger_on:
            # Two at most: a scanner that never answers must not make us wait for a backlog.
            self._acks_due = min(self._acks_due + 1, 2)
        if self.profile.rearm_s is not None:
            self._next_rearm = time.monotonic() + self.profile.rearm_s

    def _reject(self, reason: RejectReason) -> None:
        super()._reject(reason)
        # A one-shot scanner stopped reading when it sent the rejected code: without a new
        # trigger the screen would say "try again" while the scanner stays dark.
        if self.enabled and self.profile.one_shot:
            self._trigger()

    def _rearm_due(self, now: float) -> bool:
        """Whether a one-shot trigger is about to lapse and no code is arriving (re-triggering in
        the middle of a code could cut it short, and its answer would land inside the code)."""
        return (
            self.profile.one_shot
            and now >= self._next_rearm
            and self._framer.deadline() is None
            and not self._ack_held
            and not self._assembler.pending
        )

    # -- reading ---------------------------------------------------------------------------------

    def _poll(self) -> None:
        self._assert_io_thread()
        if self._deferred is not None:
            error, self._deferred = self._deferred, None
            self._fail(error)
            raise error
        started = time.monotonic()
        if self._rearm_due(started):
            self._trigger()
        while self.enabled:
            data = self._read()
            now = time.monotonic()
            if self.profile.packeting == "ssi":
                self._handle_ssi(data)
            else:
                payload_bytes = self._drop_trigger_acks(data, now)
                for frame in self._framer.feed(payload_bytes, now) + self._framer.poll(now):
                    if frame.oversize:
                        self._reject("too_large")
                    else:
                        self._deliver_payload(frame.data)
            pending = self._framer.deadline() is not None or bool(self._ack_held)
            if not pending and not data:
                return
            if now - started > MAX_POLL_S:
                return

    def _read(self) -> bytes:
        port = self._serial
        try:
            waiting = port.in_waiting
            deadline = self._framer.deadline()
            timeout = READ_WINDOW_S
            if deadline is not None:
                timeout = max(0.001, min(READ_WINDOW_S, deadline - time.monotonic()))
            if timeout != port.timeout:
                port.timeout = timeout  # pyserial reprograms the port on every assignment
            data: bytes = port.read(max(1, waiting))
        except _PORT_ERRORS:
            error = DeviceNotFoundError(f"the scanner at {self.port} went away")
            self._fail(error)
            raise error from None
        return data

    def _drop_trigger_acks(self, data: bytes, now: float) -> bytes:
        """``data`` without the scanner's answers to our triggers at its start.

        An answer split over reads is held back until it is complete; bytes that turn out not to
        be one (a scanner that does not answer, or a code that came first) are passed on. Held
        bytes are passed on too once the line has been quiet for the idle gap, since the scanner
        sends its answer at wire speed.
        """
        ack = self.profile.trigger_ack
        if not self._acks_due or not ack:
            return data
        buffer = self._ack_held + data
        if data and not self._ack_held:
            self._ack_held_at = now
        self._ack_held = b""
        while self._acks_due and buffer:
            if buffer.startswith(ack):
                buffer = buffer[len(ack) :]
                self._acks_due -= 1
            elif ack.startswith(buffer) and now - self._ack_held_at < self._framer.idle_gap_s:
                self._ack_held = buffer
                return b""
            else:
                self._acks_due = 0
        return buffer

    def _handle_ssi(self, data: bytes) -> None:
        if not data:
            return
        resend_asked = False
        for item in self._ssi.feed(data):
            if isinstance(item, ssi.SsiChecksumError):
                # One NAK per read is enough: line noise would otherwise draw one per byte.
                if not resend_asked:
                    self._send(ssi.NAK_RESEND_PACKET)
                    resend_asked = True
                # What the scanner resends now has the retransmit bit set but is not a duplicate.
                self._last_acked = None
                continue
            if item.opcode != ssi.OP_DECODE_DATA:
                continue  # ACK/NAK/events from the scanner for our own commands
            # ACK even what is not used: an unACKed packet comes back, maybe after the next enable.
            self._send(ssi.ACK)
            duplicate = item.retransmits(self._last_acked)
            self._last_acked = item
            if duplicate or not self.enabled:
                # Our ACK was late (the scanner resent a packet we have), or a code was already
                # delivered from this read: an input device delivers one input per enable.
                continue
            try:
                payload = self._assembler.add(item)
            except ValueError:
                self._reject("too_large")
                continue
            if payload is not None:
                self._deliver_payload(payload)

    def _send(self, data: bytes) -> None:
        if not data or self._serial is None:
            return
        try:
            self._serial.write(data)
        except serial.SerialTimeoutException:
            self._deferred = DeviceTimeoutError(f"the scanner at {self.port} does not accept commands")
        except _PORT_ERRORS:
            self._deferred = DeviceNotFoundError(f"the scanner at {self.port} went away")
