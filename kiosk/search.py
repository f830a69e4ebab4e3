"""Instant search over the catalogue in Chinese characters, full pinyin, or pinyin initials.

"公积金", "gongjijin", "gong ji jin" and "gjj" all find the provident-fund items. Everything that depends
only on the catalogue (pinyin of every name, initials, lower-cased English) is computed once in the
constructor, so a query is a scan of short precomputed strings: well under a millisecond for the ~1,300
items of a city's catalogue. Building the index is the slow part (pinyin dictionaries): do it off the UI
thread; the index is immutable, so it may be built on one thread and used on another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kiosk.catalog import ServiceItem


@dataclass(frozen=True)
class _Entry:
    item: ServiceItem
    name: str  # Chinese name as given
    pinyin: str  # full pinyin, no tones, no spaces: "gongjijinyuechaxun"
    initials: str  # first letter of each syllable: "gjjyecx"
    english: str  # lower-cased English name


def _pinyin_forms(text: str) -> tuple[str, str]:
    # Imported here: loading pypinyin's dictionaries takes about a third of a second, which the kiosk
    # spends on a worker thread after the first frame rather than before it.
    from pypinyin import Style, lazy_pinyin

    syllables = [s.lower() for s in lazy_pinyin(text, style=Style.NORMAL, errors="default")]
    letters = [s for s in syllables if s.isalnum()]
    return "".join(letters), "".join(s[0] for s in letters if s)


def normalise_query(query: str) -> str:
    """Lower case, no spaces or apostrophes ("Gong Ji'jin" → "gongjijin")."""
    return "".join(ch for ch in query.lower() if not ch.isspace() and ch not in "'’")


class SearchIndex:
    """Precomputed search over a fixed set of items; build a new index when the catalogue changes."""

    def __init__(self, items: Iterable[ServiceItem]) -> None:
        entries = []
        for item in items:
            pinyin, initials = _pinyin_forms(item.name_zh)
            entries.append(_Entry(item, item.name_zh, pinyin, initials, item.name_en.lower()))
        self._entries = tuple(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, query: str, limit: int = 20) -> list[ServiceItem]:
        """Items matching ``query``, best first; empty for an empty query.

        Ranking: Chinese name prefix, Chinese substring, initials prefix, full-pinyin prefix, initials
        or pinyin substring, English words; ties by popularity.
        """
        q = normalise_query(query)
        if not q:
            return []
        scored: list[tuple[int, int, str, ServiceItem]] = []
        for e in self._entries:
            rank = self._rank(e, q)
            if rank is not None:
                scored.append((rank, -e.item.popularity, e.item.code, e.item))
        scored.sort(key=lambda t: t[:3])
        return [t[3] for t in scored[:limit]]

    @staticmethod
    def _rank(e: _Entry, q: str) -> int | None:
        if e.name.startswith(q):
            return 0
        if q in e.name:
            return 1
        if q.isascii():
            if e.initials.startswith(q):
                return 2
            if e.pinyin.startswith(q):
                return 3
            if q in e.initials or q in e.pinyin:
                return 4
            if q in e.english.replace(" ", ""):
                return 5
        return None
