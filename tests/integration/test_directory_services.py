"""Directory services: region overrides, classifier import, staff accounts, citizens' consent."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import tables as t
from core.domain.enums import Channel, Role
from core.domain.errors import NotFound, ValidationError
from core.ports import FixedClock
from core.services.citizens import record_consent, update_contacts
from core.services.classifier import (
    export_classifier,
    import_classifier,
    set_region_override,
    shipped_classifier,
)
from core.services.records import CitizenRef
from core.services.seed import seed_demo
from core.services.staff import add_staff, verify_password
from tests.conftest import START, make_platform
from tests.support import factories as f


async def test_region_override_changes_deadline_and_fast_track(fresh_url: str, tmp_path) -> None:
    p = make_platform(fresh_url, tmp_path, FixedClock(START))
    try:
        await seed_demo(p)
        before = await f.file_message(p, subcategory="healthcare_appointment",
                                      text="Нет талонов к терапевту на месяц вперёд.")
        assert (before.fast_track, before.answer_due_text) == (False, "до 01.07.2026")
        await set_region_override(p, region="54", subcategory="healthcare_appointment",
                                  answer_days=15, fast_track=True, fast_track_days=3)
        after = await f.file_message(p, subcategory="healthcare_appointment",
                                     text="Нет талонов к терапевту на месяц вперёд.")
        assert (after.fast_track, after.answer_due_text) == (True, "до 04.06.2026")
        await set_region_override(p, region="54", subcategory="healthcare_appointment",
                                  fast_track=False)
        plain = await f.file_message(p, subcategory="healthcare_appointment",
                                     text="Нет талонов к терапевту на месяц вперёд.")
        assert plain.answer_due_text == "до 01.07.2026"  # override cleared back to classifier
        with pytest.raises(ValidationError):
            await set_region_override(p, region="54", subcategory="roads_potholes",
                                      answer_days=45)
        with pytest.raises(NotFound):
            await set_region_override(p, region="54-nsk", subcategory="roads_potholes",
                                      answer_days=20)
    finally:
        await p.close()


async def test_classifier_reimport_deactivates_missing_subcategories(
    fresh_url: str, tmp_path
) -> None:
    p = make_platform(fresh_url, tmp_path, FixedClock(START))
    try:
        doc = shipped_classifier()
        assert await import_classifier(p, doc) == (31, 400)
        doc["categories"][0]["subcategories"] = doc["categories"][0]["subcategories"][:3]
        cats, subs = await import_classifier(p, doc)
        assert cats == 31 and subs == 400 - len(shipped_classifier()["categories"][0][
            "subcategories"]) + 3
        exported = await export_classifier(p)
        assert len(exported["categories"][0]["subcategories"]) == 3
        async with p.db.sessions() as session:
            inactive = (await session.scalars(select(t.Subcategory).where(
                t.Subcategory.is_active.is_(False)))).all()
        assert inactive  # kept for old messages, hidden from new ones
    finally:
        await p.close()


async def test_staff_roles_and_passwords(platform) -> None:
    staff_id = await add_staff(platform, org="BERDSK-ADM", role=Role.EXECUTOR,
                               login="Ivan.Petrov", password="correct horse")
    again = await add_staff(platform, org="BERDSK-ADM", role="manager", login="ivan.petrov")
    assert again == staff_id
    async with platform.db.sessions() as session:
        staff = await session.get(t.Staff, staff_id)
        roles = (await session.scalars(select(t.StaffRole.role).where(
            t.StaffRole.staff_id == staff_id))).all()
    assert staff is not None and staff.login == "ivan.petrov"
    assert sorted(roles) == ["executor", "manager"]
    assert verify_password(staff.password_hash, "correct horse")
    assert not verify_password(staff.password_hash, "wrong")
    assert "correct horse" not in staff.password_hash
    with pytest.raises(ValidationError, match="роль"):
        await add_staff(platform, org="BERDSK-ADM", role="janitor", login="x.y")
    with pytest.raises(ValidationError, match="нужен пароль"):
        await add_staff(platform, org="BERDSK-ADM", role="executor", login="new.person")


async def test_consent_and_contacts(platform) -> None:
    ref = CitizenRef(Channel.VK, "vk-77")
    citizen_id = await record_consent(platform, citizen=ref)
    await update_contacts(platform, citizen_id=citizen_id, name="Мария",
                          phone="+7 (913) 123-45-67", email="Maria@Example.ru")
    async with platform.db.sessions() as session:
        row = await session.get(t.Citizen, citizen_id)
    assert row is not None
    assert (row.consent_version, row.consent_at) == ("2026-01", platform.clock.now())
    assert (row.name, row.phone, row.email) == ("Мария", "+79131234567", "maria@example.ru")
    with pytest.raises(ValidationError, match="Телефон"):
        await update_contacts(platform, citizen_id=citizen_id, phone="12")
    # The same person filing later is the same citizen.
    msg = await f.file_message(platform, citizen=ref)
    assert (await f.message_row(platform, msg.id)).citizen_id == citizen_id
