"""Search by word over the demo classifier: the sorted word index finds exactly what a plain
scan of every subcategory finds, in the same order."""

from __future__ import annotations

import random

from core.conversations.catalogue import MIN_QUERY, _stem, _words, catalogue
from core.services.directory import Directory, SubcategoryInfo
from core.services.platform import Platform


def scan(d: Directory, query: str, limit: int = 8) -> list[SubcategoryInfo]:
    """The rule in its plainest form: per query word, 2 when a keyword word starts with its
    stem, else 1 when a word of the name (or of the category's name) does."""
    stems = {_stem(w) for w in _words(query) if len(w) >= MIN_QUERY}
    scored = []
    for sub in (s for s in d.subcategories.values() if s.is_active):
        keyword_words = {w for k in sub.keywords for w in _words(k)}
        name_words = set(_words(sub.name)) | set(_words(d.categories[sub.category_id].name))
        score = 0
        for stem in stems:
            if any(w.startswith(stem) for w in keyword_words):
                score += 2
            elif any(w.startswith(stem) for w in name_words):
                score += 1
        if score:
            scored.append((-score, sub.position, sub.id, sub))
    return [item[3] for item in sorted(scored, key=lambda item: item[:3])[:limit]]


async def test_index_agrees_with_a_scan_of_every_subcategory(platform: Platform) -> None:
    d = await platform.directory.get()
    vocabulary = sorted({w for s in d.subcategories.values()
                         for w in _words(" ".join((s.name, *s.keywords)))})
    rng = random.Random(7)
    queries = ["яма", "ямы на дороге", "светофор не работает", "снег", "zz", "", "ям",
               *vocabulary[::3], *(w[:4] for w in vocabulary[::5]),
               *(" ".join(rng.sample(vocabulary, 3)) for _ in range(300))]
    found = catalogue(d)
    for query in queries:
        assert [s.id for s in found.search(query)] == [s.id for s in scan(d, query)], query
    assert found.search("яма")[0].slug == "roads_potholes"
