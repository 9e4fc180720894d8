"""The models and the Alembic migrations describe the same schema on every backend."""

from core.db.migrate import schema_diff, upgrade


async def test_models_and_migrations_agree(fresh_url: str) -> None:
    assert await schema_diff(fresh_url) == []


async def test_upgrade_is_idempotent(fresh_url: str) -> None:
    await upgrade(fresh_url)
    assert await schema_diff(fresh_url) == []
