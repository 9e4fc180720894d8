"""Bulk import of messages from JSON Lines, one transaction per message.

A line is reported as created only after its transaction committed, so a process killed midway
loses nothing it reported. Each line carries an idempotency key derived from its content, so
running the file again (after a crash, or after fixing bad lines) skips what is already in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from core.domain.enums import Channel, Source
from core.domain.errors import DomainError
from core.services.intake import submit_message
from core.services.platform import Platform
from core.services.records import CitizenRef


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    line: int
    number: int | None = None
    created: bool = False
    error: str | None = None


def _citizen(raw: Any) -> CitizenRef | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError("citizen: ожидается объект {channel, external_id, name}")
    try:
        channel = Channel(str(raw.get("channel")))
    except ValueError:
        raise ValueError(f"citizen.channel: одно из {', '.join(c.value for c in Channel)}"
                         ) from None
    external_id = str(raw.get("external_id") or "").strip()
    if not external_id:
        raise ValueError("citizen.external_id обязателен")
    return CitizenRef(channel, external_id, name=raw.get("name"), phone=raw.get("phone"),
                      email=raw.get("email"))


def _str_or_none(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key}: ожидается строка")
    return value


async def import_lines(p: Platform, lines: Iterable[str]) -> AsyncIterator[ImportOutcome]:
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped:
            continue
        # The key is the line's content and which repetition of it this is, not its position:
        # an operator may fix or drop a bad line and run the file again.
        digest = hashlib.sha256(stripped.encode()).hexdigest()[:40]
        seen[digest] = seen.get(digest, 0) + 1
        key = f"import:{digest}:{seen[digest]}"
        try:
            record = json.loads(stripped)
            if not isinstance(record, dict):
                raise ValueError("ожидается JSON-объект")
            text, sub = record.get("text"), record.get("subcategory")
            if not isinstance(text, str) or not isinstance(sub, str):
                raise ValueError("поля text и subcategory обязательны (строки)")
            source = Source(record.get("source") or Source.IMPORT.value)
            result = await submit_message(
                p, citizen=_citizen(record.get("citizen")), subcategory=sub, text=text,
                source=source, address=_str_or_none(record, "address"),
                territory=_str_or_none(record, "territory"),
                source_organisation=_str_or_none(record, "organisation"),
                idempotency_key=key)
        except json.JSONDecodeError as exc:
            yield ImportOutcome(lineno, error=f"некорректный JSON: {exc.msg}")
        except (ValueError, DomainError) as exc:
            yield ImportOutcome(lineno, error=getattr(exc, "message", None) or str(exc))
        else:
            yield ImportOutcome(lineno, number=result.number, created=result.created)
