"""Linking a citizen's Telegram and VK accounts: the service alone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from itertools import count

import pytest
from sqlalchemy import delete, func, insert, select

from core.conversations.notices import notice_reply
from core.db import tables as t
from core.domain.enums import Channel, NotificationKind, Source
from core.domain.errors import ValidationError
from core.ports import FixedClock
from core.services import linking
from core.services.citizens import record_consent, update_contacts
from core.services.linking import (
    LINK_GLOBAL_FAILURES,
    MAX_FAILURES,
    LinkCode,
    Refusal,
    UnlinkResult,
    issue_link_code,
    redeem_link_code,
    unlink_identity,
)
from core.services.platform import Platform
from core.services.records import CitizenRef
from tests.support import factories as f

_ids = count(1)


class Person:
    """One consented messenger account, as the dialogs would have it."""

    def __init__(self, ref: CitizenRef, citizen_id: int) -> None:
        self.ref, self.citizen_id = ref, citizen_id

    @property
    def channel(self) -> Channel:
        return self.ref.channel

    async def issue(self, p: Platform) -> LinkCode:
        return await issue_link_code(p, citizen_id=self.citizen_id, channel=self.channel,
                                     external_id=self.ref.external_id)

    async def redeem(self, p: Platform, code: str) -> linking.LinkResult:
        return await redeem_link_code(p, citizen_id=await owner(p, self.ref),
                                      channel=self.channel, external_id=self.ref.external_id,
                                      code=code)

    async def unlink(self, p: Platform) -> UnlinkResult:
        return await unlink_identity(p, citizen_id=await owner(p, self.ref),
                                     channel=self.channel, external_id=self.ref.external_id)


async def person(p: Platform, channel: Channel) -> Person:
    ref = CitizenRef(channel, f"link-{next(_ids)}")
    return Person(ref, await record_consent(p, citizen=ref))


async def owner(p: Platform, ref: CitizenRef) -> int:
    """The citizen an account belongs to now."""
    async with p.db.sessions() as session:
        return (await session.scalars(select(t.CitizenIdentity.citizen_id).where(
            t.CitizenIdentity.channel == ref.channel.value,
            t.CitizenIdentity.external_id == ref.external_id))).one()


async def citizen_row(p: Platform, citizen_id: int) -> t.Citizen | None:
    async with p.db.sessions() as session:
        return await session.get(t.Citizen, citizen_id)


async def failures(p: Platform) -> int:
    async with p.db.sessions() as session:
        return int((await session.scalar(select(func.count()).select_from(t.LinkFailure))) or 0)


async def notices(p: Platform) -> list[t.OutboxRow]:
    """The «an account joined yours» notifications."""
    return [o for o in await f.outbox(p) if o.kind == NotificationKind.ACCOUNTS_LINKED]


async def joins(p: Platform) -> set[tuple[str, str, int]]:
    async with p.db.sessions() as session:
        rows = (await session.execute(select(linking._LJ))).all()
    return {(r.channel, r.external_id, r.citizen_id) for r in rows}


async def refused(call: Awaitable[object], reason: Refusal) -> str:
    with pytest.raises(ValidationError) as caught:
        await call
    assert caught.value.details["reason"] == reason.value, caught.value.message
    return caught.value.message


def wrong(code: LinkCode) -> str:
    """Another eight digits than the code's."""
    return f"{(int(code.code) + 1) % 10 ** 8:08d}"


# -- issuing -----------------------------------------------------------------------------------
async def test_a_code_is_eight_digits_for_ten_minutes_and_stored_hashed(
        platform: Platform, clock: FixedClock) -> None:
    tg = await person(platform, Channel.TELEGRAM)
    code = await tg.issue(platform)
    assert len(code.code) == 8 and code.code.isdigit()
    assert code.shown == f"{code.code[:4]} {code.code[4:]}"  # «1234 5678»
    assert code.expires_at == clock.now() + linking.CODE_TTL
    async with platform.db.sessions() as session:
        [row] = (await session.scalars(select(t.LinkCode))).all()
    assert row.citizen_id == tg.citizen_id and row.used_at is None
    assert code.code not in row.code_hash and len(row.code_hash) == 64


