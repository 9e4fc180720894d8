"""Regional rating indicators, computed from the platform's own data.

One row per indicator: its value, unit, the figures it came from and how it is counted.
Messages are those of the scope (:mod:`core.services.reports.scope`); organisations are the
scope's organisations (:meth:`ResolvedScope.organisations`: active, in the region or the chosen
territory's subtree, visible to the viewer).

- **Сообщений на 10 000 жителей** — messages / population × 10 000; the population of the
  chosen territory (else the region) from the directory. Unknown population: no value.
- **Доля ответов в срок** — answered on time / answered (as in the compliance report).
- **Средняя оценка** — the mean of current ratings (as in the satisfaction report).
- **«Пинг-понг»** — messages redirected two or more times (``redirect_count >= 2``) / messages.
- **Маршрутизировано без корректировки** — messages with no ``change_category``,
  ``change_organisation``, ``redirect`` or ``approve_redirect`` event / messages.
- **По автоправилам** — messages an auto-rule acted on (``delegated_by_auto_rule`` or a
  non-empty ``auto_rule_ids``) / messages.
- **Подключено организаций** — organisations with at least one active staff member holding a
  role in them.
- **Активных организаций** — organisations one of whose staff members took at least one
  action on a message (``message_events.actor_kind = 'staff'``) in the period; the staff
  member's organisations (``staff_roles``) get the credit.
"""

from __future__ import annotations

from sqlalchemy import String, cast, distinct, func, select

from core.db import tables as t
from core.domain.enums import Action, ActorKind
from core.services.platform import Platform
from core.services.reports import sql as q
from core.services.reports.model import Cell, Chart, Column, Report, Table, percent
from core.services.reports.scope import ReportScope, resolve

TITLE = "Показатели для рейтинга региона"
INDICATORS = "Показатели"
CORRECTIONS = (Action.CHANGE_CATEGORY.value, Action.CHANGE_ORGANISATION.value,
               Action.REDIRECT.value, Action.APPROVE_REDIRECT.value)
PERCENT = "%"


def _basis(part: int, whole: int) -> str:
    return f"{part} из {whole}"


async def rating_report(p: Platform, *, scope: ReportScope) -> Report:
    d = await p.directory.get()
    rs = resolve(d, scope)
    m, e, role = t.Message, t.MessageEvent, t.StaffRole
    auto = m.delegated_by_auto_rule.is_(True) | (
        m.auto_rule_ids.is_not(None) & cast(m.auto_rule_ids, String).not_in(["[]", "null"]))
    messages = select(
        func.count(), q.count_if(q.answered()), q.count_if(q.on_time()),
        func.count(m.rating), func.sum(m.rating),
        q.count_if(m.redirect_count >= 2), q.count_if(auto),
    ).where(rs.message_filter())
    corrected = (select(func.count(distinct(e.message_id)))
                 .join(m, m.id == e.message_id)
                 .where(rs.message_filter(), e.action.in_(CORRECTIONS)))
    candidates = rs.organisations(d)
    connected_orgs: set[int] = set()
    active_orgs: set[int] = set()
    async with p.db.sessions() as session:
        total, answered, on_time, rated, rating_sum, ping_pong, by_rules = (
            await session.execute(messages)).one()
        n_corrected = (await session.execute(corrected)).scalar_one()
        if candidates:
            connected_orgs = set((await session.scalars(
                select(role.organisation_id).distinct()
                .join(t.Staff, t.Staff.id == role.staff_id)
                .where(t.Staff.is_active.is_(True), role.organisation_id.in_(candidates))
            )).all())
            # One probe per staff member (EXISTS), not a pass over every event of the period.
            acted = (select(e.id).where(e.actor_staff_id == role.staff_id,
                                        e.actor_kind == ActorKind.STAFF.value,
                                        e.created_at >= rs.start, e.created_at < rs.end)
                     .exists())
            active_orgs = set((await session.scalars(
                select(role.organisation_id).distinct()
                .where(role.organisation_id.in_(candidates), acted))).all())
    total, answered, on_time = q.as_int(total), q.as_int(answered), q.as_int(on_time)
    rated, ping_pong, by_rules = q.as_int(rated), q.as_int(ping_pong), q.as_int(by_rules)
    uncorrected = total - q.as_int(n_corrected)
    root = d.territories[rs.root_id]
    population = root.population

    people = f"{population:,}".replace(",", " ") if population else ""
    rows: list[dict[str, Cell]] = [
        _row("per_10k", "Сообщений на 10 000 жителей",
             round(total * 10_000 / population, 2) if population else None, "сообщений",
             basis=f"{total} сообщений, {people} жителей" if population
             else f"{total} сообщений, численность населения не указана",
             explanation=f"Сообщения за период / население территории «{root.name}» × 10 000"),
        _row("on_time", "Доля ответов в срок", percent(on_time, answered), PERCENT,
             basis=_basis(on_time, answered),
             explanation="Ответы не позже срока / все данные ответы"),
        _row("satisfaction", "Средняя оценка ответов",
             round(q.as_int(rating_sum) / rated, 2) if rated else None, "балла из 5",
             basis=f"{rated} оценок", explanation="Среднее текущих оценок заявителей"),
        _row("ping_pong", "«Пинг-понг» перенаправлений", percent(ping_pong, total), PERCENT,
             basis=_basis(ping_pong, total),
             explanation="Сообщения, перенаправленные два раза и более / все сообщения"),
        _row("uncorrected", "Маршрутизировано без корректировки", percent(uncorrected, total),
             PERCENT, basis=_basis(uncorrected, total),
             explanation="Без смены категории или организации и без перенаправлений"),
        _row("auto_rules", "Обработано автоправилами", percent(by_rules, total), PERCENT,
             basis=_basis(by_rules, total),
             explanation="Сообщения, к которым применилось автоправило / все сообщения"),
        _row("connected", "Подключено организаций", len(connected_orgs), "организаций",
             basis=_basis(len(connected_orgs), len(candidates)),
             explanation="Организации, где есть хотя бы один активный сотрудник"),
        _row("active", "Активных организаций", len(active_orgs), "организаций",
             basis=_basis(len(active_orgs), len(candidates)),
             explanation="Организации, сотрудники которых работали с сообщениями в периоде"),
    ]
    table = Table(INDICATORS, [
        Column("indicator", "Показатель"), Column("value", "Значение", "float"),
        Column("unit", "Единица"), Column("basis", "Расчёт"),
        Column("explanation", "Как считается"),
    ], rows)
    shares = [r for r in rows if r["unit"] == PERCENT]
    chart = Chart("bar", "Показатели в процентах", [str(r["indicator"]) for r in shares],
                  [("%", [r["value"] if isinstance(r["value"], float) else None
                          for r in shares])])
    return Report(TITLE, [table], [chart])


def _row(key: str, title: str, value: float | int | None, unit: str, *, basis: str,
         explanation: str) -> dict[str, Cell]:
    return {"key": key, "indicator": title, "value": value, "unit": unit, "basis": basis,
            "explanation": explanation}
