"""The seam for decoding the card photo.

The photo on the card is a 1024-byte blob in the "WLT" format, which only a licensed vendor
library turns into the 102×126 image. The project ships no decoder and never fakes one: the
default says the photo is unavailable, and a deployment with a licence plugs its own in.
"""

from __future__ import annotations

from typing import Protocol

from devices.idcard.card import Photo

__all__ = ["PhotoDecoder", "UnavailablePhotoDecoder"]


class PhotoDecoder(Protocol):
    """Turns the card's WLT blob into a photo, or None when it cannot."""

    def decode(self, wlt: bytes) -> Photo | None: ...

    @property
    def note(self) -> str:
        """One line for technicians: what this decoder is (no personal data)."""
        ...


class UnavailablePhotoDecoder:
    """The default: no photo, and says why."""

    def decode(self, wlt: bytes) -> Photo | None:
        return None

    @property
    def note(self) -> str:
        return "photo unavailable: decoding the WLT format needs the licensed vendor library"
