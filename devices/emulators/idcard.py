"""A SAM ID card reader on a pseudo-terminal, speaking the real protocol.

The emulator answers every command of ``devices.idcard.codec`` with the frames a real module
sends, paces its bytes (both directions) at its baud rate, and answers with garbage when the
client's port is set to another rate, so baud probing is exercised for real.

Scenarios (``SCENARIOS``) script what a test, the benchmark or the demo needs:

========================  ======================================================================
``normal``                a card is present only after ``place_card()``
``card_placed``           a card lies on the reader from the start
``no_card``               "no card" whatever is placed
``removed_mid_read``      the next read answers 0x41 and the card is gone
``flaky_read``            the next read answers 0x41, the card stays (a retry succeeds)
``garbage``               noise, including a broken preamble, before every response
``bad_checksum``          the next read response has a wrong checksum, later ones are fine
``slow``                  every response starts ``slow_delay_s`` late (within the deadlines)
``sam_fault``             the module failed its self-test: every command answers 0x60
``mute``                  the module hangs: no answer to anything
``unsupported_card``      reads answer 0x40 (unknown card type)
``unplug_replug``         after the first successful read, unplugged for ``replug_after_s``
``stray_header``          a cut-off frame header (``AA AA AA 96 69 00 40``) before every response
========================  ======================================================================

Every scenario except ``normal``, ``no_card``, ``sam_fault`` and ``mute`` starts with the card on
the reader. ``read_delay_s`` is the module's time with the card: how long it works on a read
(30 01, 30 10) before the first byte of its answer, in every scenario. ``records`` keeps the last
exchanges (command, arrival time, SW3) for benchmarks.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from devices.emulators.pty import PtyHarness, SerialEmulator
from devices.idcard import codec
from devices.idcard.card import IdCard
from devices.idcard.codec import FrameDecoder, FrameError
from devices.idcard.samples import sample_card
from devices.idcard.textblock import encode_text_block

__all__ = ["SCENARIOS", "ExchangeRecord", "SamReaderEmulator"]

SCENARIOS: Final = (
    "normal",
    "card_placed",
    "no_card",
    "removed_mid_read",
    "flaky_read",
    "garbage",
    "bad_checksum",
    "slow",
    "sam_fault",
    "mute",
    "unsupported_card",
    "unplug_replug",
    "stray_header",
)

# SW3 codes the emulator answers with.
_OK: Final = 0x90
_FOUND: Final = 0x9F
_NO_CONTENT: Final = 0x91
_NO_CARD: Final = 0x80
_SELECT_FAILED: Final = 0x81
_READ_FAILED: Final = 0x41
_UNKNOWN_CARD: Final = 0x40
_HOST_CHECKSUM: Final = 0x10
_HOST_LENGTH: Final = 0x11
_HOST_COMMAND: Final = 0x21
_SAM_SELF_TEST: Final = 0x60

# A fictional SAM id: 05.01-20190101-0000000123-0000004567 style.
_SAM_ID: Final = (
    bytes([0x05, 0x00, 0x01, 0x00])
    + (20190101).to_bytes(4, "little")
    + (123).to_bytes(4, "little")
    + (4567).to_bytes(4, "little")
)
# Noise with a near-miss preamble (AA AA AA 96 then not 69) to exercise resynchronisation.
_GARBAGE: Final = b"\x00\xff\xaa\x55\xaa\xaa\xaa\x96\x00\x13\x37"
# A header announcing 64 bytes that never follow (a frame cut off by line noise or a reset).
_STRAY_HEADER: Final = codec.PREAMBLE + b"\x00\x40"
_APPENDED_FIELD_BYTES: Final = 70
_PHOTO_BYTES: Final = 1024


@dataclass(frozen=True)
class ExchangeRecord:
    """One command the emulator answered: its name, when its first byte arrived, the SW3 sent."""

    command: str
    received_at: float
    sw3: int


class SamReaderEmulator(SerialEmulator):
    """An emulated reader at ``path``. Thread-safe controls: ``place_card``, ``remove_card``,
    ``set_scenario``, ``unplug``, ``replug``."""

    def __init__(
        self,
        *,
        card: IdCard | None = None,
        scenario: str = "normal",
        baud: int = 115200,
        paced: bool = True,
        slow_delay_s: float = 0.12,
        read_delay_s: float = 0.0,
        replug_after_s: float = 1.0,
        unanswered: frozenset[str] = frozenset(),
    ) -> None:
        """``unanswered`` names commands (``"appended_address"``, ``"sam_id"`` …) the emulated
        module never answers, whatever the scenario."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
        self._default_card = card or sample_card()
        encode_text_block(self._default_card)  # a card that cannot be on a card fails here
        self._baud = baud
        self.harness = PtyHarness(self._on_bytes, baud=baud if paced else None, name="ttySAM0")
        self._decoder = FrameDecoder(minimum_length=3)
        self._lock = threading.Lock()
        self._card: IdCard | None = None
        self._scenario = scenario
        self._slow_delay_s = slow_delay_s
        self._read_delay_s = read_delay_s
        self._replug_after_s = replug_after_s
        self._unanswered = unanswered
        self._pending_faults = 0
        self._replug_timer: threading.Timer | None = None
        self._frame_started_at = 0.0
        self.placed_at: float | None = None
        self.records: deque[ExchangeRecord] = deque(maxlen=1000)  # bounded: the demo runs for days
        self.on_record: Callable[[ExchangeRecord], None] | None = None
        self.reads_served = 0
        self._apply_scenario(scenario)

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        timer = self._replug_timer
        if timer is not None:
            timer.cancel()
        super().close()

    # -- controls --------------------------------------------------------------------------------

    def place_card(self, card: IdCard | None = None) -> None:
        """Lay ``card`` (default: the emulator's card) on the reader.

        Raises ``ValueError`` if a field does not fit the card's text block.
        """
        chosen = card or self._default_card
        encode_text_block(chosen)  # fail here, not later on the line
        with self._lock:
            self._card = chosen
            self.placed_at = time.perf_counter()

    def remove_card(self) -> None:
        with self._lock:
            self._card = None

    def set_scenario(self, scenario: str) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
        with self._lock:
            self._scenario = scenario
        self._apply_scenario(scenario)

    def unplug(self) -> None:
        self.harness.unplug()

    def replug(self) -> None:
        self._decoder.reset()
        self.harness.replug()

    def _apply_scenario(self, scenario: str) -> None:
        if scenario in ("removed_mid_read", "flaky_read", "bad_checksum"):
            with self._lock:
                self._pending_faults = 1
        if scenario not in ("normal", "no_card", "sam_fault", "mute"):
            self.place_card()

    # -- the protocol ----------------------------------------------------------------------------

    def _on_bytes(self, chunk: bytes) -> None:
        if self.harness.client_baud() not in (None, self._baud):
            # A UART at the wrong speed turns every byte into something else.
            self.harness.write(bytes(b ^ 0x5A for b in chunk[:16]))
            self._decoder.reset()
            return
        if self._decoder.pending == 0:
            self._frame_started_at = time.perf_counter()
        for item in self._decoder.feed(chunk):
            if isinstance(item, FrameError):
                self._answer("bad_frame", _HOST_CHECKSUM if item.code == "bad_checksum" else _HOST_LENGTH)
                continue
            self._wait_for_wire(len(item))
            cmd, para, _data = codec.parse_command(item)
            self._handle(cmd, para)
            self._frame_started_at = time.perf_counter()

    def _wait_for_wire(self, frame_length: int) -> None:
        """A real module only sees a command once all of it crossed the line."""
        due = self._frame_started_at + self.harness.wire_time(frame_length)
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)

    def _handle(self, cmd: int, para: int) -> None:
        with self._lock:
            scenario, card = self._scenario, self._card
        if scenario == "no_card":
            card = None
        if scenario == "sam_fault":
            self._answer("fault", _SAM_SELF_TEST)
            return
        if scenario == "mute":
            return
        key = (cmd, para)
        if key == (codec.STATUS.cmd, codec.STATUS.para) or key == (codec.RESET.cmd, codec.RESET.para):
            self._answer("status", _OK)
        elif key == (codec.SAM_ID.cmd, codec.SAM_ID.para):
            self._answer("sam_id", _OK, _SAM_ID)
        elif key == (codec.FIND.cmd, codec.FIND.para):
            self._answer("find", _FOUND, bytes(4)) if card else self._answer("find", _NO_CARD)
        elif key == (codec.SELECT.cmd, codec.SELECT.para):
            self._answer("select", _OK, bytes(8)) if card else self._answer("select", _SELECT_FAILED)
        elif key == (codec.READ.cmd, codec.READ.para):
            self._read(card, scenario, with_fingerprint=False)
        elif key == (codec.READ_WITH_FINGERPRINT.cmd, codec.READ_WITH_FINGERPRINT.para):
            self._read(card, scenario, with_fingerprint=True)
        elif key == (codec.APPENDED_ADDRESS.cmd, codec.APPENDED_ADDRESS.para):
            self._appended_address(card)
        elif cmd == 0x61:  # set max RF bytes
            self._answer("set_rf", _OK)
        else:
            self._answer("unknown", _HOST_COMMAND)

    def _read(self, card: IdCard | None, scenario: str, *, with_fingerprint: bool) -> None:
        if self._read_delay_s > 0:
            time.sleep(self._read_delay_s)  # the module talks to the card before it answers
        if card is None:
            self._answer("read", _READ_FAILED)
            return
        if scenario == "unsupported_card":
            self._answer("read", _UNKNOWN_CARD)
            return
        with self._lock:
            fault, self._pending_faults = self._pending_faults > 0, max(0, self._pending_faults - 1)
        if fault and scenario in ("removed_mid_read", "flaky_read"):
            if scenario == "removed_mid_read":
                self.remove_card()
            self._answer("read", _READ_FAILED)
            return
        text = encode_text_block(card)
        photo = (b"WLT" + bytes(_PHOTO_BYTES))[:_PHOTO_BYTES]  # placeholder: never a real photo
        payload = codec.build_read_payload(text, photo, bytes(1024) if with_fingerprint else None)
        self._answer("read", _OK, payload, corrupt=fault and scenario == "bad_checksum")
        self.reads_served += 1
        if scenario == "unplug_replug" and self.reads_served == 1:
            self._schedule_unplug()

    def _appended_address(self, card: IdCard | None) -> None:
        if card is None:
            self._answer("appended_address", _READ_FAILED)
        elif not card.appended_address:
            self._answer("appended_address", _NO_CONTENT)
        else:
            text = card.appended_address.encode("utf-16-le")[:_APPENDED_FIELD_BYTES]
            padded = text + " ".encode("utf-16-le") * ((_APPENDED_FIELD_BYTES - len(text)) // 2)
            self._answer("appended_address", _OK, padded)

    def _answer(self, command: str, sw3: int, data: bytes = b"", *, corrupt: bool = False) -> None:
        if command in self._unanswered:
            return
        record = ExchangeRecord(command, self._frame_started_at, sw3)
        self.records.append(record)
        if self.on_record is not None:
            self.on_record(record)
        frame = codec.build_response(sw3, data)
        if corrupt:
            frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
        with self._lock:
            scenario = self._scenario
        if scenario == "slow":
            time.sleep(self._slow_delay_s)
        if scenario == "garbage":
            frame = _GARBAGE + frame
        elif scenario == "stray_header":
            frame = _STRAY_HEADER + frame
        self.harness.write(frame)

    def _schedule_unplug(self) -> None:
        def cycle() -> None:
            self.harness.unplug()
            time.sleep(self._replug_after_s)
            self.replug()

        # Not from the reader thread: it must finish sending the read response first.
        self._replug_timer = threading.Timer(0.2, cycle)
        self._replug_timer.daemon = True
        self._replug_timer.start()
