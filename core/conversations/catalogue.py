"""The classifier as the bots show it: categories, their subcategories, search by a word."""

from __future__ import annotations

import re
import weakref
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
class Catalogue:
    categories: tuple[CategoryInfo, ...]
    subcategories: dict[int, tuple[SubcategoryInfo, ...]]
    fast_track: tuple[SubcategoryInfo, ...]
    _index: tuple[tuple[SubcategoryInfo, frozenset[str], frozenset[str]], ...]

    def search(self, query: str, *, limit: int = 8) -> list[SubcategoryInfo]:
        """Subcategories whose keywords or names share a word stem with the query, best first."""
        stems = {_stem(w) for w in _words(query) if len(w) >= MIN_QUERY}
        if not stems:
            return []
        scored: list[tuple[int, int, SubcategoryInfo]] = []
        for sub, keyword_words, name_words in self._index:
            score = 0
            for stem in stems:
                if any(w.startswith(stem) for w in keyword_words):
                    score += 2
                elif any(w.startswith(stem) for w in name_words):
                    score += 1
            if score:
                scored.append((-score, sub.position, sub))
        scored.sort(key=lambda item: (item[0], item[1], item[2].id))
        return [sub for _, _, sub in scored[:limit]]


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
    index = tuple(
        (sub, frozenset(w for k in sub.keywords for w in _words(k)),
         frozenset(_words(sub.name)) | frozenset(_words(d.categories[sub.category_id].name)))
        for sub in active)
    built = Catalogue(categories, subs, shortcuts, index)
    _last = (weakref.ref(d), built)
    return built
