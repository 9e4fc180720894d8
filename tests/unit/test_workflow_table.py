"""The workflow table, walked pair by pair: every (status, action) is either a row or refused."""

from __future__ import annotations

import re
from collections import deque

import pytest

from core.domain.enums import (
    ACTION_TITLES,
    STATUS_STAGE,
    STATUS_TITLES,
    TERMINAL_STATUSES,
    Action,
    NotificationKind,
    Role,
    Stage,
    Status,
)
from core.domain.errors import IllegalTransition, PermissionDenied
from core.domain.workflow import TRANSITIONS, Transition, available_actions, find, transition

CITIZEN = "citizen"
SYSTEM = "system"
ALL_ROLES: frozenset[str] = frozenset({*(r.value for r in Role), CITIZEN, SYSTEM})
CYRILLIC = re.compile(r"[А-Яа-яЁё]")

MOD = frozenset({"moderator", "admin"})
COORD = frozenset({"coordinator"})
EXEC = frozenset({"executor", "coordinator"})
MANAGER = frozenset({"manager"})
S, A, N = Status, Action, NotificationKind

# The table written out independently of the code, row by row: what the platform promises.
EXPECTED: dict[tuple[Status, Action], tuple[Status, frozenset[str], NotificationKind | None]] = {
    (S.MODERATION, A.APPROVE_MODERATION): (S.NEW, MOD, N.STATUS_CHANGED),
    (S.MODERATION, A.CHANGE_CATEGORY): (S.MODERATION, MOD, None),
    (S.MODERATION, A.CHANGE_ORGANISATION): (S.MODERATION, MOD, None),
    (S.MODERATION, A.REJECT): (S.REJECTED, MOD, N.REJECTED),
    **{
        (src, act): row
        for src in (S.NEW, S.RETURNED, S.RE_REVIEW)
        for act, row in {
            A.SEND_TO_EXECUTION: (S.IN_WORK, COORD, N.STATUS_CHANGED),
            A.REDIRECT: (S.NEW, COORD, N.STATUS_CHANGED),
            A.REQUEST_REDIRECT: (S.REDIRECT_REQUESTED, COORD, None),
            A.RETURN_TO_MODERATION: (S.MODERATION, COORD, None),
            A.SEND_TO_SED: (S.SENT_TO_SED, COORD, None),
        }.items()
    },
    (S.IN_WORK, A.SEND_TO_SED): (S.SENT_TO_SED, EXEC, None),
    (S.POSTPONED, A.SEND_TO_SED): (S.SENT_TO_SED, EXEC, None),
    (S.REDIRECT_REQUESTED, A.APPROVE_REDIRECT): (S.NEW, MOD, N.STATUS_CHANGED),
    (S.REDIRECT_REQUESTED, A.DECLINE_REDIRECT): (S.RETURNED, MOD, None),
    **{
        (src, act): row
        for src in (S.IN_WORK, S.POSTPONED, S.SED_ANSWER_RECEIVED)
        for act, row in {
            A.ANSWER: (S.ANSWER_PREPARED, EXEC, None),
            A.RETURN_TO_COORDINATOR: (S.RETURNED, frozenset({"executor"}), None),
        }.items()
    },
    (S.IN_WORK, A.POSTPONE): (S.POSTPONED, EXEC, N.POSTPONED),
    (S.POSTPONED, A.POSTPONE): (S.POSTPONED, EXEC, N.POSTPONED),
    (S.SENT_TO_SED, A.RECEIVE_SED_ANSWER): (S.SED_ANSWER_RECEIVED, EXEC | {SYSTEM}, None),
    (S.ANSWER_PREPARED, A.APPROVE_ANSWER): (S.ANSWERED, MANAGER, N.ANSWERED),
    (S.ANSWER_PREPARED, A.SEND_BACK_FOR_REWORK): (S.IN_WORK, MANAGER, None),
    (S.ANSWERED, A.RATE_LOW): (S.RE_REVIEW, frozenset({CITIZEN}), N.RE_REVIEW),
    (S.ANSWERED, A.RATE_HIGH): (S.CLOSED, frozenset({CITIZEN}), N.CLOSED),
    (S.ANSWERED, A.AUTO_CLOSE): (S.CLOSED, frozenset({SYSTEM}), N.CLOSED),
}

