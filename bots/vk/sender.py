"""The VK channel port for the outbox: a notification as a message with buttons."""

from __future__ import annotations

import aiohttp
from vkbottle import VKAPIError

from bots.vk.api import VkApi, VkUnavailable
from bots.vk.calls import CallBatcher
from bots.vk.keyboards import Client
from bots.vk.render import Renderer
from core.conversations.notices import notice_reply
from core.domain.enums import Channel
from core.ports import DeliveryError, FileStorage, Notification

# VK's answers that mean the person will not take our messages until they allow them again
# (message_allow clears the mark): no permission, privacy settings, a deleted or banned page.
GONE = frozenset({18, 901, 902})
# Too many requests / flood control: VK gives no time to wait, so wait a while.
FLOOD = {6: 1.0, 9: 30.0}


class VkSender:
    channel = Channel.VK.value

    def __init__(self, api: VkApi, files: FileStorage) -> None:
        self.calls = CallBatcher(api)
        self.renderer = Renderer(self.calls, files)

    async def send(self, notification: Notification) -> None:
        reply = notice_reply(notification.kind, notification.payload)
        try:
            # Notifications go out with inline callback buttons: VK's apps have shown them
            # since 2020, and who wrote last from what client is not known here.
            await self.renderer.send(int(notification.recipient), [reply], client=Client(),
                                     seed=f"outbox:{notification.outbox_id}", strict=True)
        except VKAPIError as error:
            text = f"VK {error.code}: {error.error_msg}"
            if error.code in GONE:
                raise DeliveryError(text, permanent=True) from error
            raise DeliveryError(text, retry_after=FLOOD.get(error.code)) from error
        except (TimeoutError, aiohttp.ClientError, VkUnavailable) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error

    async def close(self) -> None:
        await self.calls.close()
