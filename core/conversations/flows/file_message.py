"""Filing a message: topic, text, photos, address, summary, send."""

from __future__ import annotations

import logging
import secrets

from core.conversations import texts as tx
from core.conversations.catalogue import MIN_QUERY, catalogue
from core.conversations.events import Event, FileTooLarge
from core.conversations.flows.common import GlobalHandler, Paging, nav_row, short
from core.conversations.flows.menu import show_menu
from core.conversations.payloads import Payload
from core.conversations.replies import Button, Request
from core.conversations.turn import Step, Turn
from core.domain.errors import ValidationError
from core.ports import StoredFile
from core.services.directory import SubcategoryInfo
from core.services.intake import ADDRESS_MAX_LENGTH, clean_text, store_photo, submit_message

FLOW = "file"
ADDRESS_MIN_LENGTH = 5
DONE_WORDS = {"готово", "далее", "дальше", "пропустить", "без фото", "нет"}
CANCEL_WORDS = {"отменить", "отмена", tx.CANCEL.lower()}
log = logging.getLogger(__name__)


def _cancel_button(turn: Turn, row: int) -> Button:
    return turn.button(tx.CANCEL, "cancel", row=row)


async def cancel(turn: Turn) -> None:
    turn.say(tx.CANCELLED)
    await show_menu(turn)


async def start(turn: Turn) -> None:
    await turn.goto(FLOW, CategoryStep.name, data={"draft": secrets.token_hex(8), "photos": []})


async def advance(turn: Turn, next_step: str) -> None:
    """Go on to the next step, or back to the summary when the citizen is editing."""
    await turn.goto(FLOW, SummaryStep.name if turn.data.get("editing") else next_step)


def _days(turn: Turn, sub: SubcategoryInfo) -> tuple[int, bool]:
    """The answer time the citizen can expect, with the region's own rules when we know it."""
    territory = turn.data.get("territory")
    if territory is not None:
        region_id = turn.d.territories[territory].region_id
    elif len(turn.d.regions) == 1:
        region_id = next(iter(turn.d.regions))
    else:
        return (sub.fast_track_days if sub.fast_track else sub.answer_days), sub.fast_track
    policy = turn.d.policy(region_id, sub.id)
    return policy.days(fast_track=policy.fast_track), policy.fast_track


# -- topic --------------------------------------------------------------------------------
async def search(turn: Turn, text: str) -> None:
    query = " ".join(text.split())[:60]
    if not any(len(w) >= MIN_QUERY for w in query.split()):
        turn.say(tx.SEARCH_SHORT)
        return
    # The results and «all topics» below them, one per row.
    found = catalogue(turn.d).search(query, limit=turn.limits.fit(rows_used=1, buttons_used=1))
    if not found:
        turn.say(tx.SEARCH_NONE.format(query=query))
        await turn.goto(FLOW, CategoryStep.name)
        return
    buttons = [turn.button(short(s.name), "sub", s.id, row=i) for i, s in enumerate(found)]
    buttons.append(turn.button(tx.ALL_TOPICS, "topics", row=len(found)))
    turn.say(tx.SEARCH_FOUND.format(query=query), buttons=buttons)


async def choose(turn: Turn, subcategory_id: int | None) -> None:
    sub = turn.d.subcategories.get(subcategory_id) if subcategory_id is not None else None
    if sub is None or not sub.is_active:
        turn.say(tx.SUBCATEGORY_GONE)
        await turn.goto(FLOW, CategoryStep.name)
        return
    turn.data["sub"] = sub.id
    days, fast = _days(turn, sub)
    if fast:
        turn.say(tx.FAST_TRACK.format(days=days))
    await advance(turn, TextStep.name)


class _TopicStep(Step):
    async def on_text(self, turn: Turn, text: str) -> None:
        await search(turn, text)

    async def on_button(self, turn: Turn, action: str, args: tuple[str, ...]) -> None:
        match action:
            case "sub":
                await choose(turn, _int(args, 0))
            case "topics":
                turn.data["page"] = 0
                await turn.goto(FLOW, CategoryStep.name)
            case "cancel":
                await cancel(turn)
            case "noop":
                return
            case _:
                await self.paging(turn, action, args)

    async def paging(self, turn: Turn, action: str, args: tuple[str, ...]) -> None:
        await self.unexpected(turn)


