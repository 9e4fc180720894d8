"""VK bot throughput and reply latency through the whole stack: one real `pos bot vk`
process, on the Bots Long Poll API of a local fake VK API over HTTP, PostgreSQL behind.

    .venv/bin/python -m bench.vk [--citizens 200] [--journeys 2] [--rate 300] [--seconds 20]
                                 [--rps 20] [--tokens 1] [--pin]

The journey, the phases and the report are those of bench.telegram (bench.journeys). The bot
keeps VK's rate for a community token (``--rps``, 20 requests a second, which the fake
enforces with VK's error 6) with each of the community's ``--tokens`` access keys: replies
that wait for a request slot leave together in one ``execute``. The report gives the calls
per HTTP request that took.
"""

from __future__ import annotations

from bench.journeys import Chats, arguments, bot_env, bot_process, measure, run, seeded_database
from tests.e2e.fake_vk import Call, FakeVk

TOKEN = "vk1.a.BENCH-TOKEN"
GROUP = 220_000_009


def reply(call: Call) -> tuple[int, str] | None:
    if call.method in ("messages.send", "messages.edit") and call.ok and call.peer_id:
        return call.peer_id, call.text or ""
    return None


async def main(citizens: int, journeys: int, rate: int, seconds: float, *, rps: int,
               tokens: int, pin: bool) -> None:
    keys = [f"{TOKEN}-{i}" for i in range(tokens)]
    async with (seeded_database("vk") as (url, data),
                FakeVk(token=keys, group_id=GROUP, rps_limit=rps) as vk):
        chats = Chats(reply)
        vk.on_call = chats.on_call
        env = bot_env(url, data, POS_VK_TOKEN=",".join(keys), POS_VK_GROUP_ID=str(GROUP),
                      POS_VK_API_URL=vk.api_url, POS_VK_FILE_HOSTS='["127.0.0.1"]',
                      POS_VK_REQUESTS_PER_SECOND=str(rps))
        async with bot_process(["bot", "vk"], env, data / "bot.log", pin=pin) as bot:
            # The long poll starts from the next event: write once the bot listens.
            await vk.wait_for(lambda call: call.method == "groups.getLongPollServer",
                              timeout=60)
            people = [vk.user(10_000 + i, first_name="Житель")
                      for i in range(max(citizens, rate * 2))]
            await measure(chats, people, bot.pid, citizens=citizens, journeys=journeys,
                          rate=rate, seconds=seconds)
        requests = [c for c in vk.calls if not c.via_execute]
        inner = sum(1 for c in vk.calls if c.via_execute)
        executes = sum(1 for c in requests if c.method == "execute")
        print(f"  VK API: {len(requests)} HTTP requests ({executes} execute carrying "
              f"{inner} calls), {vk.too_many} answered «too many requests»")


if __name__ == "__main__":
    args = arguments(__doc__ or "", rps=(int, 20, "API requests a second the fake allows "
                                                  "per key and the bot keeps to"),
                     tokens=(int, 1, "access keys of the community the bot uses in turn"))
    run(main(args.citizens, args.journeys, args.rate, args.seconds, rps=args.rps,
             tokens=args.tokens, pin=args.pin))
