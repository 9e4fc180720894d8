"""What the bot benchmarks share: a throw-away database, citizens who file messages, the
saturated and the paced phases, and the report. A channel's script (bench.telegram, bench.vk)
brings its fake API, its bot process and what it reports besides."""

from __future__ import annotations

import asyncio
import gc
import os
import random
import statistics
import sys
import time
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from tempfile import mkdtemp
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from bench.postgres import ADMIN_URL, admin
from core.db.migrate import upgrade
from core.services.platform import build_platform
from core.services.seed import seed_demo
from core.settings import Settings

TEXT = "Глубокая яма на проезжей части у дома, машины выезжают на встречную полосу."


class Citizen(Protocol):
    """A scripted citizen of either fake messenger API."""

    id: int

    def send_text(self, text: str) -> Any: ...

    def press(self, button: str) -> Any: ...


class Chats:
    """Replies per chat, so thousands of waiting citizens cost nothing while they wait.
    ``reply`` turns a recorded API call into (chat id, text) when it is a reply."""

    def __init__(self, reply: Callable[[Any], tuple[int, str] | None]) -> None:
        self.reply = reply
        self.waiters: dict[int, list[tuple[str, asyncio.Future[None]]]] = defaultdict(list)

    def on_call(self, call: Any) -> None:
        said = self.reply(call)
        if said is None:
            return
        chat_id, text = said
        pending = self.waiters.get(chat_id) or []
        for item in list(pending):
            needle, future = item
            if needle in text and not future.done():
                future.set_result(None)
                pending.remove(item)

    def expect(self, chat_id: int, needle: str) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters[chat_id].append((needle, future))
        return future


async def step(chats: Chats, citizen: Citizen, action: tuple[str, str], needle: str,
               latencies: list[float]) -> float:
    kind, value = action
    reply = chats.expect(citizen.id, needle)
    started = time.perf_counter()
    if kind == "text":
        citizen.send_text(value)
    else:
        citizen.press(value)
    await asyncio.wait_for(reply, 30)
    latencies.append(time.perf_counter() - started)
    return latencies[-1]


JOURNEY = [
    (("text", "/menu"), "Главное меню"),
    (("press", "📝 Сообщить о проблеме"), "Выберите тему"),
    (("text", "яма"), "Нашлось по запросу"),
    (("press", "Ямы и выбоины на дороге"), "Опишите проблему"),
    (("text", TEXT), "Пришлите фото"),
    (("press", "Без фото ➡️"), "Где находится"),
    (("text", "Новосибирск, ул. Ленина, 15"), "Проверьте сообщение"),
    (("press", "✅ Отправить"), "зарегистрировано"),
]
ONBOARDING = [
    (("text", "/start"), "согласие на обработку"),
    (("press", "✅ Согласен"), "Как к вам обращаться"),
    (("press", "Пропустить"), "Оставьте номер"),
    (("text", "Пропустить"), "Главное меню"),
]


async def citizen_run(chats: Chats, citizen: Citizen, steps: list[tuple[tuple[str, str], str]],
                      latencies: list[float]) -> None:
    for action, needle in steps:
        await step(chats, citizen, action, needle, latencies)


async def spread(chats: Chats, people: list[Citizen]) -> dict[int, int]:
    """Move citizen i (i mod 8) steps into the journey, untimed, so that the timed load mixes
    the steps as real traffic does instead of sending them in waves (every citizen at the
    menu, then every citizen sending at once)."""
    ahead = {c.id: i % len(JOURNEY) for i, c in enumerate(people)}
    await asyncio.gather(*(citizen_run(chats, c, JOURNEY[:ahead[c.id]], [])
                           for c in people))
    return ahead


async def paced_run(chats: Chats, people: list[Citizen], ahead: dict[int, int], *,
                    rate: float, seconds: float, latencies: list[float],
                    by_step: dict[str, list[float]]) -> int:
    """Open-loop arrivals: the bot's speed does not slow the offered load down. Returns how
    many arrivals found every citizen still waiting for a reply (then the load is not met)."""
    idle = deque(random.sample(people, len(people)))  # the longest idle goes next: mix them
    position: dict[int, int] = defaultdict(int, ahead)
    running: set[asyncio.Task[None]] = set()
    missed = 0

    async def one(citizen: Citizen) -> None:
        action, needle = JOURNEY[position[citizen.id] % len(JOURNEY)]
        position[citizen.id] += 1
        by_step[needle].append(await step(chats, citizen, action, needle, latencies))
        idle.append(citizen)

    loop = asyncio.get_running_loop()
    start = next_at = loop.time()
    while next_at < start + seconds:
        next_at += random.expovariate(rate)
        await asyncio.sleep(max(0.0, next_at - loop.time()))
        if not idle:
            missed += 1
            continue
        task = asyncio.create_task(one(idle.popleft()))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    return missed


