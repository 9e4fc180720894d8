"""An aiogram session tuned for a bot that mostly sends: JSON bodies, and echoes left unread.

Measured with py-spy under ``bench.telegram``:

* aiogram's ``AiohttpSession`` encodes every call as multipart form data, serialising nested
  values (keyboards) to JSON strings field by field. The Bot API accepts ``application/json``
  for any call that uploads nothing, so those go as one JSON body; uploads keep the
  multipart path.
* Every answer is validated into aiogram's models, and the echo of a sent message (its text,
  keyboard, sender and chat) was the largest single cost of a reply; building the call's own
  models (a dozen buttons) and dumping them again came next. The renderer never reads that
  echo, so :meth:`JsonSession.send` takes the call as the Bot API's JSON, checks that it
  succeeded and stops there; a failure still goes through aiogram's ``check_response`` and
  raises its usual exceptions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import orjson
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods.base import TelegramMethod, TelegramType
from aiohttp import ClientError

JSON_HEADERS = {"Content-Type": "application/json"}


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class JsonSession(AiohttpSession):
    def __init__(self, api: TelegramAPIServer) -> None:
        super().__init__(api=api, json_loads=orjson.loads, json_dumps=_dumps)

    def json_body(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The call as a JSON object, or None when it carries a file to upload."""
        files: dict[str, Any] = {}
        body: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None and prepared != "":  # what the form path leaves out too
                body[key] = prepared
        if files:
            return None
        return orjson.dumps(body)

    async def _post(self, bot: Bot, name: str, body: bytes, seconds: int | None,
                    call: Callable[[], TelegramMethod[Any]]) -> tuple[int, str]:
        """POST ``body`` to the API method ``name``; ``call`` names the call in an error."""
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=name)
        try:
            async with session.post(url, data=body, headers=JSON_HEADERS,
                                    timeout=self.timeout if seconds is None else seconds
                                    ) as resp:
                return resp.status, await resp.text()
        except TimeoutError as e:
            raise TelegramNetworkError(method=call(), message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=call(),
                                       message=f"{type(e).__name__}: {e}") from e

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType],
                           timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
                           ) -> TelegramType:
        body = self.json_body(bot, method)
        if body is None:
            return await super().make_request(bot, method, timeout)
        status, raw = await self._post(bot, method.__api_method__, body, timeout,
                                       lambda: method)
        response = self.check_response(bot=bot, method=method, status_code=status, content=raw)
        return cast(TelegramType, response.result)

    async def send(self, bot: Bot, method: type[TelegramMethod[Any]], params: dict[str, Any]
                   ) -> None:
        """Make a call given as the Bot API's JSON, for its effect only: no aiogram model is
        built unless the call fails (then to raise aiogram's usual exception)."""
        status, raw = await self._post(bot, method.__api_method__, orjson.dumps(params), None,
                                       lambda: method.model_construct(**params))
        if 200 <= status < 300:
            try:
                if orjson.loads(raw).get("ok") is True:
                    return
            except (orjson.JSONDecodeError, AttributeError):
                pass  # check_response names the problem
        self.check_response(bot=bot, method=method.model_validate(params), status_code=status,
                            content=raw)
