"""The real `pos` processes, started and stopped by end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

POS = [sys.executable, "-m", "pos"]
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pos_env(*, database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POS_")}
    env.update({"POS_ENVIRONMENT": "test", "POS_DATABASE_URL": database_url,
                "POS_DATA_DIR": str(data_dir), "POS_MESSAGE_MIN_LENGTH": "20",
                "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


class PosProcess:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with open(self.log, "ab") as handle:  # noqa: ASYNC230 - a local log file, once
            self.proc = await asyncio.create_subprocess_exec(
                *POS, *self.args, env=self.env, stdout=handle, stderr=handle, cwd=ROOT)

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:  # noqa: ASYNC109
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        return int(self.proc.returncode or 0)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None


@asynccontextmanager
async def pos_process(args: list[str], env: dict[str, str], log: Path
                      ) -> AsyncIterator[PosProcess]:
    process = PosProcess(args, env, log)
    await process.start()
    try:
        yield process
    finally:
        await process.stop()