ALL_PAIRS = [(s, a) for s in Status for a in Action]
TABLE_PAIRS = [p for p in ALL_PAIRS if find(*p) is not None]
OTHER_PAIRS = [p for p in ALL_PAIRS if find(*p) is None]


def _id(pair: tuple[Status, Action]) -> str:
    return f"{pair[0].value}-{pair[1].value}"


def test_table_is_exactly_the_expected_table() -> None:
    actual = {(t.source, t.action): (t.target, t.allowed, t.notify) for t in TRANSITIONS}
    assert actual == EXPECTED
    assert len(TRANSITIONS) == len(EXPECTED) == 37


def test_pairs_partition_the_whole_product() -> None:
    assert len(ALL_PAIRS) == len(Status) * len(Action) == 13 * 22
    assert len(TABLE_PAIRS) == 37
    assert len(OTHER_PAIRS) == 13 * 22 - 37


@pytest.mark.parametrize("pair", TABLE_PAIRS, ids=_id)
def test_table_pair_succeeds_for_each_allowed_role(pair: tuple[Status, Action]) -> None:
    status, action = pair
    target, allowed, notify = EXPECTED[pair]
    for role in sorted(allowed):
        row = transition(status, action, frozenset({role}))
        assert isinstance(row, Transition)
        assert (row.source, row.action, row.target, row.notify) == (status, action, target, notify)
        assert row.target_stage == STATUS_STAGE[target]
    # Holding an allowed role among others still works.
    assert transition(status, action, ALL_ROLES).target == target


@pytest.mark.parametrize("pair", TABLE_PAIRS, ids=_id)
def test_table_pair_refuses_every_other_role(pair: tuple[Status, Action]) -> None:
    status, action = pair
    _, allowed, _ = EXPECTED[pair]
    others = ALL_ROLES - allowed
    assert others, "every row leaves someone out"
    for role in sorted(others):
        with pytest.raises(PermissionDenied) as err:
            transition(status, action, frozenset({role}))
        assert err.value.code == "permission_denied"
        assert err.value.details == {"status": status.value, "action": action.value}
        assert CYRILLIC.search(err.value.message)
        assert ACTION_TITLES[action] in err.value.message
    with pytest.raises(PermissionDenied):
        transition(status, action, frozenset(others))
    with pytest.raises(PermissionDenied):
        transition(status, action, frozenset())


@pytest.mark.parametrize("pair", OTHER_PAIRS, ids=_id)
def test_pair_outside_table_is_illegal_for_everyone(pair: tuple[Status, Action]) -> None:
    status, action = pair
    for roles in (ALL_ROLES, frozenset(), *(frozenset({r}) for r in sorted(ALL_ROLES))):
        with pytest.raises(IllegalTransition) as err:
            transition(status, action, roles)
        assert err.value.code == "illegal_transition"
        assert err.value.details == {"status": status.value, "action": action.value}
        assert CYRILLIC.search(err.value.message)
        assert ACTION_TITLES[action] in err.value.message
        assert STATUS_TITLES[status] in err.value.message


def test_messages_are_russian_sentences() -> None:
    with pytest.raises(IllegalTransition, match="недоступно в статусе «Закрыто»"):
        transition(Status.CLOSED, Action.RATE_HIGH, frozenset({CITIZEN}))
    with pytest.raises(PermissionDenied, match="«Утвердить ответ» не разрешено вашей роли"):
        transition(Status.ANSWER_PREPARED, Action.APPROVE_ANSWER, frozenset({"executor"}))


