"""The classifier document (categories and subcategories) and its validation.

The same shape is what `pos classifier export` prints and `pos classifier import` loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.domain.errors import ValidationError

SLUG_RE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
MIN_ANSWER_DAYS, MAX_ANSWER_DAYS = 10, 30
MIN_FAST_DAYS, MAX_FAST_DAYS = 1, 10


@dataclass(frozen=True, slots=True)
class SubcategorySpec:
    slug: str
    name: str
    answer_days: int
    fast_track: bool
    fast_track_days: int
    keywords: tuple[str, ...] = ()

    def as_dict(self, *, with_keywords: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "slug": self.slug, "name": self.name, "answer_days": self.answer_days,
            "fast_track": self.fast_track, "fast_track_days": self.fast_track_days,
        }
        if with_keywords:
            out["keywords"] = list(self.keywords)
        return out


@dataclass(frozen=True, slots=True)
class CategorySpec:
    slug: str
    name: str
    subcategories: tuple[SubcategorySpec, ...] = field(default_factory=tuple)


def _int(raw: Any, where: str, lo: int, hi: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not lo <= raw <= hi:
        raise ValidationError(f"{where}: ожидается целое число от {lo} до {hi}, получено {raw!r}")
    return raw


def _str(raw: Any, where: str, maximum: int = 200) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > maximum:
        raise ValidationError(f"{where}: ожидается непустая строка до {maximum} символов")
    return raw.strip()


def _slug(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not SLUG_RE.match(raw):
        raise ValidationError(f"{where}: код {raw!r} — латиница в нижнем регистре, цифры и _")
    return raw


def parse_classifier(doc: Any) -> list[CategorySpec]:
    """Validate a classifier document; raise ValidationError naming the first bad place."""
    if not isinstance(doc, dict) or not isinstance(doc.get("categories"), list):
        raise ValidationError("Классификатор: ожидается объект с полем categories (список)")
    categories: list[CategorySpec] = []
    seen_cat: set[str] = set()
    seen_sub: set[str] = set()
    for i, raw_cat in enumerate(doc["categories"], 1):
        if not isinstance(raw_cat, dict):
            raise ValidationError(f"Категория №{i}: ожидается объект")
        slug = _slug(raw_cat.get("slug"), f"Категория №{i}")
        if slug in seen_cat:
            raise ValidationError(f"Категория {slug}: код повторяется")
        seen_cat.add(slug)
        name = _str(raw_cat.get("name"), f"Категория {slug}: name")
        subs: list[SubcategorySpec] = []
        raw_subs = raw_cat.get("subcategories")
        if not isinstance(raw_subs, list) or not raw_subs:
            raise ValidationError(f"Категория {slug}: нужен непустой список subcategories")
        for j, raw_sub in enumerate(raw_subs, 1):
            where = f"Категория {slug}, подкатегория №{j}"
            if not isinstance(raw_sub, dict):
                raise ValidationError(f"{where}: ожидается объект")
            sub_slug = _slug(raw_sub.get("slug"), where)
            if sub_slug in seen_sub:
                raise ValidationError(f"Подкатегория {sub_slug}: код повторяется")
            seen_sub.add(sub_slug)
            where = f"Подкатегория {sub_slug}"
            fast = raw_sub.get("fast_track", False)
            if not isinstance(fast, bool):
                raise ValidationError(f"{where}: fast_track — true или false")
            answer_days = _int(raw_sub.get("answer_days"), f"{where}: answer_days",
                               MIN_ANSWER_DAYS, MAX_ANSWER_DAYS)
            fast_days = _int(raw_sub.get("fast_track_days", min(5, answer_days)),
                             f"{where}: fast_track_days", MIN_FAST_DAYS, MAX_FAST_DAYS)
            if fast_days >= answer_days:
                raise ValidationError(f"{where}: ускоренный срок должен быть короче обычного")
            keywords = raw_sub.get("keywords", [])
            if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
                raise ValidationError(f"{where}: keywords — список строк")
            subs.append(SubcategorySpec(
                slug=sub_slug, name=_str(raw_sub.get("name"), f"{where}: name"),
                answer_days=answer_days, fast_track=fast, fast_track_days=fast_days,
                keywords=tuple(dict.fromkeys(k.strip().lower() for k in keywords if k.strip())),
            ))
        categories.append(CategorySpec(slug, name, tuple(subs)))
    return categories


def classifier_document(categories: list[CategorySpec], *, with_keywords: bool = True
                        ) -> dict[str, Any]:
    return {"categories": [
        {"slug": cat.slug, "name": cat.name,
         "subcategories": [s.as_dict(with_keywords=with_keywords) for s in cat.subcategories]}
        for cat in categories
    ]}
