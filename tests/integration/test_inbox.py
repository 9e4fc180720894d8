"""Inbox folders, counters, filters, search, sort and pages over the real workflow (both
backends)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from core.domain.enums import Arrival, Source
from core.ports import FixedClock
from core.services.inbox.filters import InboxFilter
from core.services.inbox.listing import Inbox, load_inbox
from core.services.platform import Platform
from tests.support import factories as f
from tests.support.inbox_data import build

NSK = ZoneInfo("Asia/Novosibirsk")


async def _box(p: Platform, login: str, folder: str | None = None, ws: str | None = None,
               **flt: object) -> Inbox:
    staff = await f.staff(p, login)
    return await load_inbox(p, staff_id=staff.staff_id, workspace=ws, folder_key=folder,
                            flt=InboxFilter(**flt))  # type: ignore[arg-type]


def _ids(box: Inbox) -> set[int]:
    return {card.id for card in box.cards}


async def test_coordinator_folders_hold_each_message_where_the_platform_has_it(
        platform: Platform) -> None:
    p = platform
    m = await build(p)
    box = await _box(p, "coordinator")
    counts = {fc.folder.key: fc.count for fc in box.folders}
    assert counts == {
        "new": 1, "answer_prepared": 1, "answered": 1, "redirect": 0, "in_work": 1,
        "returned_inside": 1, "returned_from_org": 1, "postponed": 1,
        "done_execution": 6, "done_answer": 2, "done_redirected": 1,
        "sed_in_work": 1, "sed_answered": 0, "all": 9,
    }
    expected = {"new": {m.new}, "in_work": {m.in_work}, "postponed": {m.postponed},
                "returned_inside": {m.returned_inside},
                "returned_from_org": {m.returned_from_org},
                "answer_prepared": {m.answer_prepared}, "answered": {m.answered},
                "sed_in_work": {m.sed}, "done_redirected": {m.redirected}}
    for key, ids in expected.items():
        assert _ids(await _box(p, "coordinator", key)) == ids, key
    assert m.moderation in _ids(await _box(p, "coordinator", "all"))  # routed, not yet moderated
    assert m.elsewhere not in _ids(await _box(p, "coordinator", "all"))
    assert box.folder.key == "new" and box.workspace.key.startswith("coordinator-")


async def test_other_roles_get_their_own_folders(platform: Platform) -> None:
    p = platform
    m = await build(p)
    moderator = {fc.folder.key: fc.count for fc in (await _box(p, "moderator")).folders}
    assert moderator["moderation"] == 1 and moderator["approved"] == 10
    executor = await _box(p, "executor", "in_work")
    assert _ids(executor) == {m.in_work}
    assert _ids(await _box(p, "executor", "postponed")) == {m.postponed}
    assert _ids(await _box(p, "executor", "done")) == {m.answered}
    assert _ids(await _box(p, "executor3", "returned")) == {m.returned_from_org}
    manager = await _box(p, "manager", "approval")
    assert _ids(manager) == {m.answer_prepared}
    assert _ids(await _box(p, "manager", "done_approved")) == {m.answered}
    # The ministry's coordinator got the redirected message; its curator oversees it.
    assert _ids(await _box(p, "coordinator2", "new")) == {m.redirected}
    assert m.redirected in _ids(await _box(p, "curator", "open"))
    assert m.new not in _ids(await _box(p, "curator", "all"))


async def test_filters_search_sort_and_pages(platform: Platform, clock: FixedClock) -> None:
    p = platform
    m = await build(p)
    all_ = "all"
    assert _ids(await _box(p, "coordinator", all_, sources=(Source.VK,))) == {m.new}
    after = _ids(await _box(p, "coordinator", all_, arrival=Arrival.AFTER_MODERATION))
    assert m.new in after and m.moderation not in after
    assert _ids(await _box(p, "coordinator", all_, query="Площадь Маркса")) == {m.moderation}
    assert _ids(await _box(p, "coordinator", all_, query="красный")) == {m.new}
    if p.db.is_postgres:  # Russian full-text search matches other forms of a word
        assert _ids(await _box(p, "coordinator", all_, query="красного проспекта")) == {m.new}
        assert m.moderation in _ids(await _box(p, "coordinator", all_, query="колёса"))
    number = (await f.message_row(p, m.sed)).number
    assert _ids(await _box(p, "coordinator", all_, query=str(number))) == {m.sed}
    assert _ids(await _box(p, "coordinator", all_, query="нет-такого-слова")) == set()
    # Deadlines: nothing overdue yet; a month later every open one without a later due is.
    assert _ids(await _box(p, "coordinator", all_, overdue=True)) == set()
    postponed_due = date(2026, 6, 20)
    assert m.postponed not in _ids(await _box(p, "coordinator", all_,
                                              due_before=date(2026, 6, 19)))
    assert m.postponed in _ids(await _box(p, "coordinator", all_, due_before=postponed_due))
    clock.advance(days=40)
    overdue = _ids(await _box(p, "coordinator", all_, overdue=True))
    assert m.new in overdue and m.postponed in overdue and m.answered not in overdue
    # Sort and pages.
    by_due = await _box(p, "coordinator", all_, sort="due", per_page=10)
    dues = [(await f.message_row(p, c.id)).answer_due for c in by_due.cards]
    assert dues == sorted(dues)
    first = await _box(p, "coordinator", all_, per_page=10, sort="old")
    assert first.total == 9 and first.pages == 1
    newest = await _box(p, "coordinator", all_, sort="new", per_page=10)
    assert [c.id for c in newest.cards] == [c.id for c in reversed(first.cards)]
    beyond = await _box(p, "coordinator", all_, per_page=10, page=7)
    assert beyond.filter.page == 1 and len(beyond.cards) == 9


async def test_cards_show_the_deadline_timers(platform: Platform, clock: FixedClock) -> None:
    p = platform
    m = await build(p)
    card = next(c for c in (await _box(p, "coordinator", "new")).cards if c.id == m.new)
    assert card.answer is not None and card.coordination is not None
    due = (await f.message_row(p, m.new)).answer_due.astimezone(NSK)
    assert card.answer.label.endswith(f"/ до {due:%d.%m.%Y}") and not card.answer.overdue
    assert "час" in card.coordination.label and not card.coordination.overdue
    assert card.source == "ВКонтакте" and card.organisation == "Мэрия Новосибирска"
    clock.advance(days=2)
    card = next(c for c in (await _box(p, "coordinator", "new")).cards if c.id == m.new)
    assert card.coordination is not None and card.coordination.overdue
    assert card.coordination.label.startswith("просрочено на 1 день")
