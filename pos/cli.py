"""`pos` — the operators' command line. Keep commands and output stable: scripts depend on them."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import yaml

from core.domain.enums import Role
from core.domain.errors import DomainError
from core.settings import Settings
from pos.wiring import platform

app = typer.Typer(help="ПОС — платформа обратной связи", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="База данных", no_args_is_help=True)
seed_app = typer.Typer(help="Начальные данные", no_args_is_help=True)
staff_app = typer.Typer(help="Сотрудники", no_args_is_help=True)
messages_app = typer.Typer(help="Сообщения", no_args_is_help=True)
classifier_app = typer.Typer(help="Классификатор", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(seed_app, name="seed")
app.add_typer(staff_app, name="staff")
app.add_typer(messages_app, name="messages")
app.add_typer(classifier_app, name="classifier")

T = TypeVar("T")


def _settings() -> Settings:
    return Settings()


def _run(coro: Awaitable[T]) -> T:
    try:
        # uvloop where installed: the bots and the worker spend their time in network I/O.
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            return runner.run(coro)  # type: ignore[arg-type]
    except DomainError as exc:
        typer.echo(f"Ошибка: {exc.message}", err=True)
        raise typer.Exit(2) from None


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return None
    return uvloop.new_event_loop


def _logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    # A line per handled update is noise at scale; failures are still logged as errors.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations up to the latest revision."""
    from core.db.migrate import upgrade

    settings = _settings()
    _run(upgrade(settings.database_url))
    typer.echo("База данных обновлена до последней версии схемы.")


@seed_app.command("demo")
def seed_demo() -> None:
    """Load the classifier, a demo region (30+ organisations) and one account of every role."""
    from core.services.demo_history import create_demo_history
    from core.services.demo_messages import create_demo_messages
    from core.services.seed import seed_demo as run_seed

    async def go() -> None:
        async with platform(_settings()) as p:
            report = await run_seed(p)
            created = await create_demo_history(
                p, messages=p.settings.demo_history_messages) + await create_demo_messages(p)
        typer.echo(f"Загружено: территорий {report.territories}, организаций "
                   f"{report.organisations}, правил маршрутизации {report.routing_rules}, "
                   f"автоправил {report.auto_rules}, категорий {report.categories}, "
                   f"подкатегорий {report.subcategories}, демо-сообщений {created}.")
        _print_logins(report.logins)

    _run(go())


def _print_logins(logins: list[tuple[str, str, str, str]]) -> None:
    typer.echo("Учётные записи (только для демонстрации):")
    for login, password, role, org in logins:
        typer.echo(f"  {login:<14} {password:<22} {role:<12} {org}")


@staff_app.command("add")
def staff_add(
    org: Annotated[str, typer.Option(help="Код организации")],
    role: Annotated[Role, typer.Option(help="Роль")],
    login: Annotated[str, typer.Option(help="Логин")],
    password: Annotated[str | None, typer.Option(help="Пароль (для новой учётной записи)")] = None,
    name: Annotated[str | None, typer.Option(help="ФИО")] = None,
) -> None:
    """Create a staff account (or reuse it) and grant a role in an organisation."""
    from core.services.staff import add_staff

    async def go() -> int:
        async with platform(_settings()) as p:
            return await add_staff(p, org=org, role=role, login=login, password=password,
                                   full_name=name)

    staff_id = _run(go())
    typer.echo(f"Сотрудник {login} (id {staff_id}): роль {role.value} в {org}.")


