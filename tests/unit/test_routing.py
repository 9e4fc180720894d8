"""Routing precedence and the ordered auto-rules applied on intake."""

from __future__ import annotations

import pytest

from core.domain.routing import (
    AutoAction,
    AutoRule,
    AutoRuleSet,
    MessageFacts,
    RoutingRule,
    RoutingTable,
    normalise_text,
)

# Territories: region 1 > district 2 > settlement 3; region 1 > district 4.
REGION, DISTRICT, SETTLEMENT, OTHER_DISTRICT = 1, 2, 3, 4
PATH = (SETTLEMENT, DISTRICT, REGION)
CAT, SUB, OTHER_SUB = 100, 1001, 1002


def route(table: RoutingTable, path: tuple[int, ...] = PATH, sub: int = SUB) -> int | None:
    return table.route(category_id=CAT, subcategory_id=sub, territory_path=path)


# --- RoutingTable -----------------------------------------------------------------------------

def test_subcategory_rule_beats_category_rule_even_at_a_higher_territory() -> None:
    table = RoutingTable.build([
        RoutingRule(territory_id=SETTLEMENT, organisation_id=30, category_id=CAT),
        RoutingRule(territory_id=REGION, organisation_id=10, subcategory_id=SUB),
    ])
    assert route(table) == 10
    # For another subcategory of the same category the category rule still applies.
    assert route(table, sub=OTHER_SUB) == 30


def test_deepest_territory_wins_among_subcategory_rules() -> None:
    table = RoutingTable.build([
        RoutingRule(territory_id=REGION, organisation_id=10, subcategory_id=SUB),
        RoutingRule(territory_id=DISTRICT, organisation_id=20, subcategory_id=SUB),
    ])
    assert route(table) == 20
    assert route(table, path=(DISTRICT, REGION)) == 20
    assert route(table, path=(OTHER_DISTRICT, REGION)) == 10


def test_deepest_territory_wins_among_category_rules() -> None:
    table = RoutingTable.build([
        RoutingRule(territory_id=SETTLEMENT, organisation_id=30, category_id=CAT),
        RoutingRule(territory_id=REGION, organisation_id=10, category_id=CAT),
        RoutingRule(territory_id=DISTRICT, organisation_id=20, category_id=CAT),
    ])
    assert route(table) == 30
    assert route(table, path=(DISTRICT, REGION)) == 20
    assert route(table, path=(OTHER_DISTRICT, REGION)) == 10


def test_rules_off_the_path_are_ignored() -> None:
    table = RoutingTable.build([
        RoutingRule(territory_id=OTHER_DISTRICT, organisation_id=40, subcategory_id=SUB),
        RoutingRule(territory_id=REGION, organisation_id=10, category_id=CAT),
    ])
    assert route(table) == 10
    assert route(table, path=(OTHER_DISTRICT, REGION)) == 40


def test_no_rule_routes_nowhere() -> None:
    assert route(RoutingTable.build([])) is None
    table = RoutingTable.build([
        RoutingRule(territory_id=REGION, organisation_id=10, category_id=999),
        RoutingRule(territory_id=REGION, organisation_id=10, subcategory_id=OTHER_SUB),
    ])
    assert route(table) is None
    assert route(table, path=()) is None


def test_build_indexes_by_kind() -> None:
    table = RoutingTable.build([
        RoutingRule(territory_id=REGION, organisation_id=10, category_id=CAT),
        RoutingRule(territory_id=DISTRICT, organisation_id=20, subcategory_id=SUB),
    ])
    assert table.by_category == {(CAT, REGION): 10}
    assert table.by_subcategory == {(SUB, DISTRICT): 20}


@pytest.mark.parametrize(("category", "subcategory"), [(None, None), (CAT, SUB)])
def test_routing_rule_needs_exactly_one_of_category_or_subcategory(
    category: int | None, subcategory: int | None
) -> None:
    with pytest.raises(ValueError, match="exactly one of category or subcategory"):
        RoutingRule(territory_id=REGION, organisation_id=10, category_id=category,
                    subcategory_id=subcategory)


# --- AutoRuleSet ------------------------------------------------------------------------------

def facts(text: str = "Яма на дороге", *, source: str = "telegram",
          path: tuple[int, ...] = PATH, category: int = CAT, sub: int = SUB) -> MessageFacts:
    return MessageFacts(category_id=category, subcategory_id=sub, territory_path=path,
                        source=source, text=text)


