"""The flows lay their lists out for VK's small inline keyboards (10 buttons, 6 rows) and every
topic stays reachable; the Talker checks each reply against the channel's limits."""

from __future__ import annotations

from core.conversations import texts as tx
from core.conversations.catalogue import catalogue
from core.conversations.limits import VK
from core.domain.enums import Channel
from core.services.platform import Platform
from tests.support.dialog import Talker, labels


async def vk_citizen(p: Platform) -> Talker:
    talker = Talker(p, channel=Channel.VK)
    await talker.say("/start")
    await talker.press("Согласен")
    await talker.press("Пропустить")
    assert tx.ASK_PHONE_TYPED in talker.text  # no contact button in VK: the number is typed
    assert all(r.request is None for r in talker.last)
    await talker.say("8 (913) 123-45-67")
    assert "Номер сохранён" in talker.text
    return talker


async def test_every_category_and_subcategory_is_reachable_on_vk(platform: Platform) -> None:
    cat = catalogue(await platform.directory.get())
    talker = await vk_citizen(platform)
    await talker.press("Сообщить о проблеме")
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        assert len(talker.buttons()) <= VK.max_buttons
        seen += [label for label in labels(talker.last)
                 if not label.startswith(("⚡", "◀", "▶", "✖")) and "/" not in label
                 and label != tx.CANCEL]
        if "▶️" not in labels(talker.last):
            break
        await talker.press("▶️")
    assert len(seen) == len(set(seen)) == len(cat.categories)
    assert pages > 4  # more pages than Telegram's four

    # The largest category's subcategories, page by page.
    biggest = max(cat.categories, key=lambda c: len(cat.subcategories[c.id]))
    await talker.press("◀️")
    while not any(biggest.name[:20] in b.label for b in talker.buttons()):
        await talker.press("◀️" if "◀️" in labels(talker.last) else "▶️")
    await talker.press(biggest.name[:20])
    subs: list[str] = []
    while True:
        subs += [b.label for b in talker.buttons()
                 if b.payload.split("|")[1] == "sub"]
        if "▶️" not in labels(talker.last):
            break
        await talker.press("▶️")
    assert len(subs) == len(cat.subcategories[biggest.id]) > VK.max_buttons


async def test_search_results_fit_vk(platform: Platform) -> None:
    talker = await vk_citizen(platform)
    await talker.press("Сообщить о проблеме")
    await talker.say("дорога")
    assert tx.SEARCH_FOUND.split("{")[0] in talker.text
    assert len(talker.buttons()) <= VK.max_rows
