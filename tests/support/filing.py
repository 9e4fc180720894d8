"""Shared steps of the filing tests on the conversation engine."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from core.conversations import texts as tx
from core.services.platform import Platform
from tests.support.dialog import (
    NSK_ADDRESS,
    PROBLEM,
    Talker,
    conversation,
)

NSK_TZ = ZoneInfo("Asia/Novosibirsk")
NSK_CENTRE, BERDSK, MOSCOW = (55.0302, 82.9204), (54.7582, 83.1071), (55.75, 37.62)
ASK_TEXT = tx.ASK_TEXT.format(min=20, max=4000)
ASK_PHOTOS = tx.ASK_PHOTOS.format(max=5)
NOT_AN_IMAGE = "Это не изображение: пришлите фото в формате JPEG, PNG или WebP"


async def ready(p: Platform) -> Talker:
    """A citizen who consented and sees the main menu."""
    talker = Talker(p)
    await talker.onboard()
    return talker


async def draft(p: Platform, talker: Talker) -> dict:
    conv = await conversation(p, talker)
    assert conv is not None
    return conv.data


async def where(p: Platform, talker: Talker) -> tuple[str, str]:
    conv = await conversation(p, talker)
    assert conv is not None
    return conv.flow, conv.step


async def slug_id(p: Platform, slug: str) -> int:
    return (await p.directory.get()).subcategory_by_slug[slug]


async def reach(talker: Talker, step: str) -> None:
    """From the main menu to a step of the filing flow."""
    await talker.press("Сообщить о проблеме")
    if step == "category":
        return
    await talker.say("яма")
    await talker.press("Ямы и выбоины на дороге")
    if step == "text":
        return
    await talker.say(PROBLEM)
    if step == "photos":
        return
    await talker.press("Без фото")
    if step == "address":
        return
    await talker.say(NSK_ADDRESS)