def rule(rule_id: int, position: int, action: AutoAction = AutoAction.MARK_FAST_TRACK,
         **kw: object) -> AutoRule:
    return AutoRule(id=rule_id, position=position, name=f"rule {rule_id}", action=action,
                    **kw)  # type: ignore[arg-type]


def apply(rules: list[AutoRule], f: MessageFacts, *, org: int | None = 5,
          fast: bool = False) -> tuple[int | None, int | None, bool, tuple[int, ...]]:
    out = AutoRuleSet.build(rules).apply(f, organisation_id=org, fast_track=fast)
    return out.organisation_id, out.executor_organisation_id, out.fast_track, out.applied_rule_ids


def test_rules_are_ordered_by_position_then_id() -> None:
    rules = [rule(3, 20, stop=False), rule(1, 30, stop=False), rule(2, 10, stop=False),
             rule(9, 20, stop=False)]
    ruleset = AutoRuleSet.build(rules)
    assert [r.id for r in ruleset.rules] == [2, 3, 9, 1]
    assert len(ruleset.patterns) == 4
    assert apply(rules, facts()) == (5, None, True, (2, 3, 9, 1))


def test_a_stop_rule_ends_the_walk() -> None:
    rules = [
        rule(1, 1, AutoAction.ASSIGN_EXECUTOR, organisation_id=70, stop=True),
        rule(2, 2, AutoAction.REDIRECT, organisation_id=80, stop=True),
    ]
    assert apply(rules, facts()) == (5, 70, False, (1,))


def test_first_matching_stop_rule_by_position_wins() -> None:
    rules = [
        rule(1, 50, AutoAction.ASSIGN_EXECUTOR, organisation_id=70),
        rule(2, 10, AutoAction.ASSIGN_EXECUTOR, organisation_id=80),
    ]
    assert apply(rules, facts()) == (5, 80, False, (2,))


def test_non_stop_rules_accumulate() -> None:
    rules = [
        rule(1, 1, AutoAction.MARK_FAST_TRACK, stop=False),
        rule(2, 2, AutoAction.ASSIGN_EXECUTOR, organisation_id=70, stop=False),
        rule(3, 3, AutoAction.ASSIGN_EXECUTOR, organisation_id=71, stop=True),
        rule(4, 4, AutoAction.REDIRECT, organisation_id=90, stop=True),
    ]
    assert apply(rules, facts()) == (5, 71, True, (1, 2, 3))


def test_redirect_clears_an_executor_chosen_earlier() -> None:
    rules = [
        rule(1, 1, AutoAction.ASSIGN_EXECUTOR, organisation_id=70, stop=False),
        rule(2, 2, AutoAction.REDIRECT, organisation_id=90, stop=False),
    ]
    assert apply(rules, facts()) == (90, None, False, (1, 2))
    # An executor assigned after the redirect stays.
    rules.append(rule(3, 3, AutoAction.ASSIGN_EXECUTOR, organisation_id=72))
    assert apply(rules, facts()) == (90, 72, False, (1, 2, 3))


def test_redirect_works_without_a_routed_organisation() -> None:
    rules = [rule(1, 1, AutoAction.REDIRECT, organisation_id=90)]
    assert apply(rules, facts(), org=None) == (90, None, False, (1,))


def test_no_match_leaves_everything_as_it_was() -> None:
    rules = [rule(1, 1, AutoAction.REDIRECT, organisation_id=90, keywords=("светофор",))]
    assert apply(rules, facts("Яма"), org=5, fast=True) == (5, None, True, ())
    assert apply([], facts(), org=None) == (None, None, False, ())


@pytest.mark.parametrize("text", [
    "Не работают Светофоры на перекрёстке",
    "светофор",
    "СВЕТОФОР сломан",
    "Сломан (светофор) у школы",
    "у школы,светофор не горит",
])
def test_keyword_matches_at_a_word_start(text: str) -> None:
    r = rule(1, 1, keywords=("светофор",))
    assert apply([r], facts(text)) == (5, None, True, (1,))


@pytest.mark.parametrize("text", [
    "автосветофор не работает",
    "фотосветофоры",
    "свето фор",
    "светоф",
])
def test_keyword_does_not_match_inside_a_word(text: str) -> None:
    r = rule(1, 1, keywords=("светофор",))
    assert apply([r], facts(text)) == (5, None, False, ())


