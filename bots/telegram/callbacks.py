"""Callback data of inline buttons: the engine's payload behind a short prefix."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

CALLBACK_DATA_LIMIT = 64


class EngineButton(CallbackData, prefix="b"):
    """Telegram allows 64 bytes; engine payloads stay under 60 (core.conversations.payloads)."""

    p: str


def button_data(payload: str) -> str:
    """``EngineButton(p=payload).pack()`` without building a model per button: a keyboard of
    a dozen buttons is built for most replies. Same checks, same string (tested)."""
    value = f"{EngineButton.__prefix__}{EngineButton.__separator__}{payload}"
    if EngineButton.__separator__ in payload:
        raise ValueError(f"separator in button payload: {payload!r}")
    if len(value.encode()) > CALLBACK_DATA_LIMIT:
        raise ValueError(f"button data longer than {CALLBACK_DATA_LIMIT} bytes: {value!r}")
    return value
