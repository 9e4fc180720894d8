"""Telegram adapter (aiogram 3): updates in, rendered replies and notifications out."""
