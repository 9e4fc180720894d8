"""The one HTTP app every edge mounts its routes on (webhooks now; the web admin later)."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, FastAPI


def create_http_app(routers: Iterable[APIRouter]) -> FastAPI:
    app = FastAPI(title="ПОС", docs_url=None, redoc_url=None, openapi_url=None)
    for router in routers:
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
