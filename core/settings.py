"""Settings, read once at the entry point (``POS_`` environment variables or ``.env``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-insecure-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POS_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./var/pos.sqlite3"
    redis_url: str | None = None
    data_dir: Path = Path("./var")
    secret_key: str = DEV_SECRET
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_echo: bool = False

    # Files citizens attach.
    max_photo_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_photos: int = Field(default=5, ge=1, le=20)

    # Message text limits («одно сообщение — одна проблема»).
    message_min_length: int = Field(default=20, ge=1)
    message_max_length: int = Field(default=4000, ge=100)

    # Outbox delivery.
    outbox_batch_size: int = Field(default=100, ge=1)
    outbox_max_attempts: int = Field(default=12, ge=1)
    outbox_poll_seconds: float = Field(default=2.0, gt=0)

    # The consent text version citizens accept (see docs/consent.md).
    consent_version: str = "2026-01"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("POS_SECRET_KEY must be set in production")
        if self.environment == "production" and self.database_url.startswith("sqlite"):
            raise ValueError("production needs PostgreSQL: set POS_DATABASE_URL")
        return self

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"
