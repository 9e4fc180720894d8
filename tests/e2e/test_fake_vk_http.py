"""The fake VK API's HTTP edges, exercised with vkbottle: uploads and file downloads,
injected faults, the rate limit, tokens and the Callback API."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import ClientSession, web
from vkbottle import API, DocMessagesUploader, PhotoMessageUploader, VKAPIError
from vkbottle.api.request_rescheduler import BlockingRequestRescheduler
from vkbottle_types.events.bot_events import MessageNew

from tests.e2e import fake_vk_fixtures
from tests.e2e.fake_server import bot_endpoint
from tests.e2e.fake_vk import FakeVk
from tests.e2e.fake_vk_fixtures import JPEG, TOKEN, make_api, send

# The fixtures these tests request (pytest finds fixtures among a module's names).
vk, api = fake_vk_fixtures.vk, fake_vk_fixtures.api


# --------------------------------------------------------------------------- uploads and files


async def test_upload_flow_through_vkbottle_uploaders(api: API, vk: FakeVk) -> None:
    photo = await PhotoMessageUploader(api).upload(JPEG, peer_id=1001)
    doc = await DocMessagesUploader(api).upload(b"%PDF-1.4 report", peer_id=1001,
                                                title="отчёт.pdf")
    await send(api, 1001, "Вложения", attachment=f"{photo},{doc}")

    assert photo.startswith(f"photo-{vk.group_id}_") and photo.count("_") == 2
    assert doc.startswith(f"doc-{vk.group_id}_")
    assert vk.photos_to(1001) == [JPEG]
    [stored] = vk.docs_to(1001)
    assert (stored.title, stored.ext, stored.data) == ("отчёт.pdf", "pdf", b"%PDF-1.4 report")
    assert vk.uploads == 2
    methods = [call.method for call in vk.calls]
    assert methods[:2] == ["photos.getMessagesUploadServer", "photos.saveMessagesPhoto"]
    saved = vk.calls[1].result[0]
    largest = max(saved["sizes"], key=lambda size: size["width"])
    async with ClientSession() as http, http.get(largest["url"]) as response:
        assert await response.read() == JPEG
    with pytest.raises(VKAPIError[100]):
        await send(api, 1001, "чужой ключ", attachment=photo.rsplit("_", 1)[0] + "_bad")
    with pytest.raises(VKAPIError[121]):
        await api.request("photos.saveMessagesPhoto", {**json.loads(json.dumps(
            vk.calls[1].params)), "hash": "0" * 32})


async def test_citizen_attachments_validate_and_download(vk: FakeVk) -> None:
    ivan = vk.user(1001)
    events = [ivan.send_photo(JPEG, caption="Яма"), ivan.send_photos([JPEG, b"second"]),
              ivan.send_doc(b"%PDF-1.4", "жалоба.pdf", "pdf"), ivan.send_location(55.03, 82.92),
              ivan.send_sticker(), ivan.send_voice()]
    photo, album, doc, geo, sticker, voice = [
        MessageNew.model_validate(event).object.message for event in events]

    assert photo is not None and photo.text == "Яма" and photo.attachments
    sizes = photo.attachments[0].photo.sizes  # type: ignore[union-attr]
    assert [size.type.value for size in sizes or []] == ["s", "m", "x", "w"]
    assert album is not None and len(album.attachments or []) == 2
    assert doc is not None and doc.attachments and doc.attachments[0].doc is not None
    assert (doc.attachments[0].doc.title, doc.attachments[0].doc.type) == ("жалоба.pdf", 1)
    assert geo is not None and geo.geo is not None and geo.geo.coordinates is not None
    assert geo.geo.coordinates.latitude == 55.03 and geo.text == ""
    assert sticker is not None and sticker.attachments and sticker.attachments[0].sticker
    assert voice is not None and voice.attachments and voice.attachments[0].audio_message
    cmids = [m.conversation_message_id for m in (photo, album, doc, geo, sticker, voice) if m]
    assert cmids == [1, 2, 3, 4, 5, 6]
    async with ClientSession() as http:
        async with http.get(str(sizes[-1].url)) as response:  # type: ignore[index]
            assert await response.read() == JPEG
        async with http.get(str(doc.attachments[0].doc.url)) as response:
            assert await response.read() == b"%PDF-1.4"
        async with http.get(f"{vk.base_url}/files/nothing.jpg") as response:
            assert response.status == 404
    assert len(vk.downloads) == 2

# --------------------------------------------------------------------------- faults


async def test_fail_next(api: API, vk: FakeVk) -> None:
    vk.fail_next("messages.send", 9)
    vk.fail_next("messages.send", 10, error_msg="Internal server error: try later")
    with pytest.raises(VKAPIError[9], match="Flood control"):
        await send(api, 1, "первая попытка")
    with pytest.raises(VKAPIError[10], match="try later"):
        await send(api, 1, "вторая попытка")
    await send(api, 1, "третья попытка")
    assert vk.texts_to(1) == ["третья попытка"]
    failed = await vk.wait_for(lambda call: call.error_code == 9, include_failed=True)
    assert failed.text == "первая попытка"


async def test_rate_limit(api: API, vk: FakeVk) -> None:
    vk.rps_limit = 3
    answers = await asyncio.gather(*(send(api, 1, f"№{n}") for n in range(5)),
                                   return_exceptions=True)
    refused = [a for a in answers if isinstance(a, VKAPIError)]
    assert len(refused) == 2 and all(a.code == 6 for a in refused)
    assert vk.too_many == 2
    vk.rps_limit = None
    await asyncio.gather(*(send(api, 1, f"без лимита {n}") for n in range(30)))


async def test_fail_with_status_is_a_proxy_error(vk: FakeVk) -> None:
    api = make_api(vk, request_rescheduler=BlockingRequestRescheduler(delay=0))
    try:
        vk.fail_with_status("messages.send")
        # vkbottle reschedules a non-JSON answer and gets through on the retry.
        assert await send(api, 1, "через nginx") > 0
    finally:
        await api.http_client.close()
    assert [call.status for call in vk.calls] == [502, 200]
    assert vk.texts_to(1) == ["через nginx"]


async def test_wrong_token_unknown_method_and_missing_version(vk: FakeVk, api: API) -> None:
    stranger = make_api(vk, token="vk1.a.wrong")
    try:
        with pytest.raises(VKAPIError[5]):
            await stranger.groups.get_by_id()
    finally:
        await stranger.http_client.close()
    assert vk.calls == [] and vk.unauthorized_requests == 1
    with pytest.raises(VKAPIError[3]):
        await api.request("messages.pin", {"peer_id": 1})
    assert [call.method for call in vk.unknown_calls] == ["messages.pin"]
    async with ClientSession() as http, http.post(
            f"{vk.api_url}/users.get", params={"access_token": TOKEN},
            data={"user_ids": "1"}) as response:
        body = await response.json()
    assert response.status == 200 and body["error"]["error_code"] == 8
    assert {"key": "user_ids", "value": "1"} in body["error"]["request_params"]


# --------------------------------------------------------------------------- Callback API


async def test_callback_api_helpers(vk: FakeVk) -> None:
    received: list[dict[str, Any]] = []

    async def endpoint(request: web.Request) -> web.Response:
        event = await request.json()
        received.append(event)
        if event["type"] == "confirmation":
            return web.Response(text="c0nf1rm")
        if event.get("secret") != "s3cret":
            return web.Response(status=403, text="forbidden")
        return web.Response(text="ok")

    async with bot_endpoint("/vk", endpoint) as url:
        assert await vk.post_callback(url, vk.confirmation_event()) == (200, "c0nf1rm")
        assert received[0] == {"type": "confirmation", "group_id": vk.group_id}
        event = vk.user(1001).send_text("через callback")
        assert vk.pending_events() == [event]
        assert await vk.post_callback(url, event, "wrong") == (403, "forbidden")
        assert await vk.push_events(url, "s3cret") == [(200, "ok")]
        assert received[-1] == {**event, "secret": "s3cret"}
        assert vk.pending_events() == []
