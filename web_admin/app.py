"""The web admin's routes, error pages and security headers, on the shared HTTP app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.services.platform import Platform
from web_admin.pages import (
    admin_auto_rules,
    admin_classifier,
    admin_dry_run,
    admin_organisations,
    admin_routing,
    admin_staff,
    administration,
    auth,
    home,
    inbox,
    messages,
    reports,
)
from web_admin.security import SignInRequired, login_url
from web_admin.templating import STATIC, STATIC_PREFIX, templates

# Pages come from this site only; htmx and the page's own script are files here too.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")

ROUTERS = (auth.router, home.router, inbox.router, messages.router, reports.router,
           administration.router, admin_organisations.router, admin_staff.router,
           admin_classifier.router, admin_routing.router, admin_auto_rules.router,
           admin_dry_run.router)
ERROR_TITLES = {403: "Доступ запрещён", 404: "Страница не найдена",
                405: "Действие недоступно", 409: "Сообщение уже изменено",
                411: "Нужна длина запроса", 413: "Слишком большой запрос"}
# The largest form: an answer with five attachments of the largest allowed size, and its text.
FORM_MARGIN = 1024 * 1024
MAX_ATTACHMENTS = 5


def install(app: FastAPI, p: Platform) -> None:
    """Add the web admin to the shared HTTP app (``pos.http``)."""
    app.state.platform = p
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC), name="admin-static")
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, exc: SignInRequired) -> Response:
        if request.headers.get("HX-Request"):  # htmx follows this header, not a 303
            return Response(status_code=401, headers={"HX-Redirect": login_url(exc.next_url)})
        return RedirectResponse(login_url(exc.next_url), status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def error_page(request: Request, exc: StarletteHTTPException) -> Response:
        if not request.url.path.startswith("/admin"):  # other edges keep FastAPI's JSON
            return await http_exception_handler(request, exc)
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code < 500 else ""
        return templates.TemplateResponse(request, "error.html", {
            "title": ERROR_TITLES.get(exc.status_code, "Ошибка"), "detail": detail,
            "code": exc.status_code}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        # A path or query the routes cannot read (an id past the integer range): nothing there.
        if not request.url.path.startswith("/admin"):
            return await request_validation_exception_handler(request, exc)
        return templates.TemplateResponse(request, "error.html", {
            "title": ERROR_TITLES[404], "detail": "Проверьте адрес страницы.", "code": 404},
            status_code=404)

    limit = p.settings.max_photo_bytes * MAX_ATTACHMENTS + FORM_MARGIN

    @app.middleware("http")
    async def body_limit(request: Request, call_next: Callable[[Request], Awaitable[Response]]
                         ) -> Response:
        """Refuse an oversized form before anything reads it: forms are parsed (and files
        spooled to disk) before a route can check who sent them."""
        if request.method == "POST" and request.url.path.startswith("/admin"):
            length = request.headers.get("content-length")
            if length is None or not length.isdigit():
                return _error(request, 411, "Запрос без указанной длины не принимается.")
            if int(length) > limit:
                return _error(request, 413, "Файлы слишком большие: не больше "
                              f"{p.settings.max_photo_bytes // (1024 * 1024)} МБ каждый.")
        return await call_next(request)

    @app.middleware("http")
    async def security_headers(request: Request,
                               call_next: Callable[[Request], Awaitable[Response]]
                               ) -> Response:
        response = await call_next(request)
        if request.url.path.startswith("/admin"):
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            if not request.url.path.startswith(STATIC_PREFIX):
                response.headers.setdefault("Cache-Control", "no-store")
        return response


def _error(request: Request, code: int, detail: str) -> Response:
    return templates.TemplateResponse(request, "error.html", {
        "title": ERROR_TITLES[code], "detail": detail, "code": code}, status_code=code)