def percentiles(latencies: list[float]) -> str:
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return (f"p50 {pct(0.50):.1f}  p95 {pct(0.95):.1f}  p99 {pct(0.99):.1f}  "
            f"mean {statistics.fmean(latencies) * 1000:.1f}")


def report(title: str, latencies: list[float], elapsed: float) -> None:
    print(f"{title}: {len(latencies)} events in {elapsed:.2f} s "
          f"= {len(latencies) / elapsed:.0f} events/s; reply latency ms: "
          f"{percentiles(latencies)}")


def quiet_harness() -> None:
    """No garbage collection in this process while a phase is timed: the fake Bot API keeps
    every call, and a full pass over them stalled it for 150-500 ms, which the figures
    would have charged to the bot."""
    gc.enable()
    gc.collect()
    gc.freeze()
    gc.disable()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@asynccontextmanager
async def seeded_database(prefix: str) -> AsyncIterator[tuple[str, Path]]:
    """A new PostgreSQL database with the demo region, and a data directory; dropped after."""
    name = f"pos_bench_{prefix}_{uuid.uuid4().hex[:8]}"
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    data = Path(mkdtemp(prefix=f"bench{prefix}"))
    await admin(f'CREATE DATABASE "{name}"')
    try:
        await upgrade(url)
        p = build_platform(Settings(environment="test", database_url=url, data_dir=data,
                                    _env_file=None))  # type: ignore[call-arg]
        await seed_demo(p)
        await p.close()
        yield url, data
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bot_env(url: str, data: Path, **settings: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("POS_")} | {
        "POS_ENVIRONMENT": "test", "POS_DATABASE_URL": url, "POS_DATA_DIR": str(data),
        "POS_DATABASE_POOL_SIZE": "30", "POS_BOT_FLOOD_BURST": "1000", **settings}


@asynccontextmanager
async def bot_process(args: list[str], env: dict[str, str], log: Path, *, pin: bool
                      ) -> AsyncIterator[asyncio.subprocess.Process]:
    with open(log, "wb") as handle:  # noqa: ASYNC230 - one local file
        bot = await asyncio.create_subprocess_exec(sys.executable, "-m", "pos", *args,
                                                   env=env, stdout=handle, stderr=handle)
    if pin:  # the bot is single-threaded: give it a core of its own, the harness the other
        os.sched_setaffinity(bot.pid, {0})
        os.sched_setaffinity(0, {1})
    try:
        yield bot
    finally:
        if bot.returncode is None:
            bot.terminate()
            await bot.wait()


async def measure(chats: Chats, people: list[Any], bot_pid: int, *, citizens: int,
                  journeys: int, rate: int, seconds: float) -> None:
    """Onboard everyone (untimed), then the saturated and the paced phases, reported."""
    warm: list[float] = []
    await asyncio.gather(*(citizen_run(chats, c, ONBOARDING, warm) for c in people))
    print(f"onboarded {len(people)} citizens ({len(warm)} events, untimed)")

    latencies: list[float] = []
    quiet_harness()
    started = time.perf_counter()
    await asyncio.gather(*(citizen_run(chats, c, JOURNEY * journeys, latencies)
                           for c in people[:citizens]))
    report(f"saturated, {citizens} citizens at once", latencies,
           time.perf_counter() - started)

    paced: list[float] = []
    by_step: dict[str, list[float]] = defaultdict(list)
    ahead = await spread(chats, people)
    quiet_harness()
    started, cpu = time.perf_counter(), cpu_seconds(bot_pid)
    missed = await paced_run(chats, people, ahead, rate=rate, seconds=seconds,
                             latencies=paced, by_step=by_step)
    report(f"offered {rate} events/s at random for {seconds:.0f} s "
           f"({len(people)} citizens, {missed} arrivals found nobody idle)",
           paced, time.perf_counter() - started)
    used = cpu_seconds(bot_pid) - cpu
    print(f"  bot process CPU: {used:.1f} s = {used / (time.perf_counter() - started):.0%}"
          f" of a core, {used / len(paced) * 1000:.2f} ms per event")
    for needle, values in by_step.items():
        print(f"  reply «{needle}»: {percentiles(values)}")


def arguments(doc: str, **extra: tuple[type, Any, str]) -> Any:
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--journeys", type=int, default=2)
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=20.0)
    for name, (kind, default, help_text) in extra.items():
        parser.add_argument(f"--{name}", type=kind, default=default, help=help_text)
    parser.add_argument("--pin", action="store_true",
                        help="pin the bot to core 0 and this harness (the fake API) to core 1")
    return parser.parse_args()


def run(main: Any) -> None:
    """uvloop here too: the fake API shares the machine's two cores with the bot and
    PostgreSQL, and what it burns is taken from them."""
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)
