"""Replies within VK's rate limit: calls that queue up go out together in one ``execute``.

A community token may make 20 requests a second, and a busy bot answers hundreds of people a
second. ``execute`` runs up to 25 API calls in one request, so calls are queued, and whenever
a request slot is free everything waiting (up to 25) leaves in one. Under a light load a call
leaves alone and at once; under a heavy one the batches grow and the rate holds. This is how
vk-io's ``parallel_selected`` mode sends ``messages.send``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from vkbottle import VKAPIError

from bots.vk.api import VkApi

log = logging.getLogger(__name__)
EXECUTE_LIMIT = 25  # API calls in one execute
CLOSE_TIMEOUT = 10.0  # seconds to send what is queued when stopping
# Calls execute can carry: the ones every reply makes. Uploads and saves go alone.
BATCHED = frozenset({"messages.send", "messages.edit", "messages.sendMessageEventAnswer",
                     "users.get"})


@dataclass(slots=True)
class _Call:
    method: str
    params: dict[str, Any]
    done: asyncio.Future[Any] = field(default_factory=lambda: (
        asyncio.get_running_loop().create_future()))


def execute_code(calls: list[_Call]) -> str:
    """VKScript that makes the calls in order and returns their results as one array."""
    parts = [f"API.{c.method}({json.dumps(c.params, ensure_ascii=False)})" for c in calls]
    return "return [" + ",".join(parts) + "];"


class CallBatcher:
    def __init__(self, api: VkApi, *, max_batch: int = EXECUTE_LIMIT) -> None:
        self.api = api
        self.max_batch = max_batch
        # Groups of calls that leave in one request, in order (one reply's messages).
        self._queue: asyncio.Queue[list[_Call]] = asyncio.Queue()
        self._held: list[_Call] | None = None  # a group that did not fit the last batch
        self._pump: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._closed = False
        self.requests = 0  # HTTP requests made, for the bench's ratio of calls to requests
        self.calls = 0

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """The call's ``response``; raises vkbottle's ``VKAPIError`` with VK's code."""
        if method not in BATCHED:
            return (await self.api.request(method, params))["response"]
        [result] = await self.call_group([(method, params)])
        return result

    async def call_group(self, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
        """Calls that leave together in one request, in this order (the messages of one
        reply): one wait for a slot instead of one each, and no reordering between them.
        Raises the first call's error; the calls before it were made."""
        if self._closed:
            raise RuntimeError("the VK client is closed")
        if len(calls) > self.max_batch or any(m not in BATCHED for m, _ in calls):
            return [await self.call(m, p) for m, p in calls]  # pragma: no cover - rare
        self._ensure_pump()
        group = [_Call(m, {k: v for k, v in p.items() if v is not None}) for m, p in calls]
        self._queue.put_nowait(group)
        results = await asyncio.gather(*(item.done for item in group), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results

    def _ensure_pump(self) -> None:
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._run(), name="vk-call-batcher")

    async def _run(self) -> None:
        while True:
            first = self._held or await self._queue.get()
            self._held = None
            token = await self.api.pacer.acquire()  # meanwhile more calls queue up
            batch = list(first)
            self._queue.task_done()
            while not self._queue.empty():
                group = self._queue.get_nowait()
                if len(batch) + len(group) > self.max_batch:
                    self._held = group  # its task_done when it leaves, in the next batch
                    break
                batch += group
                self._queue.task_done()
            task = asyncio.create_task(self._send(token, batch))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _send(self, token: str, batch: list[_Call]) -> None:
        self.requests += 1
        self.calls += len(batch)
        try:
            if len(batch) == 1:
                call = batch[0]
                response = await self.api.request_with(token, call.method, call.params)
                _resolve(call, response["response"])
                return
            response = await self.api.request_with(token, "execute", {"code": execute_code(batch)})
            results = response.get("response")
            errors = list(response.get("execute_errors") or [])
            if not isinstance(results, list) or len(results) != len(batch):
                raise VKAPIError[1](error_msg=f"execute returned {results!r}")
            for call, result in zip(batch, results, strict=True):
                if result is False:
                    error = errors.pop(0) if errors else {}
                    code = int(error.get("error_code", 1))
                    _fail(call, VKAPIError[code](
                        error_msg=str(error.get("error_msg", "execute call failed"))))
                else:
                    _resolve(call, result)
        except Exception as error:  # the whole request failed: every call in it did
            for call in batch:
                _fail(call, error)

    async def close(self) -> None:
        """Send what is queued, then stop; a call made after this fails."""
        self._closed = True
        if self._pump is not None and not self._pump.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), CLOSE_TIMEOUT)
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        leftovers = [*(self._held or [])]
        while not self._queue.empty():
            leftovers += self._queue.get_nowait()
        for call in leftovers:
            _fail(call, RuntimeError("the VK client is closed"))


def _resolve(call: _Call, result: Any) -> None:
    if not call.done.done():  # the caller may have been cancelled meanwhile
        call.done.set_result(result)


def _fail(call: _Call, error: BaseException) -> None:
    if not call.done.done():
        call.done.set_exception(error)

