"""Linking Telegram and VK: a code shown in one messenger, entered in the other (as text
after «Ввести код», or as ``/link 1234 5678``); then «Мои сообщения» in both lists every
message. ``/unlink`` undoes it (``core.services.linking.unlink_identity`` says which side goes).
"""

from __future__ import annotations

from core.conversations import texts as tx
from core.conversations.flows.common import GlobalHandler
from core.conversations.flows.menu import show_menu
from core.conversations.payloads import Payload
from core.conversations.replies import Button
from core.conversations.turn import Step, Turn
from core.domain.enums import Channel
from core.domain.errors import ConflictError, DomainError, NotFound, ValidationError
from core.services.linking import (
    CHANNEL_NAMES,
    LinkResult,
    Refusal,
    issue_link_code,
    normalise_code,
    redeem_link_code,
    unlink_identity,
)

FLOW = "linking"
# Refusals after which typing another code now is pointless: back to the menu.
FINAL = frozenset({Refusal.LOCKED.value, Refusal.SUSPENDED.value, Refusal.CONFLICT.value,
                   Refusal.NO_CONSENT.value})


async def on_link(turn: Turn, payload: Payload) -> None:
    """The main menu's «Связать Telegram и VK»: show a fresh code."""
    await turn.goto(FLOW, CodeStep.name, data={})


async def on_command(turn: Turn) -> None:
    """``/link 1234 5678`` enters a code; a bare ``/link`` shows one."""
    if not turn.state.consented:
        from core.conversations.flows.onboarding import FLOW as ONBOARDING
        from core.conversations.flows.onboarding import ConsentStep
        turn.say(tx.NEED_CONSENT)
        await turn.goto(ONBOARDING, ConsentStep.name, data={})
        return
    parts = turn.event.text.split(maxsplit=1)
    code = parts[1].strip() if len(parts) > 1 else ""
    if not code:
        await turn.goto(FLOW, CodeStep.name, data={})
        return
    await redeem(turn, code)


class CodeStep(Step):
    """The code to enter in the other messenger. Entering the step hands out a new code (the
    digits are not kept anywhere to show them again); the previous one stops working."""

    flow, name = FLOW, "code"

    async def enter(self, turn: Turn) -> None:
        assert turn.state.citizen_id is not None
        try:
            code = await issue_link_code(turn.p, citizen_id=turn.state.citizen_id,
                                         channel=turn.user.channel,
                                         external_id=turn.user.external_id)
        except DomainError as error:
            turn.say(error.message)
            await show_menu(turn)
            return
        turn.say(tx.LINK_CODE.format(code=code.shown, digits=code.code),
                 buttons=self._buttons(turn))

    def _buttons(self, turn: Turn) -> list[Button]:
        return [turn.button(tx.LINK_ENTER, "enter", row=0),
                turn.global_button(tx.LINK_TO_MENU, "menu", row=0)]

    async def on_button(self, turn: Turn, action: str, args: tuple[str, ...]) -> None:
        if action == "enter":
            await turn.goto(FLOW, EnterStep.name, data={})
        else:
            await self.unexpected(turn)

    async def on_text(self, turn: Turn, text: str) -> None:
        if normalise_code(text) is not None:  # the code from the other messenger, typed here
            await redeem(turn, text)
        else:
            await self.unexpected(turn)

    async def unexpected(self, turn: Turn) -> None:
        # Not ``enter``: that would replace the code the citizen may be typing elsewhere.
        turn.say(tx.LINK_CODE_EXPECTED, buttons=self._buttons(turn))


class EnterStep(Step):
    flow, name = FLOW, "enter"

    async def enter(self, turn: Turn) -> None:
        turn.say(tx.LINK_ASK_CODE, buttons=[turn.global_button(tx.LINK_TO_MENU, "menu")])

    async def on_text(self, turn: Turn, text: str) -> None:
        await redeem(turn, text)


async def redeem(turn: Turn, code: str) -> None:
    """Enter a code: link and go to the menu, or say why not and let the citizen retry."""
    assert turn.state.citizen_id is not None
    try:
        result = await redeem_link_code(turn.p, citizen_id=turn.state.citizen_id,
                                        channel=turn.user.channel,
                                        external_id=turn.user.external_id, code=code)
    except ValidationError as error:
        turn.say(error.message)
        if error.details.get("reason") in FINAL:
            await show_menu(turn)
        else:
            await turn.goto(FLOW, EnterStep.name, data={})
        return
    except (ConflictError, NotFound) as error:
        turn.say(error.message)
        await show_menu(turn)
        return
    # This channel's account belongs to the kept citizen now; the dialog saves that.
    turn.state.citizen_id = result.citizen_id
    turn.state.consented = True
    turn.say(_linked_text(turn, result))
    await show_menu(turn)


def _linked_text(turn: Turn, result: LinkResult) -> str:
    # Handled again after another update of this dialog saved first: our own first try
    # linked, so it is news to the citizen all the same.
    if result.already_linked and not turn.attempt:
        return tx.LINK_ALREADY.format(count=result.messages)
    first, second = sorted((result.issuing_channel, turn.user.channel),
                           key=lambda c: list(Channel).index(c))
    return tx.LINK_DONE.format(first=CHANNEL_NAMES[first], second=CHANNEL_NAMES[second],
                               count=result.messages)


async def on_unlink(turn: Turn) -> None:
    """``/unlink``: the account that joined by a code leaves the citizen, whichever side asks.
    If that is this account, it starts over as a citizen without consent."""
    from core.conversations.flows.onboarding import FLOW as ONBOARDING
    from core.conversations.flows.onboarding import ConsentStep
    if turn.state.citizen_id is None:
        turn.say(tx.UNLINK_NOTHING)
        await _carry_on(turn)
        return
    try:
        result = await unlink_identity(turn.p, citizen_id=turn.state.citizen_id,
                                       channel=turn.user.channel,
                                       external_id=turn.user.external_id)
    except (ConflictError, NotFound) as error:
        turn.say(error.message)
        await _carry_on(turn)
        return
    others = " и ".join(CHANNEL_NAMES.get(c, c.value) for c in result.others)
    if not result.others:
        turn.say(tx.UNLINK_NOTHING)
        await _carry_on(turn)
    elif result.self_detached:
        turn.state.citizen_id = result.citizen_id
        turn.state.consented = False
        turn.say(tx.UNLINK_SELF.format(other=others))
        await turn.goto(ONBOARDING, ConsentStep.name, data={})
    else:
        turn.say(tx.UNLINK_OTHERS.format(other=others))
        await _carry_on(turn)


async def _carry_on(turn: Turn) -> None:
    """Back where the citizen was; the menu from a linking step (entering the code step again
    would hand out a new code)."""
    if turn.state.consented and turn.state.flow == FLOW:
        await show_menu(turn)
    else:
        await turn.reprompt()


STEPS: tuple[Step, ...] = (CodeStep(), EnterStep())
GLOBAL: dict[str, GlobalHandler] = {"link": on_link}
