"""The ID card reader driver: a SAM module on a serial line.

Open: probe the configured baud rate, then 115200, then 9600, with the status command; read the
SAM id for technicians. While enabled, each ``poll`` runs one find → select → read cycle (the
owner calls it every ``poll_interval_s``). A successful read is delivered as an ``IdCard`` and the
reader disables itself until the application enables it again.

Failure policy (SW3 codes in ``codec.SW3_OUTCOMES``):

* no card / select failed: normal, keep polling;
* read failed (0x41, card moved) or authentication failed (0x31–0x33), or a damaged or missing
  read response: retry the whole cycle once at once; if that fails too, ask the citizen to place
  the card again (``card_moved``) or report it unreadable (``card_unreadable``), once per placement;
* unknown card type (0x40): ``unsupported_card``, once per placement;
* module faults (0x23, 0x24, 0x47, 0x60, 0x66): ``DeviceHardwareError``, needs service;
* three exchanges in a row without an answer: ``DeviceTimeoutError`` (the owner reopens, which
  probes the baud rate again); the port vanishing: ``DeviceNotFoundError``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from devices.base import (
    Device,
    DeviceError,
    DeviceHardwareError,
    DeviceInfo,
    DeviceProtocolError,
    DeviceTimeoutError,
    DeviceUserError,
    RecommendedAction,
)
from devices.idcard import codec
from devices.idcard.card import IdCard
from devices.idcard.codec import Command, FrameError, Outcome, Response
from devices.idcard.link import SamLink
from devices.idcard.photo import PhotoDecoder, UnavailablePhotoDecoder
from devices.idcard.textblock import CardDecodeError, decode_text_block
from devices.idcard.transport import SerialTransport, TransportFactory

__all__ = ["PROBE_BAUDS", "SamCardReader"]

_log = logging.getLogger(__name__)

PROBE_BAUDS: Final = (115200, 9600)
_APPENDED_ENTRY_BYTES: Final = 70
_MAX_SILENT_EXCHANGES: Final = 3

_USER_MESSAGES: Final[Mapping[str, str]] = {
    "card_moved": "The card was moved during reading; please place the card again.",
    "card_unreadable": "The card could not be verified; please place the card again or ask staff.",
    "unsupported_card": "This card type is not supported by the reader.",
}


class _CycleFailed(Exception):
    """One find → select → read cycle failed in a way a retry may fix."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class SamCardReader(Device):
    """Resident ID card reader on ``port`` (a serial device path)."""

    kind = "idcard"
    is_input = True

    def __init__(
        self,
        port: str,
        *,
        baud: int | None = None,
        poll_interval_s: float = 0.3,
        timeout_scale: float = 1.0,
        read_appended_address: bool = True,
        photo_decoder: PhotoDecoder | None = None,
        transport_factory: TransportFactory = SerialTransport,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.port = port
        self.poll_interval_s = poll_interval_s
        self._bauds = tuple(dict.fromkeys((baud, *PROBE_BAUDS) if baud else PROBE_BAUDS))
        self._timeout_scale = timeout_scale
        self._read_appended = read_appended_address
        self._photo_decoder: PhotoDecoder = photo_decoder or UnavailablePhotoDecoder()
        self._transport_factory = transport_factory
        self._link: SamLink | None = None
        self._baud: int | None = None
        self._sam_id: str | None = None
        self._silent_exchanges = 0
        self._reported_this_placement: set[str] = set()

    # -- lifecycle -------------------------------------------------------------------------------

    def _open(self) -> None:
        for baud in self._bauds:
            transport = self._transport_factory(self.port, baud)
            link = SamLink(transport, timeout_scale=self._timeout_scale)
            try:
                response = link.exchange(codec.STATUS)
            except (DeviceTimeoutError, DeviceProtocolError):
                transport.close()
                continue  # nothing sensible at this speed: try the next one
            except DeviceError:
                transport.close()
                raise
            if response.outcome is Outcome.DEVICE_FAULT:
                transport.close()
                raise DeviceHardwareError(f"SAM module reports a fault (SW3 {response.sw3:02X})")
            if response.outcome is not Outcome.OK:
                transport.close()
                continue
            self._link, self._baud = link, baud
            break
        else:
            bauds = ", ".join(str(b) for b in self._bauds)
            raise DeviceTimeoutError(f"no SAM module answers at {bauds} baud")
        self._sam_id = self._read_sam_id(link)
        self._silent_exchanges = 0
        self._reported_this_placement.clear()
        self._set_status(card="unknown", baud=str(self._baud))

    def _read_sam_id(self, link: SamLink) -> str | None:
        try:
            response = link.exchange(codec.SAM_ID)
            if response.outcome is Outcome.OK:
                return codec.format_sam_id(response.data)
        except (DeviceTimeoutError, DeviceProtocolError):
            # The id is for technicians only; a reader that will not tell it still reads cards.
            pass
        return None

    def _close(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            link.transport.close()

    def info(self) -> DeviceInfo:
        return DeviceInfo(
            model="SAM ID card reader (serial)",
            serial=self._sam_id or "unknown",
            firmware="unknown",
            extra={
                "sam_id": self._sam_id or "unknown",
                "baud": str(self._baud) if self._baud else "unknown",
                "photo": self._photo_decoder.note,
            },
        )

    def _keepalive(self) -> None:
        self._assert_io_thread()
        response = self._exchange(codec.STATUS)
        if response is not None and response.outcome is Outcome.DEVICE_FAULT:
            raise DeviceHardwareError(f"SAM module reports a fault (SW3 {response.sw3:02X})")

    def _on_enable(self) -> None:
        # A card lying on the reader when the application asks for one is a new placement.
        self._reported_this_placement.clear()

    # -- the read cycle --------------------------------------------------------------------------

    def _poll(self) -> None:
        self._assert_io_thread()
        try:
            card = self._cycle()
        except _CycleFailed as first:
            # Retry at once: a card nudged during the read usually reads on the second attempt.
            try:
                card = self._cycle()
            except _CycleFailed as second:
                self._report_once(second.code)
                return
            if card is None:  # the card went away after the failed read
                self._report_once(first.code)
                return
        if card is not None:
            self._deliver(card)

    def _cycle(self) -> IdCard | None:
        """One find → select → read. None: no card (or not selectable) right now."""
        found = self._exchange(codec.FIND)
        if found is None or found.outcome in (Outcome.NO_CARD, Outcome.SELECT_FAILED):
            if found is not None:
                self._card_gone()
            return None
        self._expect(found, codec.FIND)
        self._set_status(card="present")
        selected = self._exchange(codec.SELECT)
        if selected is None or selected.outcome in (Outcome.SELECT_FAILED, Outcome.NO_CARD):
            return None
        self._expect(selected, codec.SELECT)
        with self._busy():
            return self._read()

    def _read(self) -> IdCard:
        response = self._exchange(codec.READ)
        if response is None:
            raise _CycleFailed("card_unreadable")
        self._expect(response, codec.READ)
        try:
            payload = codec.parse_read_payload(response.data)
            card = decode_text_block(payload.text)
        except CardDecodeError as exc:
            if exc.code == "unsupported_card":
                raise _CycleFailed("unsupported_card") from None
            raise _CycleFailed("card_unreadable") from None
        except FrameError:
            raise _CycleFailed("card_unreadable") from None
        if self._read_appended:
            card = self._with_appended_address(card)
        try:
            photo = self._photo_decoder.decode(payload.photo)
        except Exception:
            # A vendor decoder is a third-party library: its failure must not lose the card.
            _log.warning("photo decoder failed", exc_info=True)
            photo = None
        return card if photo is None else replace(card, photo=photo)

    def _with_appended_address(self, card: IdCard) -> IdCard:
        """Add the appended address (30 03); a card whose answer is lost says so in problems."""
        response = self._exchange(codec.APPENDED_ADDRESS)
        if response is not None and response.outcome is Outcome.NO_CONTENT:
            return card  # 0x91: the card has none
        if response is None or response.outcome is not Outcome.OK:
            return replace(card, problems=(*card.problems, "appended_address_unread"))
        # Unconfirmed layout: the data may hold several 70-byte entries, one per change of
        # address; the last non-empty one is the current address.
        entries = [
            response.data[offset : offset + _APPENDED_ENTRY_BYTES]
            .decode("utf-16-le", errors="replace")
            .strip(" \x00")
            for offset in range(0, len(response.data), _APPENDED_ENTRY_BYTES)
        ]
        current = next((entry for entry in reversed(entries) if entry), None)
        return replace(card, appended_address=current)

    def _exchange(self, command: Command) -> Response | None:
        """Exchange under the silence rule: None for a missed deadline or a damaged answer,
        fatal after three such exchanges in a row (the owner then reopens the device)."""
        assert self._link is not None
        try:
            response = self._link.exchange(command)
        except (DeviceTimeoutError, FrameError):
            self._silent_exchanges += 1
            if self._silent_exchanges >= _MAX_SILENT_EXCHANGES:
                raise
            return None
        self._silent_exchanges = 0
        return response

    def _expect(self, response: Response, command: Command) -> None:
        """Map a non-OK outcome to the cycle's failure or to a device error."""
        outcome = response.outcome
        if outcome is Outcome.OK:
            return
        if outcome is Outcome.DEVICE_FAULT:
            raise DeviceHardwareError(f"SAM module fault during {command.name} (SW3 {response.sw3:02X})")
        if outcome is Outcome.READ_FAILED:
            raise _CycleFailed("card_moved")
        if outcome is Outcome.AUTH_FAILED:
            raise _CycleFailed("card_unreadable")
        if outcome is Outcome.UNSUPPORTED_CARD:
            raise _CycleFailed("unsupported_card")
        if outcome in (Outcome.NO_CARD, Outcome.SELECT_FAILED):
            raise _CycleFailed("card_moved")
        raise DeviceProtocolError(f"unexpected answer to {command.name} (SW3 {response.sw3:02X})")

    def _card_gone(self) -> None:
        self._reported_this_placement.clear()
        self._set_status(card="absent")

    def _report_once(self, code: str) -> None:
        """Tell the citizen once per placement, not once per poll."""
        if code == "no_card" or code in self._reported_this_placement:
            return
        self._reported_this_placement.add(code)
        action = RecommendedAction.ASK_USER
        self._report(DeviceUserError(_USER_MESSAGES[code], code=code, action=action))
