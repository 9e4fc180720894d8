"""What the fake Telegram Bot API and the fake VK API share: the ``aiohttp.web`` server on a
free port of ``host`` in the test's own event loop, the log of the calls the bot made (with
the cursor :meth:`FakeServer.wait_for` keeps), the signal that wakes waiters, and the JSON
helpers of their records. Everything runs on one event loop; nothing here is thread-safe."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar, cast

import orjson
from aiohttp import ClientSession, ClientTimeout, web

_T = TypeVar("_T")


class RecordedCall(Protocol):
    """What the call log needs of a fake's ``Call``."""

    @property
    def ok(self) -> bool: ...


CallT = TypeVar("CallT", bound=RecordedCall)


class Signal:
    """Wakes every coroutine waiting in :meth:`wait` when :meth:`fire` is called."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:  # noqa: ASYNC109
        """Wait for the next :meth:`fire`, at most ``timeout`` seconds (no error on timeout)."""
        event = self._event
        try:
            async with asyncio.timeout(max(timeout, 0.0)):
                await event.wait()
        except TimeoutError:
            pass


class FakeServer(Generic[CallT]):
    """The lifecycle and the call log of a fake API server.

    A subclass names itself (``server_name``, for error messages) and its API (``api_name``),
    adds its routes in :meth:`_add_routes`, wakes its long polls in :meth:`_release_waiters`
    and hands every call it answered to :meth:`_record`.
    """

    server_name: ClassVar[str]
    api_name: ClassVar[str]

    def __init__(self, host: str) -> None:
        self.host = host
        self.calls: list[CallT] = []
        self.on_call: Callable[[CallT], None] | None = None
        """A benchmark's cheap way to follow many peers at once (``wait_for`` scans)."""
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._client: ClientSession | None = None
        self._closing = False
        self._cursor = 0
        self._consumed: set[int] = set()
        self._calls_signal = Signal()

    # ---- lifecycle

    def _add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def _release_waiters(self) -> None:
        """Wake the long polls waiting for events, so that :meth:`stop` does not hang."""

    async def start(self) -> None:
        """Listen on ``host``, a free port; see :attr:`base_url`."""
        if self._runner is not None:
            raise RuntimeError(f"{self.server_name} is already running")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        self._add_routes(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, 0)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]
        self._closing = False

    async def stop(self) -> None:
        """Release waiting long polls, close the client that posts to the bot (webhook,
        Callback API) and stop listening."""
        self._closing = True
        self._release_waiters()
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"{self.server_name} is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>``: what the Telegram bot gets as ``POS_TELEGRAM_API_URL``
        (the VK bot gets :attr:`FakeVk.api_url`, this plus ``/method``)."""
        return f"http://{self.host}:{self.port}"

    def _http(self) -> ClientSession:
        """The client that posts to the bot, opened on first use and closed by :meth:`stop`."""
        if self._client is None or self._client.closed:
            self._client = ClientSession(timeout=ClientTimeout(total=30))
        return self._client

    # ---- the call log

    def _record(self, call: CallT) -> None:
        self.calls.append(call)
        self._calls_signal.fire()
        if self.on_call is not None:
            self.on_call(call)

    def _shown_calls(self, start: int) -> list[CallT]:
        """The calls a failed :meth:`wait_for` lists."""
        return self.calls[start:]

    def mark(self) -> int:
        """A cursor position: pass it as ``since=`` to look only at calls made after now."""
        return len(self.calls)

    async def wait_for(self, predicate: Callable[[CallT], bool],
                       timeout: float = 10.0, *, since: int | None = None,  # noqa: ASYNC109
                       include_failed: bool = False) -> CallT:
        """Wait for the first not-yet-consumed successful call matching ``predicate``.

        Searches from the cursor (just past the last call any ``wait_for`` returned) or from
        ``since`` (a :meth:`mark`), skips calls earlier ``wait_for``s consumed, and consumes
        the one it returns. Failed calls (fault injection, API errors) are skipped unless
        ``include_failed``. Raises ``AssertionError`` after ``timeout`` seconds.
        """
        start = self._cursor if since is None else since
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index in range(start, len(self.calls)):
                call = self.calls[index]
                if index in self._consumed or not (call.ok or include_failed):
                    continue
                if predicate(call):
                    self._consumed.add(index)
                    self._cursor = max(self._cursor, index + 1)
                    return call
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self._calls_signal.wait(remaining)
        raise AssertionError(f"no matching {self.api_name} call within {timeout} s; calls "
                             f"since position {start}: {self._shown_calls(start)!r}")


@contextlib.asynccontextmanager
async def bot_endpoint(path: str, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                       ) -> AsyncIterator[str]:
    """Serve ``handler`` for ``POST path`` on 127.0.0.1, a free port, in place of the bot's
    webhook or Callback API receiver; yields the URL to post to."""
    app = web.Application()
    app.router.add_post(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}{path}"
    finally:
        await runner.cleanup()


# --------------------------------------------------------------------------- JSON helpers


def clone(value: _T) -> _T:
    """A deep copy of JSON data (the fakes' records), through orjson: several times faster
    than ``copy.deepcopy``, which was a tenth of the fake's time under bench.telegram."""
    return cast(_T, orjson.loads(orjson.dumps(value)))


def json_response(body: Any, *, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status,
                        content_type="application/json")


def short(value: Any, limit: int = 60) -> str:
    """``repr`` cut to ``limit`` characters; bytes as their length (for a call's repr)."""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
