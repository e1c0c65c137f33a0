"""Assembles the FastAPI app; the work lives in the modules it wires together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

import server
from server.api.routes import audit, auth, health, payments, staff, sync
from server.api.routes import desks, exports, imports
from server.api import openapi_doc
from server.api.body_limits import JsonBodyLimits
from server.api.errors import install_error_handlers
from server.importing.jobs import ImportJobs
from server.live import bell_of
from server.mail_queue import MailQueue
from server.nightly import Nightly
from server.passwords import warm_up
from server.payments import make_gateway
from server.payments.choice import Gateways
from server.payments.reconcile import CardSweeper
from server.settings import Settings
from server.state import ServerState
from sync.core.clock import SYSTEM, Clock


def create_app(settings: Settings | None = None, clock: Clock = SYSTEM) -> FastAPI:
    """The server's app; `clock` is what now and today are for it (tests and simulations pin it)."""
    settings = settings or Settings()
    state = ServerState.open(settings, clock)
    gateway = make_gateway(settings)  # the desk never sees which one, nor its credentials
    warm_up()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        mail = app.state.mail = MailQueue(state, ring=bell_of(app).ring)
        mail.start()
        sweeper = app.state.card_sweeper = CardSweeper(state, gateway, settings.card_pending_seconds, settings.card_sweep_seconds,
                                                         ring=bell_of(app).ring, chosen=app.state.gateways.chosen,
                                                         abandoned_after=settings.card_abandoned_seconds)
        sweeper.start()  # card sales a dead server left between the charge and the ledger
        nightly = app.state.nightly = Nightly(state, clock, ring=bell_of(app).ring)
        nightly.start()  # every account's sessions planned ahead, once a day (server.sessions)
        try:
            yield
        finally:
            await nightly.stop()
            await sweeper.stop()
            await mail.stop()
            app.state.imports.close()  # a running import is cancelled (rolled back) before its database closes
            gateway.close()
            app.state.gateways.close()
            state.close()

    app = FastAPI(
        title="Frontdesk server",
        version=server.__version__,
        summary="Accounts, sign-in and offline-first sync for Frontdesk desks.",
        lifespan=lifespan,
    )
    app.state.frontdesk = state
    app.state.gateway = gateway  # the server's default gateway
    app.state.gateways = Gateways(state.registry)  # the gateways accounts chose, credentials encrypted
    app.state.imports = ImportJobs(state.registry)  # import jobs; their rows and files are in databases (server.importing.jobs)
    install_error_handlers(app)
    # Before routing, the token and any database: an oversized or too deeply nested JSON body does no work.
    app.add_middleware(JsonBodyLimits, raw_body_paths=frozenset({"/v1/imports"}))  # an import's file has its own limit
    openapi_doc.install(app)
    v1 = APIRouter(prefix="/v1")
    v1.include_router(health.router)
    v1.include_router(auth.router)
    v1.include_router(sync.router)
    v1.include_router(staff.router)
    v1.include_router(desks.router)
    v1.include_router(audit.router)
    v1.include_router(payments.router)
    v1.include_router(imports.router)
    v1.include_router(exports.router)
    app.include_router(v1)
    return app