def test_yo_and_ye_are_folded_both_ways() -> None:
    assert normalise_text("Ёлка и ЁЖ") == "елка и еж"
    by_yo = rule(1, 1, keywords=("гололёд",))
    by_ye = rule(2, 1, keywords=("ГОЛОЛЕД",))
    for r in (by_yo, by_ye):
        assert apply([r], facts("На тротуаре гололед"))[3] == (r.id,)
        assert apply([r], facts("Гололёдица на дороге"))[3] == (r.id,)


def test_folded_keyword_still_respects_word_starts() -> None:
    # «лёд» is inside «гололёд»: not a match.
    r = rule(1, 1, keywords=("лёд",))
    assert apply([r], facts("гололёд у подъезда"))[3] == ()
    assert apply([r], facts("Лед на крыльце"))[3] == (1,)


def test_any_keyword_of_several_matches_and_specials_are_literal() -> None:
    r = rule(1, 1, keywords=("яма", "д.5"))
    assert apply([r], facts("провал возле д.5"))[3] == (1,)
    assert apply([r], facts("провал возле д55"))[3] == ()
    assert apply([r], facts("Ямами изрыт весь двор"))[3] == (1,)
    assert AutoRuleSet.build([r]).patterns[0] is not None
    assert rule(2, 1).keyword_pattern() is None


def test_territory_condition_matches_an_ancestor_on_the_path() -> None:
    r = rule(1, 1, territories=frozenset({DISTRICT}))
    assert apply([r], facts(path=(SETTLEMENT, DISTRICT, REGION)))[3] == (1,)
    assert apply([r], facts(path=(DISTRICT, REGION)))[3] == (1,)
    assert apply([r], facts(path=(OTHER_DISTRICT, REGION)))[3] == ()
    regional = rule(2, 1, territories=frozenset({REGION}))
    assert apply([regional], facts(path=(OTHER_DISTRICT, REGION)))[3] == (2,)
    settlement_only = rule(3, 1, territories=frozenset({SETTLEMENT}))
    assert apply([settlement_only], facts(path=(DISTRICT, REGION)))[3] == ()


def test_source_condition() -> None:
    r = rule(1, 1, sources=frozenset({"vk", "widget"}))
    assert apply([r], facts(source="vk"))[3] == (1,)
    assert apply([r], facts(source="widget"))[3] == (1,)
    assert apply([r], facts(source="telegram"))[3] == ()


def test_category_and_subcategory_conditions() -> None:
    by_cat = rule(1, 1, categories=frozenset({CAT}))
    by_sub = rule(2, 1, subcategories=frozenset({OTHER_SUB}))
    assert apply([by_cat], facts(category=CAT))[3] == (1,)
    assert apply([by_cat], facts(category=CAT + 1))[3] == ()
    assert apply([by_sub], facts(sub=OTHER_SUB))[3] == (2,)
    assert apply([by_sub], facts(sub=SUB))[3] == ()


def test_all_conditions_must_hold() -> None:
    r = rule(1, 1, categories=frozenset({CAT}), territories=frozenset({DISTRICT}),
             sources=frozenset({"vk"}), keywords=("яма",))
    assert apply([r], facts("яма", source="vk"))[3] == (1,)
    assert apply([r], facts("яма", source="telegram"))[3] == ()
    assert apply([r], facts("лужа", source="vk"))[3] == ()
    assert apply([r], facts("яма", source="vk", path=(OTHER_DISTRICT, REGION)))[3] == ()
    assert apply([r], facts("яма", source="vk", category=CAT + 1))[3] == ()


@pytest.mark.parametrize("action", [AutoAction.ASSIGN_EXECUTOR, AutoAction.REDIRECT])
def test_rule_needing_an_organisation_without_one_raises(action: AutoAction) -> None:
    with pytest.raises(ValueError, match="needs an organisation"):
        AutoRule(id=1, position=1, name="без организации", action=action)


def test_fast_track_rule_needs_no_organisation() -> None:
    r = AutoRule(id=1, position=1, name="ускоренно", action=AutoAction.MARK_FAST_TRACK)
    assert r.organisation_id is None
    assert r.stop is True
