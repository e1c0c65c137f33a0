"""Assembles the FastAPI app; the work lives in the modules it wires together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

import server
from server.api.routes import audit, auth, health, receipts, staff, sync
from server.errors import install_error_handlers
from server.passwords import warm_up
from server.settings import Settings
from server.state import ServerState


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    state = ServerState.open(settings)
    warm_up()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            state.close()

    app = FastAPI(
        title="Frontdesk server",
        version=server.__version__,
        summary="Accounts, sign-in and offline-first sync for Frontdesk desks.",
        lifespan=lifespan,
    )
    app.state.frontdesk = state
    install_error_handlers(app)
    v1 = APIRouter(prefix="/v1")
    v1.include_router(health.router)
    v1.include_router(auth.router)
    v1.include_router(sync.router)
    v1.include_router(staff.router)
    v1.include_router(audit.router)
    v1.include_router(receipts.router)
    app.include_router(v1)
    return app
