"""Random walks through the workflow: whatever staff, citizens and the system do, the message
stays consistent (a hypothesis rule-based state machine driving decide())."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from core.domain import commands as c
from core.domain.deadlines import answer_due
from core.domain.decisions import Context, Decision, MessageState, action_of, decide
from core.domain.enums import (
    STATUS_STAGE,
    TERMINAL_STATUSES,
    Action,
    RejectReason,
    Role,
    Stage,
    Status,
)
from core.domain.errors import DomainError, IllegalTransition, ValidationError
from core.domain.workflow import available_actions, find

TZ = ZoneInfo("Asia/Novosibirsk")
START = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)
ALL_ROLES = sorted({*(r.value for r in Role), "citizen", "system"})
EVERYONE = frozenset(ALL_ROLES)
STATE_FIELDS = {f.name for f in fields(MessageState)}

MakeCommand = Callable[[MessageState], c.Command]

orgs = st.sampled_from([10, 20, 30, 40])
# Mostly acceptable, sometimes empty, too short for an answer, or too long for a reason.
texts = st.sampled_from([" Яму на улице Ленина заделали. ", "Заявка передана подрядчику",
                         "Работы выполнены", "коротко", "", "   ", "я" * 2001])
role_sets = st.frozensets(st.sampled_from(ALL_ROLES), max_size=4)


def _fixed(strategy: st.SearchStrategy[c.Command]) -> st.SearchStrategy[MakeCommand]:
    return strategy.map(lambda command: lambda _state: command)


def _postpone(reason: str, offset: int) -> MakeCommand:
    def make(state: MessageState) -> c.Command:
        current_day = state.answer_due.astimezone(TZ).date()
        return c.Postpone(reason=reason, new_due_date=current_day + timedelta(days=offset))

    return make


# For each action, commands that ask for it, with random and often invalid data.
COMMANDS: dict[Action, st.SearchStrategy[MakeCommand]] = {
    Action.APPROVE_MODERATION: _fixed(st.builds(c.ApproveModeration, st.none() | orgs)),
    Action.CHANGE_CATEGORY: _fixed(st.builds(
        c.ChangeCategory, category_id=st.integers(1, 31), subcategory_id=st.integers(1, 400),
        organisation_id=st.none() | orgs, fast_track=st.booleans())),
    Action.CHANGE_ORGANISATION: _fixed(st.builds(c.ChangeOrganisation, orgs)),
    Action.REJECT: _fixed(st.builds(c.Reject, st.sampled_from(RejectReason), texts)),
    Action.SEND_TO_EXECUTION: _fixed(st.builds(
        c.SendToExecution, orgs, st.none() | st.integers(1, 9), texts)),
    Action.REDIRECT: _fixed(st.builds(
        c.Redirect, orgs, st.sampled_from(["higher", "subordinate"]), texts)),
    Action.REQUEST_REDIRECT: _fixed(st.builds(c.Redirect, orgs, st.just("non_subordinate"),
                                              texts)),
    Action.APPROVE_REDIRECT: _fixed(st.builds(c.ApproveRedirect, texts)),
    Action.DECLINE_REDIRECT: _fixed(st.builds(c.DeclineRedirect, texts)),
    Action.RETURN_TO_MODERATION: _fixed(st.builds(c.ReturnToModeration, texts)),
    Action.ANSWER: _fixed(st.builds(c.Answer, texts)),
    Action.RETURN_TO_COORDINATOR: _fixed(st.builds(c.ReturnToCoordinator, texts)),
    Action.POSTPONE: st.builds(_postpone, texts, st.integers(-3, 33)),
    Action.SEND_TO_SED: _fixed(st.builds(c.SendToSed, texts)),
    Action.RECEIVE_SED_ANSWER: _fixed(st.builds(c.ReceiveSedAnswer, texts)),
    Action.APPROVE_ANSWER: _fixed(st.builds(c.ApproveAnswer, texts)),
    Action.SEND_BACK_FOR_REWORK: _fixed(st.builds(c.SendBackForRework, texts)),
    Action.RATE_LOW: _fixed(st.builds(c.Rate, st.sampled_from([0, 1, 2]), texts)),
    Action.RATE_HIGH: _fixed(st.builds(c.Rate, st.sampled_from([3, 4, 5, 6]), texts)),
    Action.AUTO_CLOSE: _fixed(st.just(c.AutoClose())),
}
ACTIONS = sorted(COMMANDS)
any_action = st.sampled_from(ACTIONS)


def test_every_workflow_action_has_commands() -> None:
    assert set(COMMANDS) == {a for a in Action if a not in (Action.REGISTER,
                                                            Action.APPLY_AUTO_RULE)}


def _target(status: Status, action: Action) -> Status:
    row = find(status, action)
    assert row is not None
    return row.target


class WorkflowMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.state = MessageState(
            status=Status.MODERATION, organisation_id=None, executor_organisation_id=None,
            pending_organisation_id=None, fast_track=False, registered_at=START,
            answer_due=answer_due(START, 30, TZ), coordination_due=None, answer_text=None,
        )
        self.stage = Stage.MODERATION
        self.extra: dict[str, Any] = {}
        self.succeeded: list[Action] = []

    @initialize(routed=st.booleans(), fast=st.booleans(), days=st.integers(1, 30))
    def register(self, routed: bool, fast: bool, days: int) -> None:
        self.state = replace(self.state, organisation_id=10 if routed else None,
                             fast_track=fast, answer_due=answer_due(START, days, TZ))

    def _step(self, command: c.Command, roles: frozenset[str], answer_days: int
              ) -> Decision | None:
        before = (self.state, self.stage, dict(self.extra), list(self.succeeded))
        was_terminal = self.state.status in TERMINAL_STATUSES
        ctx = Context(now=self.now, tz=TZ, answer_days=answer_days)
        try:
            decision = decide(self.state, command, roles=roles, ctx=ctx)
        except DomainError:
            assert (self.state, self.stage, self.extra, self.succeeded) == before
            return None
        assert not was_terminal, f"{command} succeeded on a {self.state.status} message"
        row = decision.transition
        assert row.source is self.state.status
        assert row.action is action_of(command)
        assert find(row.source, row.action) is row
        assert row.allowed & roles
        old = self.state
        self.state = replace(old, status=decision.target, **{
            k: v for k, v in decision.changes.items() if k in STATE_FIELDS})
        self.extra.update({k: v for k, v in decision.changes.items() if k not in STATE_FIELDS})
        self.stage = row.target_stage
        self.succeeded.append(row.action)
        if row.action is Action.POSTPONE:
            assert self.state.answer_due > old.answer_due
        if row.action is Action.RATE_LOW:
            assert self.state.answer_due > self.now
        if "answer_due" not in decision.changes:
            assert self.state.answer_due == old.answer_due
        return decision

    @rule(data=st.data(), minutes=st.integers(0, 3 * 24 * 60), answer_days=st.integers(1, 30),
          mode=st.integers(0, 3), pick=st.integers(0, 10_000))
    def act(self, *, data: st.DataObject, minutes: int, answer_days: int, mode: int,
            pick: int) -> None:
        """Either anything at all (``action`` with ``roles``, one step in four), or an action
        the table allows now with one role that may take it — rarely one that ends the
        message, so walks get deep; the command's own data may be bad either way.
        On a closed or rejected message every role tries, and nothing may succeed."""
        self.now += timedelta(minutes=minutes)
        terminal = self.state.status in TERMINAL_STATUSES
        if terminal or not mode:
            action = data.draw(any_action, label="action")
            roles = EVERYONE if terminal else data.draw(role_sets, label="roles")
        else:
            allowed_now = available_actions(self.state.status, EVERYONE)
            if pick % 10:
                lasting = [a for a in allowed_now
                           if _target(self.state.status, a) not in TERMINAL_STATUSES]
                allowed_now = lasting or allowed_now
            action = allowed_now[pick // 10 % len(allowed_now)]
            row = find(self.state.status, action)
            assert row is not None
            allowed = sorted(row.allowed)
            roles = frozenset({allowed[pick // 70 % len(allowed)]})
        command = data.draw(COMMANDS[action], label="command")(self.state)
        decision = self._step(command, roles, answer_days)
        if terminal:
            assert decision is None

    @invariant()
    def status_is_valid_and_stage_follows(self) -> None:
        assert isinstance(self.state.status, Status)
        assert self.state.status in set(Status)
        assert self.stage is STATUS_STAGE[self.state.status]

    @invariant()
    def answer_due_is_aware_and_after_registration(self) -> None:
        due = self.state.answer_due
        assert due.tzinfo is not None
        assert due.utcoffset() is not None
        assert due >= self.state.registered_at

    @invariant()
    def organisation_after_moderation(self) -> None:
        if self.state.status not in (Status.MODERATION, Status.REJECTED):
            assert self.state.organisation_id is not None

    @invariant()
    def pending_only_while_redirect_requested(self) -> None:
        requested = self.state.status is Status.REDIRECT_REQUESTED
        assert (self.state.pending_organisation_id is not None) == requested

    @invariant()
    def prepared_answer_has_text(self) -> None:
        if self.state.status is Status.ANSWER_PREPARED:
            assert self.state.answer_text
            assert len(self.state.answer_text) >= 10

    @invariant()
    def counters_count_their_actions(self) -> None:
        s = self.state
        assert s.re_review_count == self.succeeded.count(Action.RATE_LOW)
        assert s.postponement_count == self.succeeded.count(Action.POSTPONE)
        assert s.redirect_count == (self.succeeded.count(Action.REDIRECT)
                                    + self.succeeded.count(Action.APPROVE_REDIRECT))


WorkflowMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=30, deadline=None,
)
TestWorkflowMachine = WorkflowMachine.TestCase


@settings(max_examples=200, deadline=None)
@given(status=st.sampled_from(sorted(TERMINAL_STATUSES)), data=st.data(),
       action=st.sampled_from(ACTIONS), roles=role_sets)
def test_terminal_messages_refuse_everything(
    status: Status, data: st.DataObject, action: Action, roles: frozenset[str]
) -> None:
    state = MessageState(
        status=status, organisation_id=10, executor_organisation_id=20,
        pending_organisation_id=30, fast_track=False, registered_at=START,
        answer_due=answer_due(START, 30, TZ), coordination_due=None, answer_text="Ответ дан.",
    )
    command = data.draw(COMMANDS[action])(state)
    ctx = Context(now=START + timedelta(days=40), tz=TZ, answer_days=30)
    with pytest.raises((IllegalTransition, ValidationError)) as err:
        decide(state, command, roles=roles | {"moderator", "citizen", "system"}, ctx=ctx)
    if not isinstance(command, c.Rate) or 1 <= command.score <= 5:
        assert isinstance(err.value, IllegalTransition)
