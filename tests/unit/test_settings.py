"""Settings refuse unsafe production configurations and read POS_ variables."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import DEV_SECRET, Settings

PG = "postgresql+asyncpg://pos@db/pos"


def test_defaults_are_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("POS_DATABASE_URL", "POS_ENVIRONMENT", "POS_SECRET_KEY"):
        monkeypatch.delenv(key, raising=False)
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert s.environment == "development"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POS_DATABASE_URL", PG)
    monkeypatch.setenv("POS_MAX_PHOTOS", "3")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (s.database_url, s.max_photos) == (PG, 3)


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="POS_SECRET_KEY"):
        Settings(environment="production", database_url=PG, secret_key=DEV_SECRET,
                 _env_file=None)  # type: ignore[call-arg]


def test_production_refuses_sqlite() -> None:
    with pytest.raises(ValidationError, match="PostgreSQL"):
        Settings(environment="production", secret_key="x" * 40,
                 _env_file=None)  # type: ignore[call-arg]


def test_production_with_postgres_and_a_secret() -> None:
    s = Settings(environment="production", database_url=PG, secret_key="x" * 40,
                 _env_file=None)  # type: ignore[call-arg]
    assert s.environment == "production"
