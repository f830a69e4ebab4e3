"""The simulated ID card reader (``sim:`` in the ``[devices] idcard`` setting).

``sim:?card=resident&after=2`` presents the sample card ``resident`` two seconds after each
enable (omit ``after`` to present cards only through ``present()``); ``card`` may name any
``samples.SAMPLE_CARDS`` entry. ``outcome=card_moved`` or ``outcome=card_unreadable`` makes every
presented card fail the way a real reader reports it. Plus the common ``SimSettings``.
"""

from __future__ import annotations

import threading
import time
from typing import Final

from devices.base import DeviceConfigError, DeviceUserError
from devices.idcard.card import IdCard
from devices.idcard.samples import SAMPLE_CARDS, sample_card
from devices.registry import DeviceUri
from devices.sim import SimSettings, SimulatedDevice

__all__ = ["SimCardReader"]

_OUTCOMES: Final = {
    "ok": "",
    "card_moved": "The card was moved during reading; please place the card again.",
    "card_unreadable": "The card could not be verified; please place the card again or ask staff.",
}


class SimCardReader(SimulatedDevice):
    """A card reader that reads the cards it is given."""

    kind = "idcard"
    is_input = True

    def __init__(
        self,
        settings: SimSettings | None = None,
        *,
        card: IdCard | None = None,
        present_after_s: float | None = None,
        outcome: str = "ok",
        poll_interval_s: float = 0.1,
        name: str | None = None,
    ) -> None:
        super().__init__(settings, name=name)
        if outcome not in _OUTCOMES:
            raise DeviceConfigError(f"sim idcard: 'outcome' must be one of {', '.join(_OUTCOMES)}")
        self.poll_interval_s = poll_interval_s
        self._card = card or sample_card()
        self._present_after_s = present_after_s
        self._outcome = outcome
        self._lock = threading.Lock()
        self._presented: IdCard | None = None
        self._enabled_at = 0.0

    @classmethod
    def from_uri(cls, uri: DeviceUri) -> SimCardReader:
        card_name = uri.param("card", "resident")
        if card_name not in SAMPLE_CARDS:
            raise DeviceConfigError(f"sim idcard: unknown card {card_name!r}")
        after = uri.params.get("after")
        return cls(
            SimSettings.from_uri(uri),
            card=SAMPLE_CARDS[card_name],
            present_after_s=None if after is None else uri.float_param("after", 0.0),
            outcome=uri.param("outcome", "ok"),
        )

    def present(self, card: IdCard | None = None) -> None:
        """Lay a card on the reader (thread-safe); it is read at the next poll while enabled."""
        with self._lock:
            self._presented = card or self._card

    def _on_enable(self) -> None:
        self._enabled_at = time.monotonic()

    def _poll(self) -> None:
        with self._lock:
            card, self._presented = self._presented, None
        due = self._present_after_s is not None and (
            time.monotonic() - self._enabled_at >= self._present_after_s
        )
        if card is None and due:
            card = self._card
        if card is None:
            self._set_status(card="absent")
            return
        self._set_status(card="present")
        if self._outcome != "ok":
            self._report(DeviceUserError(_OUTCOMES[self._outcome], code=self._outcome))
            self._enabled_at = time.monotonic()
            return
        self._deliver(card)
