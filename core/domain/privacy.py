"""Masking a citizen's personal data for staff outside the organisation handling the message."""

from __future__ import annotations

import re


def mask_phone(phone: str | None) -> str | None:
    """«+7 913 123-45-67» → «+7 *** ***-**-67»: the last two digits help to tell two apart."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 4:
        return "***"
    prefix = "+7" if digits[0] in "78" and len(digits) == 11 else "+…"
    return f"{prefix} *** ***-**-{digits[-2:]}"


def mask_email(email: str | None) -> str | None:
    """«ivan.petrov@mail.ru» → «i***@mail.ru»."""
    if not email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_name(name: str | None) -> str | None:
    """«Пётр Иванов» → «П. И.»."""
    if not name:
        return name
    return " ".join(f"{part[0]}." for part in name.split() if part) or None
