"""Rating an answer from 1 to 5, then an optional comment. 1–2 sends it to re-review."""

from __future__ import annotations

from core.conversations import texts as tx
from core.conversations.flows.common import GlobalHandler
from core.conversations.payloads import Payload
from core.conversations.turn import Step, Turn
from core.domain.errors import ConflictError, IllegalTransition, NotFound, ValidationError
from core.services.actions import rate_answer
from core.services.citizen_messages import (
    COMMENT_MAX_LENGTH,
    citizen_message_card,
    comment_rating,
)

FLOW = "rating"
LOW = 2


async def on_rate(turn: Turn, payload: Payload) -> None:
    number, score = payload.int_arg(0), payload.int_arg(1)
    assert turn.state.citizen_id is not None
    if number is None or score is None:
        turn.say(tx.UNKNOWN_BUTTON)
        await turn.reprompt()
        return
    try:
        await rate_answer(turn.p, citizen_id=turn.state.citizen_id, number=number, score=score)
    except NotFound:
        turn.say(tx.CARD_NOT_FOUND)
        return
    except (IllegalTransition, ConflictError):
        card = None
        if turn.attempt:  # handled again after a conflict: our own first try may have rated
            card = await citizen_message_card(turn.p, citizen_id=turn.state.citizen_id,
                                              number=number)
        if card is None or card.rating != score:
            turn.say(tx.RATE_CLOSED)
            return
        # The same rating already stands: this is the dialog handling the press again after
        # another update of this citizen saved first.
    except ValidationError as error:
        turn.say(error.message)
        return
    turn.say((tx.RATE_LOW if score <= LOW else tx.RATE_THANKS).format(score=score, number=number))
    # Come back to whatever the citizen was doing (a half-written message, say) afterwards.
    resume = {"flow": turn.state.flow, "step": turn.state.step, "data": turn.state.data}
    if turn.state.flow == FLOW:
        resume = turn.data.get("resume", {})
    await turn.goto(FLOW, CommentStep.name, data={"number": number, "resume": resume})


class CommentStep(Step):
    flow, name = FLOW, "comment"

    async def enter(self, turn: Turn) -> None:
        turn.say(tx.ASK_COMMENT, buttons=[turn.button(tx.NO_COMMENT, "skip")])

    async def on_text(self, turn: Turn, text: str) -> None:
        assert turn.state.citizen_id is not None
        if len(text.strip()) > COMMENT_MAX_LENGTH or not text.strip():
            turn.say(tx.COMMENT_BAD.format(max=COMMENT_MAX_LENGTH))
            return
        saved = await comment_rating(turn.p, citizen_id=turn.state.citizen_id,
                                     number=int(turn.data["number"]), comment=text)
        turn.say(tx.COMMENT_SAVED if saved else tx.COMMENT_TOO_LATE)
        await resume(turn)

    async def on_button(self, turn: Turn, action: str, args: tuple[str, ...]) -> None:
        if action == "skip":
            await resume(turn)
        else:
            await self.unexpected(turn)


async def resume(turn: Turn) -> None:
    back = turn.data.get("resume") or {}
    flow, step = str(back.get("flow", "")), str(back.get("step", ""))
    if (flow, step) not in turn.steps or flow == FLOW:
        from core.conversations.flows.menu import show_menu
        await show_menu(turn)
        return
    await turn.goto(flow, step, data=back.get("data") or {})


STEPS: tuple[Step, ...] = (CommentStep(),)
GLOBAL: dict[str, GlobalHandler] = {"rate": on_rate}