async def test_a_new_code_replaces_the_previous_one(platform: Platform) -> None:
    tg, vk = await person(platform, Channel.TELEGRAM), await person(platform, Channel.VK)
    first = await tg.issue(platform)
    second = await tg.issue(platform)
    async with platform.db.sessions() as session:
        assert len((await session.scalars(select(t.LinkCode))).all()) == 1
    if first.code != second.code:  # one chance in 10**8 they are the same digits
        await refused(vk.redeem(platform, first.code), Refusal.WRONG)
    assert (await vk.redeem(platform, second.code)).citizen_id == tg.citizen_id


async def test_the_same_digits_as_a_live_code_are_drawn_again(
        platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter([11111111, 11111111, 22222222, 22222222])
    monkeypatch.setattr("core.services.linking.secrets.randbelow", lambda _n: next(draws))
    first, second = (await person(platform, Channel.TELEGRAM),
                     await person(platform, Channel.TELEGRAM))
    vk = await person(platform, Channel.VK)
    assert (await first.issue(platform)).code == "11111111"
    assert (await second.issue(platform)).code == "22222222"  # 11111111 is live: drawn again
    # A spent code's digits may be handed out again.
    await vk.redeem(platform, "22222222")
    third = await person(platform, Channel.TELEGRAM)
    assert (await third.issue(platform)).code == "22222222"
    async with platform.db.sessions() as session:
        owners = {r.citizen_id for r in (await session.scalars(select(t.LinkCode)))}
    assert owners == {first.citizen_id, third.citizen_id}


async def test_no_code_without_consent(platform: Platform) -> None:
    ref = CitizenRef(Channel.TELEGRAM, "no-consent")
    filed = await f.file_message(platform, citizen=ref)  # a citizen stored without consent
    async with platform.db.sessions() as session:
        citizen_id = (await session.get(t.Message, filed.id)).citizen_id  # type: ignore[union-attr]
    await refused(issue_link_code(platform, citizen_id=citizen_id, channel=Channel.TELEGRAM,
                                  external_id="no-consent"), Refusal.NO_CONSENT)


# -- linking -----------------------------------------------------------------------------------
async def test_link_moves_everything_to_the_citizen_who_got_the_code(
        platform: Platform, clock: FixedClock, caplog: pytest.LogCaptureFixture) -> None:
    vk = await person(platform, Channel.VK)  # consented first
    vk_consented = clock.now()
    await update_contacts(platform, citizen_id=vk.citizen_id, name="Анна", phone="+79131234567")
    clock.advance(days=1)
    tg = await person(platform, Channel.TELEGRAM)
    await update_contacts(platform, citizen_id=tg.citizen_id, name="Аня")
    in_tg = await f.file_message(platform, citizen=tg.ref)
    in_vk = await f.file_message(platform, citizen=vk.ref, source=Source.VK)
    assert await f.outbox(platform, in_vk.id)  # «registered», addressed to the VK account
    code = await tg.issue(platform)

    caplog.set_level(logging.INFO, logger="pos.audit")
    result = await vk.redeem(platform, code.shown)  # «1234 5678», as shown

    assert result.citizen_id == tg.citizen_id and result.merged_citizen_id == vk.citizen_id
    assert not result.already_linked and result.issuing_channel is Channel.TELEGRAM
    assert result.messages == 2
    assert await owner(platform, vk.ref) == tg.citizen_id
    assert await citizen_row(platform, vk.citizen_id) is None
    for msg in (in_tg, in_vk):
        assert (await f.message_row(platform, msg.id)).citizen_id == tg.citizen_id
        assert {e.actor_citizen_id for e in await f.events(platform, msg.id)} <= {
            None, tg.citizen_id}
    assert {o.citizen_id for o in await f.outbox(platform)} == {tg.citizen_id}
    # Nothing anywhere still points at the citizen who joined.
    async with platform.db.sessions() as session:
        for table, column in linking._citizen_references():
            left = await session.scalar(select(func.count()).select_from(table)
                                        .where(column == vk.citizen_id))
            assert left == 0, table.name
    kept = await citizen_row(platform, tg.citizen_id)
    assert kept is not None
    assert (kept.name, kept.phone) == ("Аня", "+79131234567")  # own name kept, phone filled
    assert kept.consent_at == vk_consented  # the earlier consent
    [record] = [r for r in caplog.records if r.name == "pos.audit"]
    assert record.audit["change"] == "citizen.link"  # type: ignore[attr-defined]
    assert record.audit["merged_citizen_id"] == vk.citizen_id  # type: ignore[attr-defined]
    assert vk.ref.external_id not in record.getMessage()  # no messenger ids in the log


async def test_code_is_accepted_with_or_without_spaces(platform: Platform) -> None:
    for typed in ("{d}", "{a} {b}", " {a}-{b} ", "{a}  {b}\n", "{p} {q} {b}"):
        tg, vk = await person(platform, Channel.TELEGRAM), await person(platform, Channel.VK)
        code = await tg.issue(platform)
        entered = typed.format(d=code.code, a=code.code[:4], b=code.code[4:],
                               p=code.code[:2], q=code.code[2:4])
        assert (await vk.redeem(platform, entered)).citizen_id == tg.citizen_id


async def test_the_other_direction_works_too(platform: Platform) -> None:
    tg, vk = await person(platform, Channel.TELEGRAM), await person(platform, Channel.VK)
    code = await vk.issue(platform)
    result = await tg.redeem(platform, code.code)
    assert result.citizen_id == vk.citizen_id and result.issuing_channel is Channel.VK
    assert await owner(platform, tg.ref) == vk.citizen_id


# -- refusals ----------------------------------------------------------------------------------
async def test_wrong_code_is_refused_and_counted(platform: Platform) -> None:
    tg, vk = await person(platform, Channel.TELEGRAM), await person(platform, Channel.VK)
    code = await tg.issue(platform)
    text = await refused(vk.redeem(platform, wrong(code)), Refusal.WRONG)
    assert text == linking.WRONG_TEXT
    assert await failures(platform) == 1
    assert await owner(platform, vk.ref) == vk.citizen_id


@pytest.mark.parametrize("typed", ["123456", "1234567", "123456789", "абвгдежз", "",
                                   "1234 567a", "１２３４５６７８"])
async def test_not_a_code_is_explained_and_not_counted(platform: Platform, typed: str) -> None:
    vk = await person(platform, Channel.VK)
    assert await refused(vk.redeem(platform, typed), Refusal.FORMAT) == linking.FORMAT_TEXT
    assert await failures(platform) == 0


async def test_expired_code(platform: Platform, clock: FixedClock) -> None:
    tg, vk = await person(platform, Channel.TELEGRAM), await person(platform, Channel.VK)
    code = await tg.issue(platform)
    clock.advance(minutes=10)
    assert "истёк" in await refused(vk.redeem(platform, code.code), Refusal.EXPIRED)


async def test_code_works_until_it_expires(platform: Platform, clock: FixedClock) -> None:
    tg, vk = await person(platform, Channel.TELEGRAM), await person(platform, Channel.VK)
    code = await tg.issue(platform)
    clock.advance(minutes=9, seconds=59)
    assert (await vk.redeem(platform, code.code)).citizen_id == tg.citizen_id


async def test_code_works_once(platform: Platform) -> None:
    tg, vk = await person(platform, Channel.TELEGRAM), await person(platform, Channel.VK)
    other_vk = await person(platform, Channel.VK)
    code = await tg.issue(platform)
    await vk.redeem(platform, code.code)
    assert "использован" in await refused(other_vk.redeem(platform, code.code), Refusal.USED)
    assert await owner(platform, other_vk.ref) == other_vk.citizen_id


async def test_code_from_the_same_channel_is_refused(platform: Platform) -> None:
    tg, other_tg = await person(platform, Channel.TELEGRAM), await person(platform,
                                                                          Channel.TELEGRAM)
    code = await tg.issue(platform)
    for who in (tg, other_tg):
        text = await refused(who.redeem(platform, code.code), Refusal.SAME_CHANNEL)
        assert "Введите код в другом мессенджере" in text
    assert await owner(platform, other_tg.ref) == other_tg.citizen_id


async def test_already_linked_is_said_and_changes_nothing(platform: Platform) -> None:
    tg, vk = await person(platform, Channel.TELEGRAM), await person(platform, Channel.VK)
    await vk.redeem(platform, (await tg.issue(platform)).code)
    fresh = await tg.issue(platform)
    result = await vk.redeem(platform, fresh.code)
    assert result.already_linked and result.merged_citizen_id is None
    assert result.citizen_id == tg.citizen_id
    async with platform.db.sessions() as session:
        row = (await session.scalars(select(t.LinkCode))).one()
    assert row.used_at is None  # still good for... nothing, but not spent
    assert await failures(platform) == 0
    # The code that linked them, entered again, says the same.
    assert (await vk.redeem(platform, fresh.code)).already_linked


async def test_one_account_per_channel(platform: Platform) -> None:
    tg, vk = await person(platform, Channel.TELEGRAM), await person(platform, Channel.VK)
    await vk.redeem(platform, (await tg.issue(platform)).code)
    second_tg = await person(platform, Channel.TELEGRAM)
    # The VK account (linked to a Telegram account already) enters another Telegram's code.
    text = await refused(vk.redeem(platform, (await second_tg.issue(platform)).code),
                         Refusal.CONFLICT)
    assert "к этому аккаунту уже привязан другой аккаунт Telegram" in text
    # Another VK account enters the code of the citizen who has a VK account already.
    second_vk = await person(platform, Channel.VK)
    text = await refused(second_vk.redeem(platform, (await tg.issue(platform)).code),
                         Refusal.CONFLICT)
    assert "уже привязан другой аккаунт VK" in text
    assert await owner(platform, second_tg.ref) == second_tg.citizen_id
    assert await owner(platform, second_vk.ref) == second_vk.citizen_id
    async with platform.db.sessions() as session:  # the refused codes are still unspent
        assert all(row.used_at is None for row in (await session.scalars(select(t.LinkCode))))


async def test_guessing_is_locked_for_an_hour(platform: Platform, clock: FixedClock) -> None:
    tg, vk = await person(platform, Channel.TELEGRAM), await person(platform, Channel.VK)
    code = await tg.issue(platform)
    for n in range(1, MAX_FAILURES + 1):
        clock.advance(minutes=1)
        text = await refused(vk.redeem(platform, wrong(code)), Refusal.WRONG)
        assert ("Попыток больше нет" in text) == (n == MAX_FAILURES)
    # Locked: even the right code is not looked at, and that costs no attempt.
    text = await refused(vk.redeem(platform, code.code), Refusal.LOCKED)
    # The first failure was at 12:01 Novosibirsk time; the lock ends an hour after it.
    assert "после 13:01" in text and "через 56 мин." in text, text
    assert await failures(platform) == MAX_FAILURES
    # Another account is not locked by this one's guesses.
    other_vk = await person(platform, Channel.VK)
    await refused(other_vk.redeem(platform, wrong(code)), Refusal.WRONG)
    # An hour after the first failure one attempt is back.
    clock.advance(minutes=56)
    code = await tg.issue(platform)  # the first one expired meanwhile
    assert (await vk.redeem(platform, code.code)).citizen_id == tg.citizen_id


async def test_refused_codes_of_every_kind_count(platform: Platform, clock: FixedClock) -> None:
    tg, vk = await person(platform, Channel.TELEGRAM), await person(platform, Channel.VK)
    other_vk = await person(platform, Channel.VK)
    code = await vk.issue(platform)
    await refused(other_vk.redeem(platform, code.code), Refusal.SAME_CHANNEL)
    clock.advance(minutes=11)
    await refused(tg.redeem(platform, code.code), Refusal.EXPIRED)
    assert await failures(platform) == 2


async def test_two_redemptions_of_one_code_at_once_one_wins(platform: Platform) -> None:
    tg = await person(platform, Channel.TELEGRAM)
    racers = [await person(platform, Channel.VK) for _ in range(4)]
    code = await tg.issue(platform)
    outcomes = await asyncio.gather(*(r.redeem(platform, code.code) for r in racers),
                                    return_exceptions=True)
    won = [o for o in outcomes if isinstance(o, linking.LinkResult)]
    lost = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(won) == 1 and len(lost) == 3, outcomes
    assert len(await notices(platform)) == 1
    assert all(e.details["reason"] == Refusal.USED.value for e in lost)
    linked = [r for r in racers if await owner(platform, r.ref) == tg.citizen_id]
    assert len(linked) == 1


async def test_two_codes_entered_crosswise_at_once(platform: Platform) -> None:
    """Each account enters the other's code at the same moment: one link, never a citizen
    left without identities or a half-done merge."""
    tg, vk = await person(platform, Channel.TELEGRAM), await person(platform, Channel.VK)
    tg_code, vk_code = await tg.issue(platform), await vk.issue(platform)
    outcomes = await asyncio.gather(vk.redeem(platform, tg_code.code),
                                    tg.redeem(platform, vk_code.code), return_exceptions=True)
    assert any(isinstance(o, linking.LinkResult) for o in outcomes), outcomes
    assert await owner(platform, tg.ref) == await owner(platform, vk.ref)
    async with platform.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(t.Citizen)) == 1