@pytest.mark.parametrize("row", TRANSITIONS, ids=lambda t: f"{t.source.value}-{t.action.value}")
def test_target_stage_is_the_status_stage(row: Transition) -> None:
    assert row.target_stage == STATUS_STAGE[row.target]
    assert isinstance(row.target_stage, Stage)


def test_every_status_has_a_stage_and_a_title() -> None:
    assert set(STATUS_STAGE) == set(Status)
    assert set(STATUS_TITLES) == set(Status)
    assert set(ACTION_TITLES) == set(Action)
    assert STATUS_STAGE[Status.REJECTED] == STATUS_STAGE[Status.CLOSED] == Stage.CLOSED
    assert STATUS_STAGE[Status.REDIRECT_REQUESTED] == Stage.MODERATION
    assert STATUS_STAGE[Status.ANSWER_PREPARED] == Stage.APPROVAL


def test_terminal_statuses_have_no_outgoing_actions() -> None:
    assert frozenset({Status.REJECTED, Status.CLOSED}) == TERMINAL_STATUSES
    for status in TERMINAL_STATUSES:
        assert [t for t in TRANSITIONS if t.source == status] == []
        assert available_actions(status, ALL_ROLES) == []


@pytest.mark.parametrize("status", sorted(set(Status) - TERMINAL_STATUSES))
def test_non_terminal_status_has_an_action(status: Status) -> None:
    assert available_actions(status, ALL_ROLES), status


def _reachable(start: Status) -> set[Status]:
    seen, queue = {start}, deque([start])
    while queue:
        current = queue.popleft()
        for t in TRANSITIONS:
            if t.source == current and t.target not in seen:
                seen.add(t.target)
                queue.append(t.target)
    return seen


def test_every_status_is_reachable_from_moderation() -> None:
    assert _reachable(Status.MODERATION) == set(Status)


@pytest.mark.parametrize("status", list(Status))
def test_every_status_can_still_end(status: Status) -> None:
    assert _reachable(status) & TERMINAL_STATUSES


def test_action_without_a_row_anywhere() -> None:
    # Register and auto-rules are audit events, never workflow transitions.
    for action in (Action.REGISTER, Action.APPLY_AUTO_RULE):
        assert all(find(s, action) is None for s in Status)


@pytest.mark.parametrize("status", list(Status))
def test_available_actions_lists_exactly_the_allowed_ones(status: Status) -> None:
    role_sets = [ALL_ROLES, frozenset(), *(frozenset({r}) for r in sorted(ALL_ROLES)),
                 frozenset({"executor", "manager"}), frozenset({"coordinator", "moderator"})]
    for roles in role_sets:
        expected = [a for (s, a), (_, allowed, _) in EXPECTED.items()
                    if s == status and allowed & roles]
        got = available_actions(status, roles)
        assert sorted(got) == sorted(expected)
        assert len(got) == len(set(got))
        for action in got:
            transition(status, action, roles)  # never raises for a listed action


def test_available_actions_examples_in_table_order() -> None:
    assert available_actions(Status.MODERATION, frozenset({"moderator"})) == [
        Action.APPROVE_MODERATION, Action.CHANGE_CATEGORY, Action.CHANGE_ORGANISATION,
        Action.REJECT,
    ]
    assert available_actions(Status.NEW, frozenset({"executor"})) == []
    assert available_actions(Status.IN_WORK, frozenset({"executor"})) == [
        Action.SEND_TO_SED, Action.ANSWER, Action.RETURN_TO_COORDINATOR, Action.POSTPONE,
    ]
    assert available_actions(Status.IN_WORK, frozenset({"coordinator"})) == [
        Action.SEND_TO_SED, Action.ANSWER, Action.POSTPONE,
    ]
    assert available_actions(Status.ANSWERED, frozenset({CITIZEN})) == [
        Action.RATE_LOW, Action.RATE_HIGH,
    ]
    assert available_actions(Status.ANSWERED, frozenset({SYSTEM})) == [Action.AUTO_CLOSE]
    assert available_actions(Status.ANSWERED, frozenset({"admin", "curator", "smm"})) == []
