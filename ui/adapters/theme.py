"""Adapter: the theme tokens of the current mode (standard or elder)."""

from __future__ import annotations

from PySide6.QtCore import Property, QObject, Signal

from ui.theme import REFERENCE_MM_PER_PX, tokens


class ThemeAdapter(QObject):
    tokensChanged = Signal()

    def __init__(self, mm_per_px: float = REFERENCE_MM_PER_PX) -> None:
        super().__init__()
        self._mm_per_px = mm_per_px
        self._elder = False
        self._tokens = tokens(False, mm_per_px)

    def set_elder(self, elder: bool) -> None:
        if elder != self._elder:
            self._elder = elder
            self._tokens = tokens(elder, self._mm_per_px)
            self.tokensChanged.emit()

    def _get_tokens(self) -> dict[str, object]:
        return self._tokens

    t = Property(
        "QVariantMap",  # type: ignore[arg-type]  # Qt type by name
        _get_tokens,
        notify=tokensChanged,
    )