# -- the platform-wide budget ------------------------------------------------------------------
async def add_failures(p: Platform, n: int, clock: FixedClock) -> None:
    """Refused codes of ``n`` throwaway accounts, one each, now."""
    async with p.db.core_transaction() as conn:
        await conn.execute(insert(t.LINK_FAILURES), [
            {"channel": "vk", "external_id": f"throwaway-{i}", "failed_at": clock.now()}
            for i in range(n)])


async def test_many_accounts_guessing_suspend_linking_for_ten_minutes(
        platform: Platform, clock: FixedClock) -> None:
    tg, vk = await person(platform, Channel.TELEGRAM), await person(platform, Channel.VK)
    guesser = await person(platform, Channel.VK)
    await add_failures(platform, LINK_GLOBAL_FAILURES - 1, clock)
    clock.advance(minutes=5)
    code = await tg.issue(platform)
    # Up to the budget every account is heard: the 50th refusal is an ordinary one.
    await refused(guesser.redeem(platform, wrong(code)), Refusal.WRONG)
    assert await failures(platform) == LINK_GLOBAL_FAILURES
    await refused(guesser.redeem(platform, wrong(code)), Refusal.WRONG)  # the 51st: over it
    # Now every redemption is refused, the right code too, and these refusals are not counted.
    text = await refused(vk.redeem(platform, code.code), Refusal.SUSPENDED)
    assert text == "Привязка временно недоступна — попробуйте через 10 минут."
    await refused(guesser.redeem(platform, wrong(code)), Refusal.SUSPENDED)
    assert await failures(platform) == LINK_GLOBAL_FAILURES + 1
    assert await owner(platform, vk.ref) == vk.citizen_id and await notices(platform) == []
    clock.advance(minutes=4, seconds=59)
    await refused(vk.redeem(platform, code.code), Refusal.SUSPENDED)
    # Ten minutes after the first 49 they leave the window: two refusals in it, linking is back.
    clock.advance(seconds=1)
    assert (await vk.redeem(platform, code.code)).citizen_id == tg.citizen_id


