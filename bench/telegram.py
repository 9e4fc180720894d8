"""Telegram bot throughput and reply latency through the whole stack: one real
`pos bot telegram` process, long polling a local fake Bot API over HTTP, PostgreSQL behind.

    .venv/bin/python -m bench.telegram [--citizens 200] [--journeys 2] [--rate 300] [--seconds 20]
                                       [--pin]

Each simulated citizen (already onboarded, as after their first visit) files messages the way
people do: menu, "report a problem", a search by word, a topic, the text, no photos, an
address, send — 8 updates per message. Two runs:

* throughput: every citizen sends the next update as soon as the previous reply arrives, so
  the bot is saturated; reported as updates handled per second;
* latency at a given load: updates arrive at random (a Poisson process) at ``--rate`` per
  second for ``--seconds``, each from the citizen who has been idle longest, who takes the
  next step of their journey; reported as the reply latency from the moment an update is
  queued at the Bot API to the moment the bot's answer reaches it (p50/p95/p99), overall and
  per step.

Uses POS_BENCH_POSTGRES_URL (default: the local server's `test` database as admin) to create a
throw-away database, and drops it afterwards. The harness is bench.journeys.
"""

from __future__ import annotations

from bench.journeys import Chats, arguments, bot_env, bot_process, measure, run, seeded_database
from tests.e2e.fake_telegram import Call, FakeTelegram

TOKEN = "123456:BENCH-TOKEN"


def reply(call: Call) -> tuple[int, str] | None:
    if call.method in ("sendMessage", "editMessageText") and call.chat_id is not None:
        return call.chat_id, call.text or ""
    return None


async def main(citizens: int, journeys: int, rate: int, seconds: float, *, pin: bool) -> None:
    async with seeded_database("tg") as (url, data), FakeTelegram(token=TOKEN) as tg:
        chats = Chats(reply)
        tg.on_call = chats.on_call
        env = bot_env(url, data, POS_TELEGRAM_TOKEN=TOKEN, POS_TELEGRAM_API_URL=tg.base_url)
        async with bot_process(["bot", "telegram"], env, data / "bot.log", pin=pin) as bot:
            people = [tg.user(10_000 + i, first_name="Житель")
                      for i in range(max(citizens, rate * 2))]
            await measure(chats, people, bot.pid, citizens=citizens, journeys=journeys,
                          rate=rate, seconds=seconds)


if __name__ == "__main__":
    args = arguments(__doc__ or "")
    run(main(args.citizens, args.journeys, args.rate, args.seconds, pin=args.pin))