@messages_app.command("import")
def messages_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Import JSON Lines; prints each created number as soon as it is committed."""
    from core.services.importer import import_lines

    async def go() -> int:
        errors = 0
        async with platform(_settings()) as p:
            with file.open(encoding="utf-8") as fh:
                async for outcome in import_lines(p, fh):
                    if outcome.error:
                        errors += 1
                        typer.echo(f"строка {outcome.line}: {outcome.error}", err=True)
                    else:
                        sys.stdout.write(f"{outcome.number}\n")
                        sys.stdout.flush()
        return errors

    errors = _run(go())
    if errors:
        typer.echo(f"Не импортировано строк: {errors}", err=True)
        raise typer.Exit(1)


@messages_app.command("list")
def messages_list(
    as_json: Annotated[bool, typer.Option("--json", help="Одна строка JSON на сообщение")] = False,
    status: Annotated[str | None, typer.Option(help="Статус")] = None,
    org: Annotated[str | None, typer.Option(help="Код организации")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Только просроченные")] = False,
) -> None:
    """List messages (oldest first)."""
    from core.domain.enums import STATUS_TITLES, Status
    from core.services.queries import iter_messages

    if status is not None and status not in {s.value for s in Status}:
        typer.echo(f"Ошибка: неизвестный статус «{status}»", err=True)
        raise typer.Exit(2)

    async def go() -> None:
        async with platform(_settings()) as p:
            async for row in iter_messages(p, status=status, org=org, overdue=overdue):
                if as_json:
                    sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
                else:
                    sys.stdout.write(
                        f"№ {row['number']:<8} {STATUS_TITLES[Status(row['status'])]:<26} "
                        f"{row['subcategory']:<40} {row['organisation'] or '—':<16} "
                        f"до {row['answer_due'][:10]}\n")

    _run(go())


class Format(StrEnum):
    json = "json"
    yaml = "yaml"


@classifier_app.command("export")
def classifier_export(
    fmt: Annotated[Format, typer.Option("--format", help="json или yaml")] = Format.json,
    keywords: Annotated[bool, typer.Option(help="Включить ключевые слова")] = False,
) -> None:
    """Print the classifier."""
    from core.services.classifier import export_classifier

    async def go() -> dict[str, Any]:
        async with platform(_settings()) as p:
            return await export_classifier(p, with_keywords=keywords)

    doc = _run(go())
    if fmt is Format.json:
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        typer.echo(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


@classifier_app.command("import")
def classifier_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Load a classifier (JSON or YAML); subcategories missing from it are deactivated."""
    from core.services.classifier import import_classifier

    text = file.read_text(encoding="utf-8")
    try:
        doc = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        typer.echo(f"Ошибка: файл не разобран: {exc}", err=True)
        raise typer.Exit(2) from None

    async def go() -> tuple[int, int]:
        async with platform(_settings()) as p:
            return await import_classifier(p, doc)

    cats, subs = _run(go())
    typer.echo(f"Классификатор загружен: категорий {cats}, подкатегорий {subs}.")


@app.command("worker")
def worker(
    console: Annotated[bool, typer.Option(help="В разработке печатать уведомления каналов "
                                                "без токена")] = False,
) -> None:
    """Deliver notifications from the outbox and run scheduled jobs until stopped."""
    from pos.runtime import run_worker_process

    _logging()
    _run(run_worker_process(_settings(), console_fallback=console))


bot_app = typer.Typer(help="Боты для граждан.", no_args_is_help=True)
app.add_typer(bot_app, name="bot")


@bot_app.command("telegram")
def bot_telegram(
    webhook: Annotated[bool, typer.Option(help="Принимать обновления через вебхук на "
                                               "HTTP-сервере вместо long polling")] = False,
) -> None:
    """Run the Telegram bot (POS_TELEGRAM_TOKEN, POS_TELEGRAM_API_URL)."""
    from pos.runtime import run_telegram_process

    _logging()
    _run(run_telegram_process(_settings(), webhook=webhook))


@bot_app.command("vk")
def bot_vk(
    callback: Annotated[bool, typer.Option(help="Принимать события через Callback API на "
                                                "HTTP-сервере вместо Bots Long Poll")] = False,
) -> None:
    """Run the VK community bot (POS_VK_TOKEN, POS_VK_GROUP_ID, POS_VK_API_URL)."""
    from pos.runtime import run_vk_process

    _logging()
    _run(run_vk_process(_settings(), callback=callback))


@app.command("up")
def up() -> None:
    """Run the platform on the configured database: migrate, seed demo data on first start,
    then the worker and scheduler (and, as they arrive, the bots and web admin)."""
    from pos.runtime import run_up

    _logging()
    _run(run_up(_settings()))


def main() -> None:
    app()