async def test_an_identity_locked_out_hears_its_own_lock_first(
        platform: Platform, clock: FixedClock) -> None:
    tg, vk = await person(platform, Channel.TELEGRAM), await person(platform, Channel.VK)
    code = await tg.issue(platform)
    for _ in range(MAX_FAILURES):
        await refused(vk.redeem(platform, wrong(code)), Refusal.WRONG)
    await add_failures(platform, LINK_GLOBAL_FAILURES, clock)
    await refused(vk.redeem(platform, code.code), Refusal.LOCKED)
    assert await failures(platform) == LINK_GLOBAL_FAILURES + MAX_FAILURES


# -- telling the issuing account ---------------------------------------------------------------
@pytest.mark.parametrize(("issuing", "entering", "named"), [
    (Channel.TELEGRAM, Channel.VK, "ВКонтакте"), (Channel.VK, Channel.TELEGRAM, "Telegram")])
async def test_the_account_that_showed_the_code_is_told_of_the_link(
        platform: Platform, issuing: Channel, entering: Channel, named: str) -> None:
    shower, enterer = await person(platform, issuing), await person(platform, entering)
    await enterer.redeem(platform, (await shower.issue(platform)).code)
    [row] = await notices(platform)
    assert (row.channel, row.recipient) == (issuing.value, shower.ref.external_id)
    assert row.citizen_id == shower.citizen_id and row.message_id is None
    assert row.status == "pending" and row.payload == {"channel": entering.value}
    reply = notice_reply(row.kind, row.payload)
    assert reply.text == (f"Ваш аккаунт {named} привязан к этому аккаунту: теперь ваши "
                          "сообщения видны в обоих мессенджерах. Если это были не вы — "
                          "напишите /unlink.")
    assert reply.buttons == () and not reply.media and not reply.documents
    # The accounts that joined are known, for /unlink.
    assert await joins(platform) == {(entering.value, enterer.ref.external_id,
                                      shower.citizen_id)}
    # Nothing more is said for a code of the same citizen, nor for a refused one.
    await enterer.redeem(platform, (await shower.issue(platform)).code)
    await refused(enterer.redeem(platform, "00000000"), Refusal.WRONG)
    assert len(await notices(platform)) == 1


