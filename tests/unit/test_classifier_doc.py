"""The shipped classifier document and the validation of any classifier document."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import core.data
from core.domain.classifier import (
    CategorySpec,
    SubcategorySpec,
    classifier_document,
    parse_classifier,
)
from core.domain.errors import ValidationError

SHIPPED = Path(core.data.__file__).parent / "classifier.json"

# The slugs of the 31 categories, in the order of the agreed list (shared/categories.tsv).
CATEGORY_SLUGS = [
    "roads", "landscaping", "yards", "healthcare", "apartment_buildings", "waste", "education",
    "public_transport", "utility_bills", "telecom", "social_services", "economy_business",
    "water_supply", "gas_supply", "it", "culture", "mfc", "gosuslugi_portal", "ecology",
    "construction", "heating", "electricity", "sports", "safety", "animals", "employment",
    "trade", "land_property", "agriculture", "emergencies", "tourism",
]


@pytest.fixture(scope="module")
def shipped_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(SHIPPED.read_text(encoding="utf-8"))
    return doc


@pytest.fixture(scope="module")
def shipped(shipped_doc: dict[str, Any]) -> list[CategorySpec]:
    return parse_classifier(shipped_doc)


def _subs(categories: list[CategorySpec]) -> dict[str, SubcategorySpec]:
    return {s.slug: s for cat in categories for s in cat.subcategories}


# --- the shipped document ---------------------------------------------------------------------

def test_shipped_categories_in_order(shipped: list[CategorySpec]) -> None:
    assert len(shipped) == 31
    assert [c.slug for c in shipped] == CATEGORY_SLUGS
    assert shipped[0].name == "Автомобильные дороги"
    assert shipped[-1].name == "Туризм и отдых"
    assert all(c.subcategories for c in shipped)


def test_shipped_has_enough_subcategories(shipped: list[CategorySpec]) -> None:
    subs = [s for c in shipped for s in c.subcategories]
    assert len(subs) >= 300
    assert len({s.slug for s in subs}) == len(subs)
    assert all(10 <= s.answer_days <= 30 for s in subs)
    assert all(1 <= s.fast_track_days < s.answer_days for s in subs)


@pytest.mark.parametrize("slug", [
    "roads_potholes",
    "roads_snow_removal",
    "roads_traffic_lights",
    "landscaping_sidewalk_damage",
    "landscaping_sidewalk_snow",
    "social_services_accessible_environment",
])
def test_shipped_fast_track_set(shipped: list[CategorySpec], slug: str) -> None:
    sub = _subs(shipped)[slug]
    assert sub.fast_track is True
    assert sub.fast_track_days < sub.answer_days


def test_shipped_fast_track_examples(shipped: list[CategorySpec]) -> None:
    subs = _subs(shipped)
    assert subs["roads_potholes"].name == "Ямы и выбоины на дороге"
    assert (subs["roads_potholes"].answer_days, subs["roads_potholes"].fast_track_days) == (30, 5)
    assert "светофор" in subs["roads_traffic_lights"].keywords
    fast = {slug for slug, s in subs.items() if s.fast_track}
    assert 10 <= len(fast) < len(subs) / 2


def test_shipped_keywords_are_normalised(shipped: list[CategorySpec]) -> None:
    for sub in _subs(shipped).values():
        assert all(k == k.strip().lower() and k for k in sub.keywords), sub.slug
        assert len(set(sub.keywords)) == len(sub.keywords), sub.slug


def test_shipped_document_round_trips(
    shipped_doc: dict[str, Any], shipped: list[CategorySpec]
) -> None:
    doc = classifier_document(shipped)
    assert doc["categories"] == shipped_doc["categories"]
    assert parse_classifier(doc) == shipped
    assert parse_classifier(json.loads(json.dumps(doc, ensure_ascii=False))) == shipped


# --- validation -------------------------------------------------------------------------------

def sub(slug: str = "roads_potholes", **kw: Any) -> dict[str, Any]:
    return {"slug": slug, "name": "Ямы", "answer_days": 30, "fast_track": True,
            "fast_track_days": 5, "keywords": ["яма"], **kw}


def doc(*categories: dict[str, Any]) -> dict[str, Any]:
    return {"categories": list(categories) or [
        {"slug": "roads", "name": "Дороги", "subcategories": [sub()]}]}


def cat(slug: str = "roads", *subs: dict[str, Any]) -> dict[str, Any]:
    return {"slug": slug, "name": "Дороги", "subcategories": list(subs) or [sub()]}


def test_minimal_document_parses() -> None:
    parsed = parse_classifier(doc())
    assert parsed == [CategorySpec("roads", "Дороги", (
        SubcategorySpec("roads_potholes", "Ямы", 30, True, 5, ("яма",)),))]


@pytest.mark.parametrize("bad", [
    {}, {"categories": {}}, {"categories": "roads"}, {"version": 1}, [], None, "categories",
])
def test_missing_categories_key(bad: Any) -> None:
    with pytest.raises(ValidationError, match="ожидается объект с полем categories"):
        parse_classifier(bad)


def test_duplicate_category_slug() -> None:
    with pytest.raises(ValidationError, match="Категория roads: код повторяется"):
        parse_classifier(doc(cat("roads", sub("a_1")), cat("roads", sub("a_2"))))


def test_duplicate_subcategory_slug_across_categories() -> None:
    with pytest.raises(ValidationError, match="Подкатегория roads_potholes: код повторяется"):
        parse_classifier(doc(cat("roads"), cat("yards")))


@pytest.mark.parametrize("slug", ["Roads", "1roads", "r", "roads-x", "дороги", "", None, 5,
                                  "r" * 65, " roads"])
def test_bad_category_slug(slug: Any) -> None:
    with pytest.raises(ValidationError, match=r"Категория №1: код .* латиница в нижнем регистре"):
        parse_classifier(doc(cat(slug)))


def test_bad_subcategory_slug_names_its_place() -> None:
    with pytest.raises(ValidationError, match="Категория roads, подкатегория №2: код 'Bad'"):
        parse_classifier(doc(cat("roads", sub("ok_one"), sub("Bad"))))


@pytest.mark.parametrize("days", [9, 31, 0, -10, "30", 30.0, True, None])
def test_answer_days_out_of_range(days: Any) -> None:
    with pytest.raises(
        ValidationError, match="Подкатегория roads_potholes: answer_days: ожидается целое число "
                               "от 10 до 30",
    ):
        parse_classifier(doc(cat("roads", sub(answer_days=days, fast_track_days=2))))


@pytest.mark.parametrize("days", [10, 30])
def test_answer_days_bounds_accepted(days: int) -> None:
    parsed = parse_classifier(doc(cat("roads", sub(answer_days=days, fast_track_days=2))))
    assert parsed[0].subcategories[0].answer_days == days


def test_fast_track_days_not_shorter_than_answer_days() -> None:
    with pytest.raises(ValidationError, match="ускоренный срок должен быть короче обычного"):
        parse_classifier(doc(cat("roads", sub(answer_days=10, fast_track_days=10))))
    parsed = parse_classifier(doc(cat("roads", sub(answer_days=10, fast_track_days=9))))
    assert parsed[0].subcategories[0].fast_track_days == 9


@pytest.mark.parametrize("days", [0, 11, "3", False])
def test_fast_track_days_out_of_range(days: Any) -> None:
    with pytest.raises(ValidationError, match="fast_track_days: ожидается целое число от 1 до 10"):
        parse_classifier(doc(cat("roads", sub(fast_track_days=days))))


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None, [True]])
def test_fast_track_must_be_bool(value: Any) -> None:
    with pytest.raises(ValidationError, match="fast_track — true или false"):
        parse_classifier(doc(cat("roads", sub(fast_track=value))))


def test_defaults_for_fast_track_and_its_days() -> None:
    raw = sub()
    del raw["fast_track"], raw["fast_track_days"], raw["keywords"]
    parsed = parse_classifier(doc(cat("roads", raw)))[0].subcategories[0]
    assert (parsed.fast_track, parsed.fast_track_days, parsed.keywords) == (False, 5, ())


def test_keywords_are_trimmed_lowered_and_deduplicated() -> None:
    keywords = [" Яма", "яма ", "", "  ", "ВЫБОИНА"]
    parsed = parse_classifier(doc(cat("roads", sub(keywords=keywords))))
    assert parsed[0].subcategories[0].keywords == ("яма", "выбоина")


@pytest.mark.parametrize("keywords", ["яма", [1], ["яма", None], {"яма": 1}])
def test_keywords_must_be_a_list_of_strings(keywords: Any) -> None:
    with pytest.raises(ValidationError, match="keywords — список строк"):
        parse_classifier(doc(cat("roads", sub(keywords=keywords))))


@pytest.mark.parametrize("subs", [None, [], "roads_potholes"])
def test_category_needs_subcategories(subs: Any) -> None:
    raw = {"slug": "roads", "name": "Дороги", "subcategories": subs}
    with pytest.raises(ValidationError, match="Категория roads: нужен непустой список"):
        parse_classifier({"categories": [raw]})


def test_names_must_be_non_empty_strings() -> None:
    with pytest.raises(ValidationError, match="Категория roads: name: ожидается непустая строка"):
        parse_classifier({"categories": [{"slug": "roads", "name": "  ",
                                          "subcategories": [sub()]}]})
    with pytest.raises(ValidationError, match="Подкатегория roads_potholes: name"):
        parse_classifier(doc(cat("roads", sub(name="я" * 201))))


def test_non_object_entries() -> None:
    with pytest.raises(ValidationError, match="Категория №2: ожидается объект"):
        parse_classifier({"categories": [cat("roads"), "yards"]})
    with pytest.raises(ValidationError, match="Категория roads, подкатегория №1: ожидается объект"):
        parse_classifier(doc(cat("roads", ["roads_potholes"])))  # type: ignore[arg-type]


def test_errors_are_validation_errors_with_a_code() -> None:
    with pytest.raises(ValidationError) as err:
        parse_classifier({})
    assert err.value.code == "validation_error"


# --- round trip -------------------------------------------------------------------------------

def test_document_round_trip() -> None:
    original = doc(cat("roads", sub("roads_potholes"), sub("roads_ice", fast_track=False)),
                   cat("yards", sub("yards_lighting", answer_days=10, fast_track_days=3,
                                    keywords=["Фонарь", "фонарь"])))
    parsed = parse_classifier(copy.deepcopy(original))
    exported = classifier_document(parsed)
    assert exported == {"categories": [
        {"slug": "roads", "name": "Дороги", "subcategories": [
            {"slug": "roads_potholes", "name": "Ямы", "answer_days": 30, "fast_track": True,
             "fast_track_days": 5, "keywords": ["яма"]},
            {"slug": "roads_ice", "name": "Ямы", "answer_days": 30, "fast_track": False,
             "fast_track_days": 5, "keywords": ["яма"]},
        ]},
        {"slug": "yards", "name": "Дороги", "subcategories": [
            {"slug": "yards_lighting", "name": "Ямы", "answer_days": 10, "fast_track": True,
             "fast_track_days": 3, "keywords": ["фонарь"]},
        ]},
    ]}
    assert parse_classifier(exported) == parsed


def test_document_without_keywords(shipped: list[CategorySpec]) -> None:
    exported = classifier_document(shipped, with_keywords=False)
    first = exported["categories"][0]["subcategories"][0]
    assert set(first) == {"slug", "name", "answer_days", "fast_track", "fast_track_days"}
    reparsed = parse_classifier(exported)
    assert [c.slug for c in reparsed] == CATEGORY_SLUGS
    assert all(s.keywords == () for c in reparsed for s in c.subcategories)
