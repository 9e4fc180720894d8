"""The shipped labelled corpus of posts (incidents/data/corpus): well-formed, every category
covered, near-misses well represented, and the held-out part apart from the rest."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from core.domain.classifier import parse_classifier
from core.services.classifier import shipped_classifier

CORPUS = Path(__file__).resolve().parents[2] / "incidents" / "data" / "corpus"
FIELDS = {"id", "text", "is_incident", "category", "subcategory", "city", "street", "house",
          "kind"}
KINDS = {"complaint", "news", "ad", "thanks", "joke", "lost_pet", "found_item", "event",
         "opinion", "question", "sale", "greeting", "politics", "weather", "other"}
STREET_TYPES = ("улица", "проспект", "переулок", "шоссе", "бульвар", "площадь", "проезд",
                "микрорайон", "набережная", "тракт", "тупик", "квартал", "аллея", "линия",
                "спуск", "жилмассив", "магистраль")


def lines(pattern: str) -> list[dict[str, object]]:
    found = []
    for path in sorted(CORPUS.glob(pattern)):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    found.append(json.loads(line))
                except ValueError as error:
                    raise AssertionError(f"{path.name}:{n}: {error}") from None
    return found


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, object]]:
    """The part models are trained and cross-validated on."""
    return [x for path in sorted(CORPUS.glob("*.jsonl")) if ".heldout." not in path.name
            for x in lines(path.name)]


def heldout_lines() -> list[dict[str, object]]:
    return lines("*.heldout.jsonl")


def test_every_line_is_well_formed() -> None:
    categories = {c.slug: {s.slug for s in c.subcategories}
                  for c in parse_classifier(shipped_classifier())}
    everything = lines("*.jsonl")
    assert len({x["id"] for x in everything}) == len(everything), "ids must be unique"
    for x in everything:
        assert set(x) == FIELDS, x["id"]
        assert isinstance(x["text"], str) and x["text"].strip(), x["id"]
        assert x["kind"] in KINDS, x["id"]
        if x["is_incident"]:
            assert x["kind"] == "complaint" and x["category"] in categories, x["id"]
            assert x["subcategory"] is None or x["subcategory"] in categories[x["category"]], \
                x["id"]
        else:
            assert x["kind"] != "complaint" and x["category"] is None, x["id"]
        street = x["street"]
        assert street is None or any(word in str(street).lower() for word in STREET_TYPES) \
            or str(street).split()[-1].lower() in ("проспект", "шоссе", "тракт"), x["id"]


def test_size_and_coverage(corpus: list[dict[str, object]]) -> None:
    assert len(corpus) >= 2000
    incidents = [x for x in corpus if x["is_incident"]]
    per_category = Counter(x["category"] for x in incidents)
    assert len(per_category) == 31
    assert min(per_category.values()) >= 25
    near_misses = Counter(x["kind"] for x in corpus if not x["is_incident"])
    for kind in ("news", "ad", "thanks", "joke", "lost_pet", "event", "opinion"):
        assert near_misses[kind] >= 40, kind
    named = [x for x in incidents if x["street"]]
    assert len(named) >= 0.4 * len(incidents)


def test_heldout_is_apart() -> None:
    heldout = heldout_lines()
    assert len(heldout) >= 300
    train_texts = {str(x["text"]).strip().lower() for path in CORPUS.glob("*.jsonl")
                   if ".heldout." not in path.name for x in lines(path.name)}
    assert not [x["id"] for x in heldout if str(x["text"]).strip().lower() in train_texts]
