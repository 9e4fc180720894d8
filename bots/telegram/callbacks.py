"""Callback data of inline buttons: the engine's payload behind a short prefix."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class EngineButton(CallbackData, prefix="b"):
    """Telegram allows 64 bytes; engine payloads stay under 60 (core.conversations.payloads)."""

    p: str
