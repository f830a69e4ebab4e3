"""Adapter: speaks each screen's text in the displayed language (A12), with repeat, stop and volume.

Uses Qt TextToSpeech (speech-dispatcher on Linux) when voice is enabled; otherwise, or when no engine
is available, it remembers what it would have said (tests read ``lastSpoken``).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QLocale, QObject, Signal, Slot

log = logging.getLogger(__name__)


class SpeechAdapter(QObject):
    spokenChanged = Signal()

    def __init__(self, enabled: bool) -> None:
        super().__init__()
        self._engine = None
        self._last = ""
        self._language = "zh_CN"
        if enabled:
            try:
                from PySide6.QtTextToSpeech import QTextToSpeech

                engines = QTextToSpeech.availableEngines()
                if "speechd" in engines:
                    self._engine = QTextToSpeech("speechd", self)
            except ImportError:
                log.warning("speech output unavailable: QtTextToSpeech missing")

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
