"""The classifier as the bots show it: categories, their subcategories, search by a word."""

from __future__ import annotations

import re
import weakref
from bisect import bisect_left
from dataclasses import dataclass

from core.services.directory import CategoryInfo, Directory, SubcategoryInfo

WORD_RE = re.compile(r"[а-яa-z0-9]+")
MIN_QUERY = 3


def _words(text: str) -> list[str]:
    return WORD_RE.findall(text.lower().replace("ё", "е"))


def _stem(word: str) -> str:
    # Russian inflects the ending: «ямы», «яму», «ямой» all start with «ям». A crude stem
    # keeps search free of NLP libraries (core must not load them) and is good enough here.
    if len(word) <= 4:
        return word[:-1] if len(word) == 4 else word
    return word[: max(4, len(word) - 2)]


@dataclass(frozen=True, slots=True)
class WordIndex:
    """Every distinct word of keywords and names, sorted, so that the words starting with a
    stem are one bisect away instead of a scan of every subcategory."""

    words: tuple[str, ...]
    in_keywords: tuple[frozenset[int], ...]  # subcategory ids per word
    in_names: tuple[frozenset[int], ...]

    @classmethod
    def build(cls, entries: list[tuple[int, frozenset[str], frozenset[str]]]) -> WordIndex:
        keywords: dict[str, set[int]] = {}
        names: dict[str, set[int]] = {}
        for sub_id, keyword_words, name_words in entries:
            for w in keyword_words:
                keywords.setdefault(w, set()).add(sub_id)
            for w in name_words:
                names.setdefault(w, set()).add(sub_id)
        words = tuple(sorted(keywords.keys() | names.keys()))
        return cls(words, tuple(frozenset(keywords.get(w, ())) for w in words),
                   tuple(frozenset(names.get(w, ())) for w in words))

    def matching(self, stem: str) -> tuple[set[int], set[int]]:
        """Subcategories with a keyword word, and with a name word, starting with ``stem``."""
        by_keyword: set[int] = set()
        by_name: set[int] = set()
        i = bisect_left(self.words, stem)
        while i < len(self.words) and self.words[i].startswith(stem):
            by_keyword |= self.in_keywords[i]
            by_name |= self.in_names[i]
            i += 1
        return by_keyword, by_name


@dataclass(frozen=True, slots=True)
class Catalogue:
    categories: tuple[CategoryInfo, ...]
    subcategories: dict[int, tuple[SubcategoryInfo, ...]]
    fast_track: tuple[SubcategoryInfo, ...]
    _by_id: dict[int, SubcategoryInfo]
    _words: WordIndex

    def search(self, query: str, *, limit: int = 8) -> list[SubcategoryInfo]:
        """Subcategories whose keywords or names share a word stem with the query, best first:
        a keyword match counts 2 and a name match 1 per query word."""
        stems = {_stem(w) for w in _words(query) if len(w) >= MIN_QUERY}
        scores: dict[int, int] = {}
        for stem in stems:
            by_keyword, by_name = self._words.matching(stem)
            for sub_id in by_keyword:
                scores[sub_id] = scores.get(sub_id, 0) + 2
            for sub_id in by_name - by_keyword:
                scores[sub_id] = scores.get(sub_id, 0) + 1
        found = [self._by_id[i] for i in scores]
        found.sort(key=lambda sub: (-scores[sub.id], sub.position, sub.id))
        return found[:limit]


# One slot is enough: the directory cache hands out one snapshot at a time.
_last: tuple[weakref.ReferenceType[Directory], Catalogue] | None = None

# The shortcuts citizens need most often, in this order when the classifier has them.
SHORTCUTS = ("roads_potholes", "roads_snow_removal", "landscaping_street_lighting",
             "roads_traffic_lights", "landscaping_sidewalk_damage",
             "social_services_accessible_environment")


def catalogue(d: Directory) -> Catalogue:
    """Built once per directory snapshot."""
    global _last  # noqa: PLW0603 - a cache, not shared state
    if _last is not None and _last[0]() is d:
        return _last[1]
    active = [s for s in d.subcategories.values() if s.is_active]
    by_category: dict[int, list[SubcategoryInfo]] = {}
    for sub in active:
        by_category.setdefault(sub.category_id, []).append(sub)
    subs = {cid: tuple(sorted(items, key=lambda s: (s.position, s.id)))
            for cid, items in by_category.items()}
    categories = tuple(sorted((c for c in d.categories.values() if c.id in subs),
                              key=lambda c: (c.position, c.id)))
    shortcuts = tuple(d.subcategories[d.subcategory_by_slug[slug]] for slug in SHORTCUTS
                      if slug in d.subcategory_by_slug
                      and d.subcategories[d.subcategory_by_slug[slug]].is_active)
    index = WordIndex.build([
        (sub.id, frozenset(w for k in sub.keywords for w in _words(k)),
         frozenset(_words(sub.name)) | frozenset(_words(d.categories[sub.category_id].name)))
        for sub in active])
    built = Catalogue(categories, subs, shortcuts, {s.id: s for s in active}, index)
    _last = (weakref.ref(d), built)
    return built
