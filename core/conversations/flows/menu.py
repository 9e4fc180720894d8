"""The main menu, help, and the buttons that work from anywhere."""

from __future__ import annotations

from core.conversations import texts as tx
from core.conversations.flows.common import GlobalHandler
from core.conversations.payloads import Payload
from core.conversations.turn import Step, Turn
from core.services.citizens import withdraw_consent

FLOW = "menu"


async def show_menu(turn: Turn) -> None:
    await turn.goto(FLOW, MainStep.name, data={})


class MainStep(Step):
    flow, name, expects = FLOW, "main", tx.MENU_EXPECTED

    async def enter(self, turn: Turn) -> None:
        turn.say(tx.MENU, buttons=[
            turn.global_button(tx.MENU_FILE, "file", row=0),
            turn.global_button(tx.MENU_MY, "my", 0, row=1),
            turn.global_button(tx.MENU_LINK, "link", row=2),
            turn.global_button(tx.MENU_HELP, "help", row=3)])


async def on_menu(turn: Turn, payload: Payload) -> None:
    await show_menu(turn)


async def on_help(turn: Turn, payload: Payload) -> None:
    turn.say(tx.HELP)
    await turn.reprompt()


async def on_stay(turn: Turn, payload: Payload) -> None:
    """Carry on where the dialog was."""
    await turn.reprompt()


async def on_noop(turn: Turn, payload: Payload) -> None:
    """The page counter between the arrows: nothing to do."""


async def on_revoke(turn: Turn, payload: Payload) -> None:
    if turn.state.citizen_id is not None:
        await withdraw_consent(turn.p, citizen_id=turn.state.citizen_id)
    turn.state.consented = False
    turn.say(tx.CONSENT_REVOKED)
    from core.conversations.flows.onboarding import FLOW as ONBOARDING
    from core.conversations.flows.onboarding import ConsentStep
    await turn.goto(ONBOARDING, ConsentStep.name, data={})


async def ask_revoke(turn: Turn) -> None:
    turn.say(tx.REVOKE_ASK, buttons=[turn.global_button(tx.REVOKE_YES, "revoke", row=0),
                                     turn.global_button(tx.REVOKE_NO, "stay", row=0)])


STEPS: tuple[Step, ...] = (MainStep(),)
GLOBAL: dict[str, GlobalHandler] = {
    "menu": on_menu, "help": on_help, "noop": on_noop, "revoke": on_revoke, "stay": on_stay}