# -- unlinking ---------------------------------------------------------------------------------
async def linked_with_messages(p: Platform) -> tuple[Person, Person, int, int]:
    """A Telegram citizen (name given) whose code a VK account entered; a message of each."""
    tg, vk = await person(p, Channel.TELEGRAM), await person(p, Channel.VK)
    await update_contacts(p, citizen_id=tg.citizen_id, name="Анна")
    in_tg = (await f.file_message(p, citizen=tg.ref)).id
    in_vk = (await f.file_message(p, citizen=vk.ref, source=Source.VK)).id
    await vk.redeem(p, (await tg.issue(p)).code)
    return tg, vk, in_tg, in_vk


async def assert_kept(p: Platform, tg: Person, *messages: int) -> None:
    """The Telegram citizen still has its record, consent and every message."""
    assert await owner(p, tg.ref) == tg.citizen_id
    kept = await citizen_row(p, tg.citizen_id)
    assert kept is not None and kept.consent_at is not None and kept.name == "Анна"
    for msg in messages:
        assert (await f.message_row(p, msg)).citizen_id == tg.citizen_id


async def assert_fresh(p: Platform, who: Person, left: Person,
                       result: UnlinkResult | None = None) -> int:
    """``who`` has a new citizen of its own, apart from ``left``'s: no consent, no contacts,
    no messages. (SQLite may give it the id of the citizen deleted by the link.)"""
    new = await owner(p, who.ref)
    assert new != await owner(p, left.ref) and (result is None or new == result.citizen_id)
    row = await citizen_row(p, new)
    assert row is not None and row.consent_at is None and row.name is None
    async with p.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(t.Message)
                                    .where(t.Message.citizen_id == new)) == 0
    return new


