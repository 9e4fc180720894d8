"""Routing: which organisation answers a message, and the ordered auto-rules applied on intake.

Rule precedence (documented for staff in the admin): a subcategory rule beats a category rule;
within each, the rule for the deepest territory on the path from the message's territory up to
the region wins. A subcategory rule exists to carve an exception out of its category, so a
regional subcategory rule still beats a municipal category rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class RoutingRule:
    territory_id: int
    organisation_id: int
    category_id: int | None = None
    subcategory_id: int | None = None

    def __post_init__(self) -> None:
        if (self.category_id is None) == (self.subcategory_id is None):
            raise ValueError("a routing rule names exactly one of category or subcategory")


@dataclass(frozen=True, slots=True)
class RoutingTable:
    """Rules indexed for constant-time lookups; built once per snapshot of the directory."""

    by_subcategory: dict[tuple[int, int], int]
    by_category: dict[tuple[int, int], int]

    @classmethod
    def build(cls, rules: Iterable[RoutingRule]) -> RoutingTable:
        by_sub: dict[tuple[int, int], int] = {}
        by_cat: dict[tuple[int, int], int] = {}
        for rule in rules:
            if rule.subcategory_id is not None:
                by_sub[(rule.subcategory_id, rule.territory_id)] = rule.organisation_id
            elif rule.category_id is not None:
                by_cat[(rule.category_id, rule.territory_id)] = rule.organisation_id
        return cls(by_sub, by_cat)

    def route(
        self, *, category_id: int, subcategory_id: int, territory_path: Sequence[int]
    ) -> int | None:
        """``territory_path`` runs from the message's territory up to the region."""
        for territory_id in territory_path:
            org = self.by_subcategory.get((subcategory_id, territory_id))
            if org is not None:
                return org
        for territory_id in territory_path:
            org = self.by_category.get((category_id, territory_id))
            if org is not None:
                return org
        return None


class AutoAction(StrEnum):
    ASSIGN_EXECUTOR = "assign_executor"
    REDIRECT = "redirect"
    MARK_FAST_TRACK = "mark_fast_track"


AUTO_ACTION_TITLES: dict[AutoAction, str] = {
    AutoAction.ASSIGN_EXECUTOR: "Назначить организацию-исполнителя",
    AutoAction.REDIRECT: "Перенаправить в организацию",
    AutoAction.MARK_FAST_TRACK: "Отметить как ускоренное рассмотрение",
}


def normalise_text(text: str) -> str:
    return text.lower().replace("ё", "е")


@dataclass(frozen=True, slots=True)
class AutoRule:
    id: int
    position: int
    name: str
    action: AutoAction
    organisation_id: int | None = None
    stop: bool = True
    categories: frozenset[int] = field(default_factory=frozenset)
    subcategories: frozenset[int] = field(default_factory=frozenset)
    territories: frozenset[int] = field(default_factory=frozenset)
    sources: frozenset[str] = field(default_factory=frozenset)
    keywords: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        needs_org = self.action in (AutoAction.ASSIGN_EXECUTOR, AutoAction.REDIRECT)
        if needs_org and self.organisation_id is None:
            raise ValueError(f"auto-rule {self.name!r}: action {self.action} needs an organisation")

    def keyword_pattern(self) -> re.Pattern[str] | None:
        if not self.keywords:
            return None
        # Keywords match at a word start, so «светофор» also finds «светофоры».
        alternatives = "|".join(re.escape(normalise_text(k)) for k in self.keywords)
        return re.compile(rf"(?<!\w)(?:{alternatives})")

    def matches(self, facts: MessageFacts, pattern: re.Pattern[str] | None) -> bool:
        if self.categories and facts.category_id not in self.categories:
            return False
        if self.subcategories and facts.subcategory_id not in self.subcategories:
            return False
        if self.territories and not self.territories.intersection(facts.territory_path):
            return False
        if self.sources and facts.source not in self.sources:
            return False
        return pattern is None or pattern.search(normalise_text(facts.text)) is not None


@dataclass(frozen=True, slots=True)
class MessageFacts:
    category_id: int
    subcategory_id: int
    territory_path: tuple[int, ...]
    source: str
    text: str


@dataclass(frozen=True, slots=True)
class AutoRuleOutcome:
    organisation_id: int | None
    executor_organisation_id: int | None
    fast_track: bool
    applied_rule_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class AutoRuleSet:
    rules: tuple[AutoRule, ...]
    patterns: tuple[re.Pattern[str] | None, ...]

    @classmethod
    def build(cls, rules: Iterable[AutoRule]) -> AutoRuleSet:
        ordered = tuple(sorted(rules, key=lambda r: (r.position, r.id)))
        return cls(ordered, tuple(r.keyword_pattern() for r in ordered))

    def apply(
        self, facts: MessageFacts, *, organisation_id: int | None, fast_track: bool
    ) -> AutoRuleOutcome:
        """Apply rules in order; a matching rule with ``stop`` ends the walk."""
        org, executor, fast, applied = organisation_id, None, fast_track, []
        for rule, pattern in zip(self.rules, self.patterns, strict=True):
            if not rule.matches(facts, pattern):
                continue
            applied.append(rule.id)
            if rule.action is AutoAction.REDIRECT:
                org, executor = rule.organisation_id, None
            elif rule.action is AutoAction.ASSIGN_EXECUTOR:
                executor = rule.organisation_id
            else:
                fast = True
            if rule.stop:
                break
        return AutoRuleOutcome(org, executor, fast, tuple(applied))
