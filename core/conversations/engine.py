"""The conversation engine: one citizen event in, the replies out, the dialog state saved.

``handle`` is all a channel adapter calls. Updates of one citizen are handled one at a time in
a process; across processes the dialog's version decides, and the loser handles its update
again on the fresh state. An update id seen before is ignored, so a redelivered update (after
a crash, or a webhook retry) changes nothing and says nothing.
"""

from __future__ import annotations

import logging

from core.conversations import payloads, store
from core.conversations import texts as tx
from core.conversations.events import ChannelUser, Event, EventKind
from core.conversations.flows import (
    BEFORE_CONSENT,
    GLOBAL,
    STEPS,
    file_message,
    menu,
    onboarding,
    rating,
)
from core.conversations.guards import KeyedLocks
from core.conversations.limits import LIMITS
from core.conversations.replies import Reply
from core.conversations.turn import Turn
from core.domain.enums import Channel, Source
from core.domain.errors import ConflictError
from core.services.platform import Platform

log = logging.getLogger(__name__)
ATTEMPTS = 5

CONSENT_STEP = (onboarding.FLOW, onboarding.ConsentStep.name)
CHANNEL_SOURCE = {Channel.TELEGRAM: Source.TELEGRAM, Channel.VK: Source.VK}


class Conversations:
    def __init__(self, p: Platform, *, channel: Channel) -> None:
        self.p = p
        self.channel = channel
        self.source = CHANNEL_SOURCE[channel]
        self.limits = LIMITS[channel]
        self._lock = KeyedLocks()

    async def handle(self, user: ChannelUser, event: Event, *, update_id: str | None = None
                     ) -> list[Reply] | None:
        """The replies to send, or None when the update was handled before."""
        if user.channel is not self.channel:
            raise ValueError(f"{user.channel} user given to the {self.channel} engine")
        async with self._lock(user.external_id):
            for attempt in range(ATTEMPTS):
                state = await store.load(self.p.db, channel=self.channel.value,
                                         external_id=user.external_id, update_id=update_id)
                if state is None:
                    return None
                turn = Turn(self.p, await self.p.directory.get(), user, self.source, state,
                            event, STEPS, attempt=attempt, limits=self.limits)
                await dispatch(turn)
                replies = turn.finish()
                saved = await store.save(
                    self.p.db, turn.state, channel=self.channel.value,
                    external_id=user.external_id, update_id=update_id, now=self.p.clock.now())
                if saved is store.Saved.DUPLICATE:
                    return None
                if saved is store.Saved.OK:
                    return replies
                log.info("dialog %s:%s changed meanwhile; handling again", self.channel.value,
                         user.external_id)
        raise ConflictError("Диалог меняется слишком часто — повторите через минуту")


async def dispatch(turn: Turn) -> None:
    event, state = turn.event, turn.state
    if state.id is None and event.kind is not EventKind.BUTTON:
        await onboarding.start(turn)  # the first thing anyone sends: say hello
        return
    if event.kind is EventKind.COMMAND:
        await command(turn, event.command)
        return
    if event.kind is EventKind.BUTTON:
        await button(turn, event.payload)
        return
    if event.kind is EventKind.TEXT and state.consented and tx.asks_to_revoke(event.text):
        await menu.ask_revoke(turn)
        return
    if await _needs_consent(turn):
        return
    if (state.flow, state.step) not in STEPS:  # a step removed in a newer version
        await menu.show_menu(turn)
        return
    step = turn.current
    match event.kind:
        case EventKind.TEXT:
            await step.on_text(turn, event.text)
        case EventKind.PHOTO:
            await step.on_photo(turn, event)
        case EventKind.LOCATION:
            assert event.latitude is not None
            assert event.longitude is not None
            await step.on_location(turn, event.latitude, event.longitude)
        case EventKind.CONTACT:
            await step.on_contact(turn, event)
        case _:
            turn.say(tx.UNSUPPORTED)
            await step.unexpected(turn)


async def command(turn: Turn, name: str) -> None:
    consented = turn.state.consented
    match name:
        case "start":
            await onboarding.start(turn)
        case "menu":
            if consented:
                await menu.show_menu(turn)
            else:
                await onboarding.start(turn)
        case "cancel":
            if turn.state.flow == rating.FLOW:  # the rating is given; only the comment is not
                await rating.resume(turn)
            elif turn.state.flow == file_message.FLOW:
                turn.say(tx.CANCELLED)
                await menu.show_menu(turn)
            elif consented:
                turn.say(tx.NOTHING_TO_CANCEL)
                await menu.show_menu(turn)
            else:
                await turn.reprompt()
        case "help":
            turn.say(tx.HELP)
            await _reprompt(turn)
        case "link":  # /link 1234 5678: a code from the other messenger
            from core.conversations.flows import linking
            await linking.on_command(turn)
        case "unlink":  # undo a link: the account that joined leaves
            from core.conversations.flows import linking
            await linking.on_unlink(turn)
        case _:
            turn.say(tx.UNKNOWN_COMMAND)
            await _reprompt(turn)


async def _reprompt(turn: Turn) -> None:
    if (turn.state.flow, turn.state.step) in STEPS:
        await turn.reprompt()
    else:
        await menu.show_menu(turn)


async def button(turn: Turn, raw: str) -> None:
    payload = payloads.decode(raw)
    if payload is None:
        turn.say(tx.UNKNOWN_BUTTON)
        await _reprompt(turn)
        return
    if payload.is_global:
        handler = GLOBAL.get(payload.action)
        if handler is None:
            turn.say(tx.UNKNOWN_BUTTON)
            await _reprompt(turn)
        elif not turn.state.consented and payload.action not in BEFORE_CONSENT:
            turn.say(tx.NEED_CONSENT)
            await turn.goto(onboarding.FLOW, onboarding.ConsentStep.name, data={})
        else:
            await handler(turn, payload)
        return
    if turn.state.id is None or int(payload.scope) != turn.state.generation:
        turn.say(tx.STALE)
        await _reprompt(turn)
        return
    if await _needs_consent(turn):
        return
    await turn.current.on_button(turn, payload.action, payload.args)


async def _needs_consent(turn: Turn) -> bool:
    """Consent can be withdrawn in another channel or by an operator at any moment: every
    step but the consent question itself needs it."""
    state = turn.state
    if state.consented or (state.flow, state.step) == CONSENT_STEP:
        return False
    turn.say(tx.NEED_CONSENT)
    await turn.goto(onboarding.FLOW, onboarding.ConsentStep.name, data={})
    return True