async def test_unlink_by_the_account_that_joined_detaches_it(
        platform: Platform, caplog: pytest.LogCaptureFixture) -> None:
    tg, vk, in_tg, in_vk = await linked_with_messages(platform)
    caplog.set_level(logging.INFO, logger="pos.audit")

    result = await vk.unlink(platform)

    assert result.self_detached and result.others == (Channel.TELEGRAM,)
    new = await assert_fresh(platform, vk, tg, result)
    await assert_kept(platform, tg, in_tg, in_vk)  # its own message stays with the citizen
    assert await joins(platform) == set()
    # It must consent again before anything else, a new code included.
    await refused(issue_link_code(platform, citizen_id=new, channel=Channel.VK,
                                  external_id=vk.ref.external_id), Refusal.NO_CONSENT)
    [record] = [r for r in caplog.records if r.name == "pos.audit"]
    assert record.audit["change"] == "citizen.unlink"  # type: ignore[attr-defined]
    assert vk.ref.external_id not in record.getMessage()
    # Asked again, there is nothing left to undo.
    again = await unlink_identity(platform, citizen_id=new, channel=Channel.VK,
                                  external_id=vk.ref.external_id)
    assert again == UnlinkResult(new, False, ())


async def test_unlink_by_the_warned_account_detaches_the_one_that_joined(
        platform: Platform) -> None:
    """The attack: a stranger's VK account guessed the Telegram citizen's code. Told in
    Telegram, the citizen sends /unlink there: the stranger leaves, the citizen keeps all."""
    tg, vk, in_tg, in_vk = await linked_with_messages(platform)
    # A code the stranger shows now would join someone else to the citizen.
    stranger_code = await issue_link_code(platform, citizen_id=tg.citizen_id,
                                          channel=Channel.VK, external_id=vk.ref.external_id)
    [registered] = await f.outbox(platform, in_vk)  # still waiting, for the VK account
    assert (registered.channel, registered.status) == ("vk", "pending")

    result = await tg.unlink(platform)

    assert result == UnlinkResult(tg.citizen_id, False, (Channel.VK,))
    await assert_fresh(platform, vk, tg)
    await assert_kept(platform, tg, in_tg, in_vk)
    assert await joins(platform) == set()
    # The stranger's code is gone; what was waiting for the stranger goes to Telegram now.
    other_tg = await person(platform, Channel.TELEGRAM)
    await refused(other_tg.redeem(platform, stranger_code.code), Refusal.WRONG)
    [registered] = await f.outbox(platform, in_vk)
    assert (registered.channel, registered.recipient) == ("telegram", tg.ref.external_id)
    [notice] = await notices(platform)
    assert notice.recipient == tg.ref.external_id and notice.status == "pending"


