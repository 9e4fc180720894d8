"""Onboarding: what the bot is for, consent to personal-data processing, name and phone."""

from __future__ import annotations

from core.conversations import texts as tx
from core.conversations.events import Event
from core.conversations.flows.common import GlobalHandler
from core.conversations.replies import Request
from core.conversations.turn import Step, Turn
from core.domain.errors import ValidationError
from core.services.citizens import record_consent, update_contacts

FLOW = "onboarding"
NAME_MAX = 100
NAME_MARKS = frozenset(" .'-’")


def valid_name(name: str) -> bool:
    """Letters of any alphabet (Russia's peoples write Tatar, Bashkir, Yakut names), with
    spaces, dots, hyphens and apostrophes between them."""
    return (0 < len(name) <= NAME_MAX and name[0].isalpha()
            and all(ch.isalpha() or ch in NAME_MARKS for ch in name))
SKIP_WORDS = {"пропустить", "пропуск", "нет", "skip"}


async def start(turn: Turn) -> None:
    """/start, or the first word someone ever writes to the bot."""
    turn.say(tx.GREETING.format(region=turn.region_name))
    if turn.state.consented:
        from core.conversations.flows.menu import show_menu
        await show_menu(turn)
    else:
        await turn.goto(FLOW, ConsentStep.name, data={})


class ConsentStep(Step):
    flow, name, expects = FLOW, "consent", tx.CONSENT_EXPECTED

    async def enter(self, turn: Turn) -> None:
        turn.say(tx.CONSENT_ASK, buttons=[
            turn.button(tx.AGREE, "agree", row=0), turn.button(tx.DECLINE, "decline", row=0),
            turn.button(tx.DETAILS, "details", row=1)])

    async def on_button(self, turn: Turn, action: str, args: tuple[str, ...]) -> None:
        match action:
            case "agree":
                turn.state.citizen_id = await record_consent(turn.p, citizen=turn.citizen)
                turn.state.consented = True
                turn.say(tx.CONSENT_THANKS)
                await turn.goto(FLOW, NameStep.name)
            case "decline":
                turn.say(tx.CONSENT_DECLINED, buttons=[turn.button(tx.AGREE, "agree")])
            case "details":
                turn.say(tx.CONSENT_DETAILS)
                await self.enter(turn)
            case _:
                await self.unexpected(turn)


class NameStep(Step):
    flow, name = FLOW, "name"

    async def enter(self, turn: Turn) -> None:
        buttons = []
        shown = (turn.user.display_name or "").strip()
        if shown and valid_name(shown):
            buttons.append(turn.button(shown[:40], "use", row=0))
        buttons.append(turn.button(tx.SKIP, "skip", row=0))
        turn.say(tx.ASK_NAME, buttons=buttons)

    async def on_text(self, turn: Turn, text: str) -> None:
        name = " ".join(text.split())
        if name.lower() in SKIP_WORDS:
            await turn.goto(FLOW, PhoneStep.name)
            return
        if not valid_name(name):
            turn.say(tx.NAME_BAD)
            return
        await self._save(turn, name)

    async def on_button(self, turn: Turn, action: str, args: tuple[str, ...]) -> None:
        if action == "use" and turn.user.display_name:
            await self._save(turn, turn.user.display_name.strip()[:100])
        elif action == "skip":
            await turn.goto(FLOW, PhoneStep.name)
        else:
            await self.unexpected(turn)

    async def _save(self, turn: Turn, name: str) -> None:
        assert turn.state.citizen_id is not None
        await update_contacts(turn.p, citizen_id=turn.state.citizen_id, name=name)
        await turn.goto(FLOW, PhoneStep.name)


class PhoneStep(Step):
    flow, name = FLOW, "phone"

    async def enter(self, turn: Turn) -> None:
        if turn.limits.request_contact:
            turn.say(tx.ASK_PHONE, request=Request.CONTACT, request_label=tx.SEND_PHONE,
                     keyboard_texts=(tx.SKIP,))
        else:
            turn.say(tx.ASK_PHONE_TYPED, buttons=[turn.button(tx.SKIP, "skip")])

    async def on_button(self, turn: Turn, action: str, args: tuple[str, ...]) -> None:
        if action == "skip":
            await self._finish(turn)
        else:
            await self.unexpected(turn)

    async def on_contact(self, turn: Turn, event: Event) -> None:
        if not event.contact_is_own or not event.phone:
            turn.say(tx.PHONE_NOT_OWN)
            return
        await self._save(turn, event.phone)

    async def on_text(self, turn: Turn, text: str) -> None:
        if text.strip().lower() in SKIP_WORDS:
            await self._finish(turn)
            return
        await self._save(turn, text)

    async def _save(self, turn: Turn, phone: str) -> None:
        assert turn.state.citizen_id is not None
        try:
            await update_contacts(turn.p, citizen_id=turn.state.citizen_id, phone=phone)
        except ValidationError:
            turn.say(tx.PHONE_BAD)
            return
        turn.say(tx.PHONE_SAVED)
        await self._finish(turn)

    async def _finish(self, turn: Turn) -> None:
        from core.conversations.flows.menu import show_menu
        await show_menu(turn)


STEPS: tuple[Step, ...] = (ConsentStep(), NameStep(), PhoneStep())
GLOBAL: dict[str, GlobalHandler] = {}