class CategoryStep(_TopicStep):
    flow, name = FLOW, "category"

    async def enter(self, turn: Turn, *, replace: bool = False) -> None:
        cat = catalogue(turn.d)
        shortcuts = cat.fast_track
        shortcut_rows = -(-len(shortcuts) // 2)
        # Below the list: the arrows (up to three buttons) and «cancel», a row each.
        paging = Paging(
            len(cat.categories),
            first=turn.limits.fit(rows_used=shortcut_rows + 2, buttons_used=len(shortcuts) + 4),
            rest=turn.limits.fit(rows_used=2, buttons_used=4))
        page = paging.clamp(int(turn.data.get("page", 0)))
        buttons: list[Button] = []
        row = 0
        text = tx.CHOOSE_CATEGORY
        if page == 0 and shortcuts:
            text += "\n\n" + tx.FAST_SHORTCUTS
            for i, sub in enumerate(shortcuts):
                buttons.append(turn.button("⚡ " + short(sub.name, 30), "sub", sub.id,
                                           row=row + i // 2))
            row += shortcut_rows
        start, end = paging.bounds(page)
        for category in cat.categories[start:end]:
            buttons.append(turn.button(short(category.name), "cat", category.id, row=row))
            row += 1
        buttons += nav_row(turn, page=page, total_pages=paging.count, action="pg", row=row)
        buttons.append(_cancel_button(turn, row + 1))
        turn.say(text, buttons=buttons, replace=replace)

    async def paging(self, turn: Turn, action: str, args: tuple[str, ...]) -> None:
        if action == "pg":
            turn.data["page"] = _int(args, 0) or 0
            await self.enter(turn, replace=True)
        elif action == "cat" and _int(args, 0) in turn.d.categories:
            turn.data["cat"], turn.data["sub_page"] = _int(args, 0), 0
            await turn.goto(FLOW, SubcategoryStep.name)
        else:
            await self.unexpected(turn)


class SubcategoryStep(_TopicStep):
    flow, name = FLOW, "subcategory"

    async def enter(self, turn: Turn, *, replace: bool = False) -> None:
        cat = catalogue(turn.d)
        category_id = turn.data.get("cat")
        subs = cat.subcategories.get(category_id, ()) if isinstance(category_id, int) else ()
        if not subs:
            await turn.goto(FLOW, CategoryStep.name)
            return
        # Below the list: the arrows, then «all topics» and «cancel».
        size = turn.limits.fit(rows_used=2, buttons_used=5)
        paging = Paging(len(subs), first=size, rest=size)
        page = paging.clamp(int(turn.data.get("sub_page", 0)))
        start, end = paging.bounds(page)
        buttons = [turn.button(("⚡ " if s.fast_track else "") + short(s.name, 38), "sub", s.id,
                               row=i)
                   for i, s in enumerate(subs[start:end])]
        row = len(buttons)
        buttons += nav_row(turn, page=page, total_pages=paging.count, action="pg", row=row)
        buttons += [turn.button(tx.ALL_TOPICS, "topics", row=row + 1),
                    _cancel_button(turn, row + 1)]
        name = turn.d.categories[subs[0].category_id].name
        turn.say(tx.CHOOSE_SUBCATEGORY.format(category=name),
                 buttons=buttons, replace=replace)

    async def paging(self, turn: Turn, action: str, args: tuple[str, ...]) -> None:
        if action == "pg":
            turn.data["sub_page"] = _int(args, 0) or 0
            await self.enter(turn, replace=True)
        else:
            await self.unexpected(turn)


# -- text ---------------------------------------------------------------------------------
class TextStep(Step):
    flow, name, expects = FLOW, "text", tx.TEXT_EXPECTED

    async def enter(self, turn: Turn) -> None:
        s = turn.p.settings
        turn.say(tx.ASK_TEXT.format(min=s.message_min_length, max=s.message_max_length),
                 buttons=[turn.button(tx.BACK, "back", row=0), _cancel_button(turn, 0)])

    async def on_text(self, turn: Turn, text: str) -> None:
        try:
            turn.data["text"] = clean_text(turn.p.settings, text)
        except ValidationError as error:
            turn.say(error.message)
            return
        await advance(turn, PhotosStep.name)

    async def on_photo(self, turn: Turn, event: Event) -> None:
        # A photo with a caption is the usual way to write about a problem in a messenger.
        added = await add_photo(turn, event)
        if event.text.strip():
            await self.on_text(turn, event.text)
        elif added:
            turn.say(tx.TEXT_PHOTO_FIRST)

    async def on_button(self, turn: Turn, action: str, args: tuple[str, ...]) -> None:
        if action == "back":
            await turn.goto(FLOW, SummaryStep.name if turn.data.get("editing")
                            else CategoryStep.name)
        elif action == "cancel":
            await cancel(turn)
        else:
            await self.unexpected(turn)


# -- photos -------------------------------------------------------------------------------
async def add_photo(turn: Turn, event: Event) -> bool:
    """Download, check and keep one photo; say what is wrong otherwise."""
    photos: list[dict[str, object]] = turn.data.setdefault("photos", [])
    limit = turn.p.settings.max_photos
    if len(photos) >= limit:
        turn.say(tx.PHOTOS_FULL.format(max=limit))
        return False
    assert event.photo is not None
    max_bytes = turn.p.settings.max_photo_bytes
    if event.photo.size is not None and event.photo.size > max_bytes:
        turn.say(tx.PHOTO_TOO_BIG.format(mb=max_bytes // (1024 * 1024)))
        return False
    try:
        data = await event.photo.fetch()
    except FileTooLarge:
        turn.say(tx.PHOTO_TOO_BIG.format(mb=max_bytes // (1024 * 1024)))
        return False
    except Exception:  # the channel's download failed: ask again, lose nothing collected
        log.warning("photo download failed", exc_info=True)
        turn.say(tx.PHOTO_DOWNLOAD_FAILED)
        return False
    try:
        stored = await store_photo(turn.p, data)
    except ValidationError as error:
        turn.say(error.message)
        return False
    if any(p["key"] == stored.key for p in photos):
        turn.say(tx.PHOTO_TWICE)
        return False
    photos.append({"key": stored.key, "type": stored.content_type, "size": stored.size})
    return True


class PhotosStep(Step):
    flow, name, expects = FLOW, "photos", tx.PHOTOS_EXPECTED

    async def enter(self, turn: Turn) -> None:
        count = len(turn.data.get("photos", []))
        text = tx.ASK_PHOTOS.format(max=turn.p.settings.max_photos)
        if count:
            text += f"\n\nУже добавлено: {count}."
        turn.say(text, buttons=self._buttons(turn, count))

    def _buttons(self, turn: Turn, count: int) -> list[Button]:
        buttons = [turn.button(tx.DONE if count else tx.NO_PHOTOS, "done", row=0)]
        if count:
            buttons.append(turn.button(tx.CLEAR_PHOTOS, "clear", row=1))
        buttons.append(_cancel_button(turn, 2))
        return buttons

    async def on_photo(self, turn: Turn, event: Event) -> None:
        if not await add_photo(turn, event):
            return
        count, limit = len(turn.data["photos"]), turn.p.settings.max_photos
        if count >= limit:
            turn.say(tx.PHOTOS_FULL.format(max=limit))
            await advance(turn, AddressStep.name)
            return
        turn.say(tx.PHOTO_ADDED.format(n=count, max=limit), buttons=self._buttons(turn, count))

    async def on_text(self, turn: Turn, text: str) -> None:
        if text.strip().lower() in DONE_WORDS:
            await advance(turn, AddressStep.name)
        else:
            turn.say(tx.PHOTOS_EXPECTED,
                     buttons=self._buttons(turn, len(turn.data.get("photos", []))))

    async def on_button(self, turn: Turn, action: str, args: tuple[str, ...]) -> None:
        match action:
            case "done":
                await advance(turn, AddressStep.name)
            case "clear":
                turn.data["photos"] = []
                turn.say(tx.PHOTOS_CLEARED)
                await self.enter(turn)
            case "cancel":
                await cancel(turn)
            case _:
                await self.unexpected(turn)


# -- address ------------------------------------------------------------------------------
class AddressStep(Step):
    flow, name, expects = FLOW, "address", tx.ADDRESS_EXPECTED

    async def enter(self, turn: Turn) -> None:
        turn.say(tx.ASK_ADDRESS, request=Request.LOCATION, request_label=tx.SEND_LOCATION,
                 keyboard_texts=(tx.CANCEL,))

    async def on_text(self, turn: Turn, text: str) -> None:
        address = " ".join(text.split())
        if address.lower() in CANCEL_WORDS:
            await cancel(turn)
            return
        if len(address) < ADDRESS_MIN_LENGTH or not any(ch.isalpha() for ch in address):
            turn.say(tx.ADDRESS_SHORT)
            return
        if len(address) > ADDRESS_MAX_LENGTH:
            turn.say(tx.ADDRESS_LONG.format(max=ADDRESS_MAX_LENGTH))
            return
        territory = turn.d.resolve_territory(address)
        if territory is None:
            turn.say(tx.ADDRESS_UNKNOWN)
            return
        turn.data.update(address=address, territory=territory, lat=None, lon=None)
        turn.say(tx.ADDRESS_OK.format(address=address))
        await turn.goto(FLOW, SummaryStep.name)

    async def on_location(self, turn: Turn, latitude: float, longitude: float) -> None:
        territory = None
        if -90 <= latitude <= 90 and -180 <= longitude <= 180:
            territory = turn.d.locate(latitude, longitude)
        if territory is None:
            turn.say(tx.LOCATION_OUTSIDE.format(region=turn.region_name))
            return
        turn.data.update(address=None, territory=territory, lat=latitude, lon=longitude)
        turn.say(tx.ADDRESS_OK.format(address=_place(turn)))
        await turn.goto(FLOW, SummaryStep.name)


def _place(turn: Turn) -> str:
    data = turn.data
    if data.get("address"):
        return str(data["address"])
    if data.get("lat") is not None:
        return tx.POINT.format(lat=data["lat"], lon=data["lon"],
                               territory=turn.d.territories[data["territory"]].name)
    return "—"


# -- summary and sending ------------------------------------------------------------------
class SummaryStep(Step):
    flow, name, expects = FLOW, "summary", tx.SUMMARY_EXPECTED

    async def enter(self, turn: Turn) -> None:
        data = turn.data
        missing = _first_missing(data)
        if missing is not None:
            await turn.goto(FLOW, missing)
            return
        sub = turn.d.subcategories[data["sub"]]
        days, fast = _days(turn, sub)
        turn.say(tx.SUMMARY.format(
            category=turn.d.categories[sub.category_id].name, subcategory=sub.name,
            text=data["text"], photos=len(data.get("photos", [])) or "нет",
            address=_place(turn), days=days, fast=" ⚡ срочная тема" if fast else ""),
            buttons=[turn.button(tx.SEND, "send", row=0), turn.button(tx.EDIT, "edit", row=1),
                     _cancel_button(turn, 1)])

    async def on_button(self, turn: Turn, action: str, args: tuple[str, ...]) -> None:
        match action:
            case "send":
                await send(turn)
            case "edit":
                turn.data["editing"] = True
                await turn.goto(FLOW, EditStep.name)
            case "cancel":
                await cancel(turn)
            case _:
                await self.unexpected(turn)


def _first_missing(data: dict[str, object]) -> str | None:
    if not data.get("sub"):
        return CategoryStep.name
    if not data.get("text"):
        return TextStep.name
    if data.get("territory") is None:
        return AddressStep.name
    return None


FIELD_STEP = {"text": TextStep.name, "address": AddressStep.name, "location": AddressStep.name,
              "subcategory": CategoryStep.name, "photos": PhotosStep.name}


async def send(turn: Turn) -> None:
    data = turn.data
    try:
        result = await submit_message(
            turn.p, citizen=turn.citizen, subcategory=data["sub"], text=data["text"],
            source=turn.source, address=data.get("address"), territory=data["territory"],
            latitude=data.get("lat"), longitude=data.get("lon"),
            photos=[StoredFile(p["key"], p["type"], p["size"]) for p in data.get("photos", [])],
            idempotency_key=f"dialog:{data['draft']}", notify=False)
    except ValidationError as error:
        turn.say(tx.SUBMIT_FAILED.format(error=error.message))
        step = FIELD_STEP.get(str(error.details.get("field", "")))
        if step is not None:
            turn.data["editing"] = True
            await turn.goto(FLOW, step)
        return
    turn.say(tx.REGISTERED.format(
        number=result.number, organisation=result.organisation_name or "модератор региона",
        due=result.answer_due_text, fast=" Тема срочная — ответ ускоренный." if result.fast_track
        else ""),
        buttons=[turn.global_button(tx.MENU_MY, "my", 0, row=0),
                 turn.global_button(tx.TO_MENU, "menu", row=0)])
    turn.settle("menu", "main")


class EditStep(Step):
    flow, name = FLOW, "edit"

    async def enter(self, turn: Turn) -> None:
        turn.say(tx.EDIT_WHAT, buttons=[
            turn.button(tx.EDIT_TOPIC, "topic", row=0), turn.button(tx.EDIT_TEXT, "text", row=0),
            turn.button(tx.EDIT_PHOTOS, "photos", row=1),
            turn.button(tx.EDIT_ADDRESS, "address", row=1),
            turn.button(tx.BACK, "back", row=2)])

    async def on_button(self, turn: Turn, action: str, args: tuple[str, ...]) -> None:
        target = {"topic": CategoryStep.name, "text": TextStep.name, "photos": PhotosStep.name,
                  "address": AddressStep.name, "back": SummaryStep.name}.get(action)
        if target is None:
            await self.unexpected(turn)
            return
        await turn.goto(FLOW, target)


# -- entry from anywhere ------------------------------------------------------------------
async def on_file(turn: Turn, payload: Payload) -> None:
    if turn.state.flow == FLOW and (turn.data.get("sub") or turn.data.get("text")):
        turn.say(tx.DRAFT_RESUMED, buttons=[turn.global_button(tx.START_OVER, "new")])
        await turn.reprompt()
        return
    await start(turn)


async def on_new(turn: Turn, payload: Payload) -> None:
    await start(turn)


def _int(args: tuple[str, ...], index: int) -> int | None:
    try:
        return int(args[index])
    except (IndexError, ValueError):
        return None


STEPS: tuple[Step, ...] = (CategoryStep(), SubcategoryStep(), TextStep(), PhotosStep(),
                           AddressStep(), SummaryStep(), EditStep())
GLOBAL: dict[str, GlobalHandler] = {"file": on_file, "new": on_new}
