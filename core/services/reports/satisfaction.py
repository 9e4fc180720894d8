"""Citizens' satisfaction with the answers.

Definitions (messages of the scope, see :mod:`core.services.reports.scope`):

- **Оценка** — the message's current rating (``messages.rating``, 1–5): the latest one the
  citizen gave. Messages without a rating are not counted here.
- **Средняя оценка** — the mean of those ratings, two decimals.
- **Доля оценок 1–2** — ratings of 1 or 2 / all ratings.
- **Итоги повторного рассмотрения** — of the messages re-reviewed after a low rating
  (``re_review_count > 0``), each in exactly one of, checked in this order:
  «оценено на 3–5» (the current rating is 3–5: the citizen was satisfied in the end);
  «снова оценено на 1–2» (rated low again after a re-review: ``re_review_count >= 2``);
  «ещё на рассмотрении» (open now); «ответ дан, новой оценки нет» (answered again and
  waiting for a rating, or closed without one).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from core.db import tables as t
from core.services.platform import Platform
from core.services.queries import OPEN_STATUSES
from core.services.reports import sql as q
from core.services.reports.model import Chart, Column, Report, Table, percent, share
from core.services.reports.scope import ReportScope, resolve

TITLE = "Удовлетворённость ответами"
SUMMARY = "Оценки: сводка"
DISTRIBUTION = "Распределение оценок"
BY_ORGANISATION = "Оценки по организациям"
RE_REVIEW = "Итоги повторного рассмотрения"
SCORES = (1, 2, 3, 4, 5)
OUTCOMES = (
    ("high", "Оценено на 3–5"),
    ("low_again", "Снова оценено на 1–2"),
    ("open", "Ещё на рассмотрении"),
    ("no_new_rating", "Ответ дан, новой оценки нет"),
)


def _average(dist: dict[int, int]) -> float | None:
    n = sum(dist.values())
    return round(sum(score * c for score, c in dist.items()) / n, 2) if n else None


def _low(dist: dict[int, int]) -> int:
    return dist.get(1, 0) + dist.get(2, 0)


async def satisfaction_report(p: Platform, *, scope: ReportScope) -> Report:
    d = await p.directory.get()
    rs = resolve(d, scope)
    m = t.Message
    rated = (select(m.organisation_id, m.rating, func.count())
             .where(rs.message_filter(), m.rating.is_not(None))
             .group_by(m.organisation_id, m.rating))
    score = func.coalesce(m.rating, 0)
    high = score >= 3
    low_again = ~high & (m.re_review_count >= 2)
    still_open = ~high & ~low_again & m.status.in_(OPEN_STATUSES)
    outcomes = (select(func.count(), q.count_if(high), q.count_if(low_again),
                       q.count_if(still_open))
                .where(rs.message_filter(), m.re_review_count > 0))
    by_org: dict[int | None, dict[int, int]] = defaultdict(dict)
    total: dict[int, int] = defaultdict(int)
    async with p.db.sessions() as session:
        for org_id, rating, count in await session.execute(rated):
            by_org[org_id][q.as_int(rating)] = int(count)
            total[q.as_int(rating)] += int(count)
        reviewed, n_high, n_low, n_open = (await session.execute(outcomes)).one()
    outcome_counts = {"high": int(n_high), "low_again": int(n_low), "open": int(n_open)}
    outcome_counts["no_new_rating"] = int(reviewed) - sum(outcome_counts.values())

    rated_total = sum(total.values())
    summary = Table(SUMMARY, [
        Column("rated", "Оценок", "int"),
        Column("average", "Средняя оценка", "float"),
        Column("low_share", "Доля оценок 1–2", "percent"),
        Column("re_reviewed", "Повторно рассмотрено", "int"),
    ], [{"rated": rated_total, "average": _average(total),
         "low_share": share(_low(total), rated_total), "re_reviewed": int(reviewed)}])
    distribution = Table(DISTRIBUTION, [
        Column("score", "Оценка", "int"), Column("count", "Оценок", "int"),
        Column("share", "Доля", "percent"),
    ], [{"score": s, "count": total.get(s, 0), "share": share(total.get(s, 0), rated_total)}
        for s in SCORES])
    org_rows = sorted(by_org.items(), key=lambda kv: (
        _average(kv[1]) or 0, q.org_name(d, kv[0]).casefold()))
    organisations = Table(BY_ORGANISATION, [
        Column("organisation", "Организация"), Column("rated", "Оценок", "int"),
        Column("average", "Средняя оценка", "float"),
        Column("low_share", "Доля оценок 1–2", "percent"),
        *[Column(f"score_{s}", f"Оценка {s}", "int") for s in SCORES],
    ], [{"organisation": q.org_name(d, org_id), "rated": sum(dist.values()),
         "average": _average(dist), "low_share": share(_low(dist), sum(dist.values())),
         **{f"score_{s}": dist.get(s, 0) for s in SCORES}}
        for org_id, dist in org_rows])
    re_review = Table(RE_REVIEW, [
        Column("outcome", "Итог"), Column("count", "Сообщений", "int"),
        Column("share", "Доля", "percent"),
    ], [{"outcome": title, "count": outcome_counts[key],
         "share": share(outcome_counts[key], int(reviewed))} for key, title in OUTCOMES])
    charts = [
        Chart("bar", "Распределение оценок", [str(s) for s in SCORES],
              [("Оценок", [total.get(s, 0) for s in SCORES])]),
        Chart("doughnut", "Итоги повторного рассмотрения", [title for _, title in OUTCOMES],
              [("Сообщений", [outcome_counts[key] for key, _ in OUTCOMES])]),
        Chart("bar", "Доля оценок 1–2 по организациям, %",
              [q.org_name(d, org_id) for org_id, _ in org_rows[:20]],
              [("Доля оценок 1–2", [percent(_low(dist), sum(dist.values()))
                                    for _, dist in org_rows[:20]])]),
    ]
    return Report(TITLE, [summary, distribution, organisations, re_review], charts)
