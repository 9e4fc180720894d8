"""The VK channel port over real HTTP: delivered once, flood control retried with backoff, a
citizen who forbade messages marked (and unmarked when they allow them again), attachments
through the upload servers, and many notifications within the community's rate."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from bots.vk.api import create_api
from bots.vk.sender import VkSender
from core.db import tables as t
from core.domain.enums import Channel
from core.notifications.worker import ChannelRegistry, deliver_once
from core.ports import FixedClock
from core.services.citizens import set_reachable
from core.services.platform import Platform
from core.services.records import CitizenRef
from tests.e2e.fake_vk import FakeVk
from tests.support import factories as f
from tests.support.dialog import JPEG, walk_to_answered

TOKEN = "vk1.a.SENDER"
USER = 4242


@pytest.fixture
async def registry(platform: Platform) -> AsyncIterator[tuple[FakeVk, ChannelRegistry]]:
    async with FakeVk(token=TOKEN) as vk:
        vk.user(USER)
        settings = platform.settings.model_copy(update={
            "vk_api_url": vk.api_url, "vk_token": SecretStr(TOKEN)})
        api = create_api(settings)
        sender = VkSender(api, platform.files)
        try:
            yield vk, ChannelRegistry([sender])
        finally:
            await sender.close()
            await api.close()


async def _file(platform: Platform, user: int = USER) -> int:
    msg = await f.file_message(platform, citizen=CitizenRef(Channel.VK, str(user)))
    return msg.number


async def _rows(platform: Platform) -> list[t.OutboxRow]:
    async with platform.db.sessions() as session:
        return list((await session.scalars(select(t.OutboxRow).order_by(t.OutboxRow.id))).all())


async def test_delivers_once_with_open_button(platform: Platform,
                                              registry: tuple[FakeVk, ChannelRegistry]) -> None:
    vk, channels = registry
    number = await _file(platform)
    assert (await deliver_once(platform, channels)).sent == 1
    call = await vk.wait_for_text(USER, f"№ {number} зарегистрировано")
    assert [b["action"]["label"] for b in call.buttons] == ["Открыть сообщение"]
    assert call.keyboard_data is not None and call.keyboard_data["inline"] is True
    [row] = await _rows(platform)
    assert row.status == "sent"
    # The worker died before recording the send: the retry reaches VK with the same
    # random_id and the citizen does not get it twice.
    async with platform.db.transaction() as session:
        await session.execute(update(t.OutboxRow).values(status="pending", sent_at=None))
    assert (await deliver_once(platform, channels)).sent == 1
    assert vk.deduplicated == 1
    assert sum(f"№ {number}" in x for x in vk.texts_to(USER)) == 1


async def test_flood_control_is_retried_with_backoff(
        platform: Platform, registry: tuple[FakeVk, ChannelRegistry], clock: FixedClock
) -> None:
    vk, channels = registry
    await _file(platform)
    vk.fail_next("messages.send", error_code=9)
    assert (await deliver_once(platform, channels)).retried == 1
    [row] = await _rows(platform)
    assert row.status == "pending" and "VK 9" in (row.last_error or "")
    assert (row.next_attempt_at - clock.now()).total_seconds() >= 30
    clock.advance(seconds=31)
    assert (await deliver_once(platform, channels)).sent == 1


async def test_internal_errors_are_retried(platform: Platform,
                                           registry: tuple[FakeVk, ChannelRegistry],
                                           clock: FixedClock) -> None:
    vk, channels = registry
    await _file(platform)
    vk.fail_next("messages.send", error_code=10)
    assert (await deliver_once(platform, channels)).retried == 1
    clock.advance(hours=1)
    vk.fail_with_status("messages.send", status=502)
    assert (await deliver_once(platform, channels)).retried == 1
    clock.advance(hours=1)
    assert (await deliver_once(platform, channels)).sent == 1


async def test_forbidden_messages_mark_the_citizen_until_allowed(
        platform: Platform, registry: tuple[FakeVk, ChannelRegistry], clock: FixedClock
) -> None:
    vk, channels = registry
    await _file(platform)
    vk.forbid(USER)
    assert (await deliver_once(platform, channels)).dead == 1
    async with platform.db.sessions() as session:
        identity = (await session.scalars(select(t.CitizenIdentity))).one()
    assert identity.unreachable_since == clock.now()
    # message_allow: the bot clears the mark and later notifications go out again.
    vk.permit(USER)
    assert await set_reachable(platform, channel=Channel.VK, external_id=str(USER),
                               reachable=True)
    await _file(platform)
    assert (await deliver_once(platform, channels)).sent == 1


async def test_an_answer_brings_its_attachments(platform: Platform,
                                                registry: tuple[FakeVk, ChannelRegistry]
                                                ) -> None:
    vk, channels = registry
    msg = await f.file_message(platform, citizen=CitizenRef(Channel.VK, str(USER)))
    photo = await platform.files.save(JPEG, content_type="image/jpeg")
    pdf_bytes = b"%PDF-1.4\n%%EOF\n"
    pdf = await platform.files.save(pdf_bytes, content_type="application/pdf")
    await walk_to_answered(platform, msg.id, "Яму заделали, фото и акт во вложении.",
                           (photo.key, pdf.key))
    while (await deliver_once(platform, channels)).sent:
        pass
    answer = await vk.wait_for_text(USER, "Яму заделали")
    assert [b["action"]["label"] for b in answer.buttons][:5] == ["1", "2", "3", "4", "5"]
    assert vk.photos_to(USER) == [JPEG]
    assert [d.data for d in vk.docs_to(USER)] == [pdf_bytes]


async def test_many_notifications_keep_the_rate(platform: Platform,
                                                registry: tuple[FakeVk, ChannelRegistry]
                                                ) -> None:
    vk, channels = registry
    for user in range(5000, 5060):
        vk.user(user)
        await _file(platform, user)
    assert (await deliver_once(platform, channels)).sent == 60
    assert vk.too_many == 0
    assert sum(1 for call in vk.calls if call.method == "messages.send") == 60
