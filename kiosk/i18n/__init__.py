"""Every string a citizen sees or hears, by key, in zh_CN and en.

Strings live in ``<language>.json`` beside this module (data, so translators never touch code). A key may
hold ``{name}`` placeholders filled by ``Strings.text``. ``speech.<screen>`` keys hold what is spoken when a
screen opens. Both languages must define exactly the same keys (a test checks it); a missing key is a
``KeyError`` in development, never a blank label.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Literal

Language = Literal["zh_CN", "en"]
LANGUAGES: tuple[Language, ...] = ("zh_CN", "en")


@cache
def _table(language: Language) -> dict[str, str]:
    # Beside this module, read directly: importlib.resources costs milliseconds at start-up.
    raw = (Path(__file__).parent / f"{language}.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"string table {language}.json must map keys to strings")
    return {str(k): v for k, v in data.items()}


class Strings:
    """The string table of one language."""

    def __init__(self, language: Language) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language: {language!r}")
        self.language: Language = language
        self._table = _table(language)

    def text(self, key: str, **params: object) -> str:
        """The string for ``key`` with ``{name}`` placeholders filled from ``params``."""
        template = self._table[key]
        return template.format(**params) if params else template

    def has(self, key: str) -> bool:
        return key in self._table

    def keys(self) -> frozenset[str]:
        return frozenset(self._table)

    def all(self) -> dict[str, str]:
        """A copy of the whole table (the UI binds static labels to it)."""
        return dict(self._table)


def strings(language: Language) -> Strings:
    return Strings(language)
