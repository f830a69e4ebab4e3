"""Adapter: speaks each screen's text in the displayed language (A12), with repeat, stop and volume.

Uses Qt TextToSpeech (speech-dispatcher on Linux) when voice is enabled; otherwise, or when no engine
is available, it remembers what it would have said (tests read ``lastSpoken``).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Property, QLocale, QObject, Signal, Slot

log = logging.getLogger(__name__)


class SpeechAdapter(QObject):
    spokenChanged = Signal()

    def __init__(self) -> None:
        """Silent (``lastSpoken`` still says what would be spoken) until ``start(True)``."""
        super().__init__()
        self._enabled = False
        self._engine: Any = None  # a QTextToSpeech once started
        self._last = ""
        self._language = "zh_CN"

    def start(self, enabled: bool) -> None:
        """Speak through speech-dispatcher when ``enabled`` (called after the first frame: connecting
        to it takes a while)."""
        self._enabled = enabled
        if enabled and self._engine is None:
            try:
                from PySide6.QtTextToSpeech import QTextToSpeech

                engines = QTextToSpeech.availableEngines()
                if "speechd" in engines:
                    self._engine = QTextToSpeech("speechd", self)
                    self.set_language(self._language)
            except ImportError:
                log.warning("speech output unavailable: QtTextToSpeech missing")

    @property
    def enabled(self) -> bool:
        return self._enabled

    def _get_last(self) -> str:
        return self._last

    lastSpoken = Property(str, _get_last, notify=spokenChanged)

    def set_language(self, language: str) -> None:
        self._language = language
        if self._engine is not None:
            self._engine.setLocale(QLocale(language))

    def set_volume(self, percent: int) -> None:
        if self._engine is not None:
            self._engine.setVolume(percent / 100)

    @Slot(str)
    def say(self, text: str) -> None:
        self._last = text
        self.spokenChanged.emit()
        if self._engine is not None and text:
            self._engine.stop()
            self._engine.say(text)

    @Slot()
    def stop(self) -> None:
        if self._engine is not None:
            self._engine.stop()

    def wipe(self) -> None:
        self.stop()
        self._last = ""
        self.spokenChanged.emit()
