"""Jinja2 templates of the web admin. Autoescape is on for every template: citizen text is
shown as text, never as markup."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.domain.enums import ROLE_TITLES

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_PREFIX = "/admin/static"

_env = Environment(loader=FileSystemLoader(HERE / "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True),
                   auto_reload=False)
_env.globals.update(static=STATIC_PREFIX, role_titles=ROLE_TITLES)
templates = Jinja2Templates(env=_env)
