"""What every service needs, built once at the entry point and passed down."""

from __future__ import annotations

from dataclasses import dataclass

from core.db.database import Database
from core.ports import Clock, FileStorage, SystemClock
from core.services.directory import DirectoryCache
from core.settings import Settings
from core.storage.local import LocalFileStorage


@dataclass
class Platform:
    settings: Settings
    db: Database
    clock: Clock
    files: FileStorage
    directory: DirectoryCache

    async def close(self) -> None:
        await self.db.dispose()


def build_platform(
    settings: Settings,
    *,
    clock: Clock | None = None,
    files: FileStorage | None = None,
    directory_ttl: float = 30.0,
) -> Platform:
    db = Database(settings.database_url, pool_size=settings.database_pool_size,
                  echo=settings.database_echo)
    return Platform(
        settings=settings,
        db=db,
        clock=clock or SystemClock(),
        files=files or LocalFileStorage(settings.files_dir),
        directory=DirectoryCache(db, ttl=directory_ttl),
    )
