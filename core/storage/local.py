"""Local-disk file storage, content-addressed so a retried upload stores one file."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

from core.ports import StoredFile
from core.storage.images import EXTENSIONS


class LocalFileStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"bad file key {key!r}")
        return self.root / key

    async def save(self, data: bytes, *, content_type: str) -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        ext = EXTENSIONS.get(content_type, "bin")
        key = f"{digest[:2]}/{digest[2:4]}/{digest}.{ext}"
        path = self.root / key
        await asyncio.to_thread(self._write_atomically, path, data)
        return StoredFile(key=key, content_type=content_type, size=len(data))

    @staticmethod
    def _write_atomically(path: Path, data: bytes) -> None:
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    async def load(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)
