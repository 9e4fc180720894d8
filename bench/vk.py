"""VK bot throughput and reply latency through the whole stack: one real `pos bot vk`
process, on the Bots Long Poll API of a local fake VK API over HTTP, PostgreSQL behind.

    .venv/bin/python -m bench.vk [--citizens 200] [--journeys 2] [--rate 300] [--seconds 20]
                                 [--rps 20] [--tokens 1] [--pin]

The bot keeps VK's rate for a community token (``--rps``, 20 requests a second, which the
fake enforces with VK's error 6) with each of the community's ``--tokens`` access keys:
replies that wait for a request slot leave together in one ``execute``. The report gives the
calls per HTTP request that took.

Each simulated citizen (already onboarded, as after their first visit) files messages the way
people do: menu, "report a problem", a search by word, a topic, the text, no photos, an
address, send — 8 events per message. Two runs:

* throughput: every citizen sends the next update as soon as the previous reply arrives, so
  the bot is saturated; reported as updates handled per second;
* latency at a given load: updates arrive at random (a Poisson process) at ``--rate`` per
  second for ``--seconds``, each from the citizen who has been idle longest, who takes the
  next step of their journey; reported as the reply latency from the moment an update is
  queued at the VK API to the moment the bot's answer reaches it (p50/p95/p99), overall and
  per step.

Uses POS_BENCH_POSTGRES_URL (default: the local server's `test` database as admin) to create a
throw-away database, and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import sys
import time
import uuid
from collections import defaultdict, deque
from pathlib import Path
from tempfile import mkdtemp

import uvloop
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from core.db.migrate import upgrade
from core.services.platform import build_platform
from core.services.seed import seed_demo
from core.settings import Settings
from tests.e2e.fake_vk import Call, Citizen, FakeVk

ADMIN_URL = os.environ.get("POS_BENCH_POSTGRES_URL",
                           "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
TOKEN = "vk1.a.BENCH-TOKEN"
GROUP = 220_000_009
TEXT = "Глубокая яма на проезжей части у дома, машины выезжают на встречную полосу."


class Chats:
    """Replies per chat, so thousands of waiting citizens cost nothing while they wait."""

    def __init__(self) -> None:
        self.waiters: dict[int, list[tuple[str, asyncio.Future[Call]]]] = defaultdict(list)

    def on_call(self, call: Call) -> None:
        if call.method not in ("messages.send", "messages.edit") or not call.ok:
            return
        pending = self.waiters.get(call.peer_id or 0) or []
        for item in list(pending):
            needle, future = item
            if needle in (call.text or "") and not future.done():
                future.set_result(call)
                pending.remove(item)

    def expect(self, chat_id: int, needle: str) -> asyncio.Future[Call]:
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
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
    """No garbage collection in this process while a phase is timed: the fake VK API keeps
    every call, and a full pass over them stalled it for 150-500 ms, which the figures
    would have charged to the bot."""
    gc.enable()
    gc.collect()
    gc.freeze()
    gc.disable()


async def _admin(sql: str) -> None:
    engine = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def main(citizens: int, journeys: int, rate: int, seconds: float, *, rps: int,
               tokens: int, pin: bool) -> None:
    name = f"pos_bench_vk_{uuid.uuid4().hex[:8]}"
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    data = Path(mkdtemp(prefix="benchvk"))
    await _admin(f'CREATE DATABASE "{name}"')
    bot: asyncio.subprocess.Process | None = None
    try:
        await upgrade(url)
        p = build_platform(Settings(environment="test", database_url=url, data_dir=data,
                                    _env_file=None))  # type: ignore[call-arg]
        await seed_demo(p)
        await p.close()
        keys = [f"{TOKEN}-{i}" for i in range(tokens)]
        async with FakeVk(token=keys, group_id=GROUP, rps_limit=rps) as vk:
            chats = Chats()
            vk.on_call = chats.on_call
            env = {k: v for k, v in os.environ.items() if not k.startswith("POS_")} | {
                "POS_ENVIRONMENT": "test", "POS_DATABASE_URL": url, "POS_DATA_DIR": str(data),
                "POS_VK_TOKEN": ",".join(keys), "POS_VK_GROUP_ID": str(GROUP),
                "POS_VK_API_URL": vk.api_url, "POS_VK_FILE_HOSTS": '["127.0.0.1"]',
                "POS_VK_REQUESTS_PER_SECOND": str(rps),
                "POS_DATABASE_POOL_SIZE": "30", "POS_BOT_FLOOD_BURST": "1000"}
            log = open(data / "bot.log", "wb")  # noqa: ASYNC230, SIM115 - one local file
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "pos", "bot", "vk", env=env, stdout=log,
                stderr=log)
            if pin:  # the bot is single-threaded: give it a core of its own, the harness the other
                os.sched_setaffinity(bot.pid, {0})
                os.sched_setaffinity(0, {1})
            await vk.wait_for(lambda call: call.method == "groups.getLongPollServer",
                              timeout=60)
            people = [vk.user(10_000 + i, first_name="Житель")
                      for i in range(max(citizens, rate * 2))]
            warm: list[float] = []
            await asyncio.gather(*(citizen_run(chats, c, ONBOARDING, warm) for c in people))
            print(f"onboarded {len(people)} citizens ({len(warm)} updates, untimed)")

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
            started, cpu = time.perf_counter(), cpu_seconds(bot.pid)
            missed = await paced_run(chats, people, ahead, rate=rate, seconds=seconds,
                                     latencies=paced, by_step=by_step)
            report(f"offered {rate} events/s at random for {seconds:.0f} s "
                   f"({len(people)} citizens, {missed} arrivals found nobody idle)",
                   paced, time.perf_counter() - started)
            used = cpu_seconds(bot.pid) - cpu
            print(f"  bot process CPU: {used:.1f} s = {used / (time.perf_counter() - started):.0%}"
                  f" of a core, {used / len(paced) * 1000:.2f} ms per event")
            for needle, values in by_step.items():
                print(f"  reply «{needle}»: {percentiles(values)}")
            requests = [c for c in vk.calls if not c.via_execute]
            inner = sum(1 for c in vk.calls if c.via_execute)
            executes = sum(1 for c in requests if c.method == "execute")
            print(f"  VK API: {len(requests)} HTTP requests ({executes} execute carrying "
                  f"{inner} calls), {vk.too_many} answered «too many requests»")
    finally:
        if bot is not None and bot.returncode is None:
            bot.terminate()
            await bot.wait()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--journeys", type=int, default=2)
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rps", type=int, default=20,
                        help="API requests a second the fake allows and the bot keeps to")
    parser.add_argument("--tokens", type=int, default=1,
                        help="access keys of the community the bot uses in turn")
    parser.add_argument("--pin", action="store_true",
                        help="pin the bot to core 0 and this harness (fake VK API) to core 1")
    args = parser.parse_args()
    # uvloop here too: the fake VK API shares the machine's two cores with the bot and
    # PostgreSQL, and what it burns is taken from them.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main(args.citizens, args.journeys, args.rate, args.seconds, rps=args.rps,
                        tokens=args.tokens, pin=args.pin))