async def test_the_account_that_joined_cannot_push_the_other_out(platform: Platform) -> None:
    tg, vk, in_tg, in_vk = await linked_with_messages(platform)
    assert (await vk.unlink(platform)).self_detached  # whichever side asks, it leaves
    await assert_kept(platform, tg, in_tg, in_vk)


async def test_without_a_known_join_the_asking_account_leaves(platform: Platform) -> None:
    tg, vk, in_tg, _in_vk = await linked_with_messages(platform)
    async with platform.db.core_transaction() as conn:
        await conn.execute(delete(linking._LJ))

    result = await tg.unlink(platform)

    assert result.self_detached and result.others == (Channel.VK,)
    await assert_fresh(platform, tg, vk, result)
    assert await owner(platform, vk.ref) == tg.citizen_id  # the record stays where it was
    # The notice for Telegram is dropped; message notifications for Telegram go to VK.
    [notice] = await notices(platform)
    assert notice.status == "dead"
    [registered] = await f.outbox(platform, in_tg)
    assert (registered.channel, registered.recipient) == ("vk", vk.ref.external_id)


async def test_unlink_when_nothing_is_linked(platform: Platform) -> None:
    tg = await person(platform, Channel.TELEGRAM)
    assert await tg.unlink(platform) == UnlinkResult(tg.citizen_id, False, ())
    assert await owner(platform, tg.ref) == tg.citizen_id
