"""Helpers and fixtures of the fake VK API's own tests (``test_fake_vk*.py``), which use
vkbottle itself as the client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from vkbottle import API, Callback, Keyboard, KeyboardButtonColor
from vkbottle.http import AiohttpClient

from tests.e2e.fake_vk import FakeVk

TOKEN = "vk1.a.test-token"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"
YES_NO = (Keyboard(inline=True)
          .add(Callback("Да", payload={"answer": "yes"}), color=KeyboardButtonColor.POSITIVE)
          .add(Callback("Нет", payload={"answer": "no"}), color=KeyboardButtonColor.NEGATIVE)
          .get_json())


def make_api(vk: FakeVk, token: str = TOKEN, **kwargs: Any) -> API:
    api = API(token, http_client=AiohttpClient(), **kwargs)
    api.API_URL = vk.api_url + "/"
    return api


@pytest.fixture
async def vk() -> AsyncIterator[FakeVk]:
    async with FakeVk(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def api(vk: FakeVk) -> AsyncIterator[API]:
    api = make_api(vk)
    yield api
    await api.http_client.close()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """BotPolling saves its ts under ./.vkbottle: keep that out of the repository."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def send(api: API, peer_id: int, text: str, **params: Any) -> int:
    message_id: int = await api.messages.send(
        peer_id=peer_id, random_id=params.pop("random_id", 0), message=text, **params)
    return message_id


def vkscript(*calls: tuple[str, dict[str, Any]]) -> str:
    """The code the bot sends to ``execute``."""
    return "return [" + ",".join(f"API.{method}({json.dumps(params, ensure_ascii=False)})"
                                 for method, params in calls) + "];"


async def poll(http: ClientSession, server: dict[str, Any], ts: str | int, wait: int = 0,
               key: str | None = None) -> dict[str, Any]:
    params = {"act": "a_check", "key": key or server["key"], "ts": str(ts), "wait": str(wait)}
    async with http.post(server["server"], params=params) as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body

