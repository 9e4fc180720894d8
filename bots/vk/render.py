"""Engine replies as VK messages: text with keyboards, photos and documents as attachments.

``random_id`` is derived from what is being answered (a VK event id, an outbox row), so a
reply sent again after a crash or a lost response is dropped by VK as a duplicate instead of
reaching the citizen twice.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from vkbottle import VKAPIError
from vkbottle.tools import DocMessagesUploader, PhotoMessageUploader

from bots.vk.calls import CallBatcher
from bots.vk.keyboards import Client, keyboard
from core.conversations.replies import Reply, chunks
from core.ports import FileStorage

log = logging.getLogger(__name__)
TEXT_LIMIT = 4096  # characters in one VK message
ATTACHMENT_LIMIT = 10


def random_id(seed: str, index: int) -> int:
    digest = hashlib.blake2b(f"{seed}#{index}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF


class Renderer:
    def __init__(self, calls: CallBatcher, files: FileStorage) -> None:
        self.calls = calls
        self.files = files
        self.photos = PhotoMessageUploader(calls.api)
        self.docs = DocMessagesUploader(calls.api)

    async def send(self, peer_id: int, replies: list[Reply], *, client: Client, seed: str,
                   pressed: int | None = None, strict: bool = False) -> None:
        """Send the replies in order. ``pressed`` is the conversation message id whose button
        was pressed (a paging reply edits it). ``strict``: a failed upload fails the send
        (a notification is retried) instead of sending the text alone.

        The messages leave as one group: one wait for a request slot, and in order."""
        sends: list[tuple[str, dict[str, Any]]] = []
        for i, reply in enumerate(replies):
            markup = keyboard(reply, client)
            parts = chunks(reply.text, TEXT_LIMIT)
            attachments = await self._attachments(peer_id, reply, strict=strict)
            if (i == 0 and reply.replace and pressed is not None and client.inline
                    and len(parts) == 1 and not attachments
                    and await self._edit(peer_id, pressed, parts[0], markup)):
                continue
            for j, part in enumerate(parts):
                params: dict[str, Any] = {"peer_id": peer_id,
                                          "random_id": random_id(seed, len(sends)),
                                          "message": part, "dont_parse_links": 1}
                if j == 0 and attachments:
                    params["attachment"] = ",".join(attachments)
                if j == len(parts) - 1 and markup is not None:
                    params["keyboard"] = markup
                sends.append(("messages.send", params))
        if sends:
            await self.calls.call_group(sends)

    async def _edit(self, peer_id: int, cmid: int, text: str, markup: str | None) -> bool:
        try:
            await self.calls.call("messages.edit", {
                "peer_id": peer_id, "conversation_message_id": cmid, "message": text,
                "keyboard": markup, "dont_parse_links": 1})
        except VKAPIError as error:  # too old to edit, or gone: send it anew
            log.debug("edit failed, sending anew: %s", error)
            return False
        return True

    async def _attachments(self, peer_id: int, reply: Reply, *, strict: bool) -> list[str]:
        found: list[str] = []
        try:
            for key in reply.media[:ATTACHMENT_LIMIT]:
                found.append(await self.photos.upload(await self.files.load(key),
                                                      peer_id=peer_id))
            for i, key in enumerate(reply.documents[:ATTACHMENT_LIMIT - len(found)], 1):
                found.append(await self.docs.upload(await self.files.load(key),
                                                    peer_id=peer_id, title=f"document{i}.pdf"))
        except Exception:
            if strict:
                raise
            log.warning("attachments to %s not uploaded; sending the text", peer_id,
                        exc_info=True)
            return []
        return found
