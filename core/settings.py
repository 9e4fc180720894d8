"""Settings, read once at the entry point (``POS_`` environment variables or ``.env``)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-insecure-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POS_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./var/pos.sqlite3"
    redis_url: str | None = None
    data_dir: Path = Path("./var")
    secret_key: str = DEV_SECRET
    # Connections per pool. On PostgreSQL a process has two pools, SQLAlchemy's and asyncpg's
    # own for the hottest single statements (core.db.database), so up to twice this many.
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_echo: bool = False

    # Files citizens attach.
    max_photo_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_photos: int = Field(default=5, ge=1, le=20)
    # Past messages the demo seed walks through the workflow (for reports and archives).
    demo_history_messages: int = Field(default=150, ge=0, le=5000)

    # Message text limits («одно сообщение — одна проблема»).
    message_min_length: int = Field(default=20, ge=1)
    message_max_length: int = Field(default=4000, ge=100)

    # Outbox delivery.
    outbox_batch_size: int = Field(default=100, ge=1)
    outbox_max_attempts: int = Field(default=12, ge=1)
    outbox_poll_seconds: float = Field(default=2.0, gt=0)

    # Telegram bot. The API address may point at any Bot API-compatible server (a self-hosted
    # telegram-bot-api, or the tests' fake).
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    # Webhook mode (`pos bot telegram --webhook`): the public https address Telegram posts to,
    # and the secret Telegram sends back in a header (derived from secret_key when unset).
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_polling_concurrency: int = Field(default=200, ge=1)
    # VK community bot. The API address may point at the tests' fake. Several access keys of
    # the community, comma-separated, multiply the requests a second VK allows.
    vk_token: SecretStr | None = None
    vk_group_id: int | None = Field(default=None, ge=1)
    vk_api_url: str = "https://api.vk.com/method"
    # Callback API (`pos bot vk --callback`, or the web app when set): the code VK asks the
    # server to return when the address is added, and the secret it sends with every event.
    vk_confirmation_code: str | None = None
    vk_callback_secret: SecretStr | None = None
    # API requests a second per community token (VK allows 20) in this process; replies
    # waiting for a slot go out together in one `execute` of up to 25 calls.
    vk_requests_per_second: float = Field(default=20, gt=0)
    vk_polling_concurrency: int = Field(default=200, ge=1)
    # Hosts citizens' photos are downloaded from (and their subdomains): VK's file servers.
    vk_file_hosts: tuple[str, ...] = ("userapi.com", "vk.com", "vk.ru", "vkuser.net",
                                      "vk-cdn.net", "mycdn.me")
    # Per-citizen flood limit: a burst of this many updates, refilled at the rate per second.
    bot_flood_burst: int = Field(default=20, ge=1)
    bot_flood_rate: float = Field(default=2.0, gt=0)

    # The HTTP server (webhooks now; the web admin and public API later).
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)

    # Staff sign-in to the web admin.
    admin_session_hours: float = Field(default=12, gt=0)  # a session ends this long after sign-in
    admin_idle_minutes: float = Field(default=60, gt=0)  # ... or after this long unused
    login_max_failures: int = Field(default=5, ge=1)  # wrong passwords in a row before a lock
    login_lockout_minutes: float = Field(default=15, gt=0)
    # Send the session cookie over HTTPS only. Unset: on in production, off otherwise (`pos up`
    # serves plain http on localhost).
    admin_cookie_secure: bool | None = None

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
    def cookie_secure(self) -> bool:
        if self.admin_cookie_secure is not None:
            return self.admin_cookie_secure
        return self.environment == "production"

    @property
    def webhook_secret(self) -> str:
        """Telegram allows 1–256 characters of A–Z, a–z, 0–9, _ and -."""
        if self.telegram_webhook_secret is not None:
            return self.telegram_webhook_secret.get_secret_value()
        digest = hashlib.sha256(f"telegram-webhook|{self.secret_key}".encode()).hexdigest()
        return digest[:48]

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"
