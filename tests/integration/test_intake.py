"""Intake on a real database: routing, auto-rules, deadlines, idempotency, photos, validation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.domain.enums import Action, Channel, Source, Status
from core.domain.errors import NotFound, ValidationError
from core.services.intake import store_photo
from core.services.platform import Platform
from tests.support import factories as f

NSK = ZoneInfo("Asia/Novosibirsk")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_message_is_routed_numbered_audited_and_notified(platform: Platform) -> None:
    msg = await f.file_message(platform)
    assert msg.created and msg.status is Status.MODERATION
    assert msg.organisation_id == await f.org_id(platform, "NSK-ADM")
    # Potholes are fast-track: 5 days, ending 23:59:59 Novosibirsk time.
    assert msg.fast_track is True
    assert msg.answer_due == datetime(2026, 6, 6, 23, 59, 59, tzinfo=NSK).astimezone(UTC)
    assert msg.answer_due_text == "до 06.06.2026"
    row = await f.message_row(platform, msg.id)
    assert (row.status, row.stage, row.arrival) == ("moderation", "moderation", "routed")
    assert row.registered_at == platform.clock.now()
    [event] = await f.events(platform, msg.id)
    assert event.action == Action.REGISTER and event.to_status == "moderation"
    [note] = await f.outbox(platform, msg.id)
    assert (note.kind, note.channel, note.status) == ("registered", "telegram", "pending")
    assert note.payload["number"] == msg.number
    assert note.payload["answer_due_date"] == "06.06.2026"


async def test_numbers_are_unique_and_increasing(platform: Platform) -> None:
    numbers = [(await f.file_message(platform)).number for _ in range(5)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5


async def test_concurrent_intake_gives_distinct_numbers(platform: Platform) -> None:
    results = await asyncio.gather(*(f.file_message(platform) for _ in range(20)))
    assert len({r.number for r in results}) == 20


async def test_regular_subcategory_uses_answer_days(platform: Platform) -> None:
    msg = await f.file_message(platform, subcategory="healthcare_appointment",
                               text="Не могу записаться к терапевту, талонов нет на месяц.",
                               address="Бердск, ул. Ленина, 3")
    assert msg.fast_track is False
    assert msg.answer_due_text == "до 01.07.2026"  # 30 calendar days
    # No municipal rule for healthcare: falls back up the territory tree to the region.
    assert msg.organisation_id == await f.org_id(platform, "MINZDRAV-54")


async def test_territory_resolved_from_address_routes_to_municipality(platform: Platform) -> None:
    msg = await f.file_message(platform, address="г. Бердск, ул. Боровая, 103")
    assert msg.organisation_id == await f.org_id(platform, "BERDSK-ADM")


async def test_explicit_territory_wins_over_address(platform: Platform) -> None:
    msg = await f.file_message(platform, territory="54-berdsk", address="ул. Ленина, 1")
    row = await f.message_row(platform, msg.id)
    d = await platform.directory.get()
    assert row.territory_id == d.territory("54-berdsk").id


async def test_widget_message_goes_to_the_widget_organisation(platform: Platform) -> None:
    msg = await f.file_message(platform, source=Source.WIDGET, source_organisation="MINZDRAV-54",
                               citizen=f.citizen(Channel.WEB))
    assert msg.organisation_id == await f.org_id(platform, "MINZDRAV-54")
    [note] = await f.outbox(platform, msg.id)
    assert note.channel == "web"


async def test_auto_rule_assigns_executor_and_is_recorded(platform: Platform) -> None:
    msg = await f.file_message(platform, subcategory="roads_traffic_lights",
                               text="Не работает светофор на перекрёстке, дети без светофора.")
    row = await f.message_row(platform, msg.id)
    assert row.executor_organisation_id == await f.org_id(platform, "NSK-GCODD")
    assert row.delegated_by_auto_rule is True and len(row.auto_rule_ids) == 1
    actions = [e.action for e in await f.events(platform, msg.id)]
    assert actions == ["register", "apply_auto_rule"]


async def test_auto_rule_redirect_and_fast_track_accumulate(platform: Platform) -> None:
    msg = await f.file_message(platform, subcategory="heating_no_heating",
                               text="Прорыв трубы отопления в подвале, батареи холодные весь день.")
    row = await f.message_row(platform, msg.id)
    assert row.fast_track is True and row.delegated_by_auto_rule is True
    waste = await f.file_message(platform, subcategory="waste_pickup_delay",
                                 text="Мусор не вывезли уже пятый день, баки переполнены.")
    assert waste.organisation_id == await f.org_id(platform, "REGOP-TKO-54")


async def test_idempotency_key_returns_the_same_message(platform: Platform) -> None:
    ref = f.citizen()
    first = await f.file_message(platform, idempotency_key="k-1", citizen=ref)
    again = await f.file_message(platform, idempotency_key="k-1", citizen=ref)
    assert (again.id, again.number, again.created) == (first.id, first.number, False)
    assert len(await f.outbox(platform)) == 1


async def test_concurrent_retries_with_one_key_create_one_message(platform: Platform) -> None:
    ref = f.citizen()
    results = await asyncio.gather(*(f.file_message(platform, idempotency_key="same",
                                                    citizen=ref) for _ in range(8)))
    assert len({r.id for r in results}) == 1
    assert sum(r.created for r in results) == 1


async def test_same_citizen_channel_id_reuses_the_citizen(platform: Platform) -> None:
    ref = f.citizen()
    a = await f.file_message(platform, citizen=ref)
    b = await f.file_message(platform, citizen=ref)
    assert (await f.message_row(platform, a.id)).citizen_id == (
        await f.message_row(platform, b.id)).citizen_id


async def test_photos_are_validated_and_stored(platform: Platform) -> None:
    stored = await store_photo(platform, PNG)
    assert stored.content_type == "image/png"
    assert await platform.files.load(stored.key) == PNG
    msg = await f.file_message(platform, photos=[stored, stored])
    assert msg.created
    with pytest.raises(ValidationError, match="не изображение"):
        await store_photo(platform, b"%PDF-1.4 not a photo")
    with pytest.raises(ValidationError, match="слишком большая"):
        await store_photo(platform, PNG + b"\x00" * platform.settings.max_photo_bytes)
    with pytest.raises(ValidationError, match="не больше 5 фото"):
        await f.file_message(platform, photos=[stored] * 6)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"text": "Яма"}, "подробнее"),
    ({"text": "я" * 4001}, "слишком длинный"),
    ({"subcategory": "no_such_thing"}, "не найдена"),
    ({"territory": "54-nowhere"}, "не найдена"),
    ({"latitude": 55.0}, "обе координаты"),
    ({"latitude": 95.0, "longitude": 10.0}, "диапазона"),
    ({"address": "x" * 501}, "Адрес длиннее"),
])
async def test_bad_input_gets_a_clear_error_and_stores_nothing(
    platform: Platform, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises((ValidationError, NotFound), match=message):
        await f.file_message(platform, **overrides)
    assert await f.outbox(platform) == []


async def test_idempotency_keys_belong_to_one_sender(platform: Platform) -> None:
    mine = await f.file_message(platform, idempotency_key="k-1", citizen=f.citizen())
    theirs = await f.file_message(platform, idempotency_key="k-1", citizen=f.citizen(Channel.VK))
    assert theirs.created and theirs.id != mine.id
