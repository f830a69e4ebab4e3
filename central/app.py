"""The FastAPI application: routes, authentication dependencies and problem+json errors."""

from __future__ import annotations

import gc
import json
import logging
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from central.applications import ApplicationService
from central.appointments import AppointmentService
from central.auth import AdminAuthenticator, KioskAuthenticator
from central.body_limit import BodySizeLimit
from central.catalog import CatalogStore
from central.db import Database
from central.fleet import FleetService
from central.notifier import NotificationDispatcher, Notifier, RecordingNotifier
from central.openapi_doc import install_openapi
from central.problems import PROBLEM_MEDIA_TYPE, ProblemError
from central.queries import QueryService
from central.routes_applications import applications_router
from central.routes_catalog import catalog_router
from central.routes_kiosks import kiosks_router
from central.routes_services import services_router

log = logging.getLogger("central")

# Applications are a few kilobytes; anything far larger is refused before it is read into memory.
MAX_BODY_BYTES = 256 * 1024

# Blocking work (database statements) runs on worker threads, this many at a time per process. On
# PostgreSQL every statement waits for a network round trip and then competes with the other
# threads for the GIL: with a few threads, requests wait their turn in order in the event loop,
# and the 99th percentile at 16 clients fell from about 60 ms to about 40 ms (bench/central.py).
# SQLite statements run in-process, and its group commit gathers more writes with more writers.
DEFAULT_WORKER_THREADS_SQLITE = 40
DEFAULT_WORKER_THREADS_POSTGRESQL = 4

KioskDependency = Callable[[Request], Awaitable[str]]
AdminDependency = Callable[[Request], Awaitable[str]]


@dataclass
class Services:
    """Everything the routes use, created once per app."""

    db: Database
    catalog: CatalogStore
    applications: ApplicationService
    appointments: AppointmentService
    queries: QueryService
    fleet: FleetService
    kiosk_auth: KioskAuthenticator
    admin_auth: AdminAuthenticator
    clock: Callable[[], float]


class _ProblemJSONResponse(JSONResponse):
    """A JSONResponse that survives text UTF-8 cannot encode.

    Python's json module accepts lone surrogates (``"\\ud800"``) in request bodies, and a problem
    may echo a submitted key in ``errors[].field``; the plain response would then fail to encode
    and the client would get a 500 instead of the problem. Such characters become "?"; every other
    document renders to the same bytes as before.
    """

    def render(self, content: Any) -> bytes:
        """The document as compact UTF-8 JSON (as JSONResponse), unencodable characters replaced."""
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
        return text.encode("utf-8", errors="replace")


def _problem_response(error: ProblemError) -> JSONResponse:
    return _ProblemJSONResponse(
        error.document(), status_code=error.status, headers=error.headers(), media_type=PROBLEM_MEDIA_TYPE
    )


def create_app(
    db: Database,
    *,
    notifier: Notifier | None = None,
    clock: Callable[[], float] = time.time,
    worker_threads: int | None = None,
    verified_kiosk_header: str | None = None,
) -> FastAPI:
    """Build the service on an already migrated database.

    ``worker_threads`` bounds the threads that run blocking work at a time (default: 40 on SQLite,
    4 on PostgreSQL). ``verified_kiosk_header``: behind a TLS proxy that verifies kiosk certificates,
    the header carrying the certificate's kiosk id, which must equal the signed ``X-Kiosk-Id``.
    """
    if worker_threads is None:
        worker_threads = DEFAULT_WORKER_THREADS_SQLITE if db.is_sqlite else DEFAULT_WORKER_THREADS_POSTGRESQL
    if worker_threads < 1:
        raise ValueError("worker_threads must be at least 1")
    catalog = CatalogStore(db)
    dispatcher = NotificationDispatcher(db, notifier or RecordingNotifier())
    services = Services(
        db=db,
        catalog=catalog,
        applications=ApplicationService(db, catalog, clock=clock, on_notification_queued=dispatcher.wake),
        appointments=AppointmentService(db, catalog, clock),
        queries=QueryService(db, clock),
        fleet=FleetService(db, clock),
        kiosk_auth=KioskAuthenticator(db, clock, verified_id_header=verified_kiosk_header),
        admin_auth=AdminAuthenticator(db),
        clock=clock,
    )

    async def kiosk_id(request: Request) -> str:
        """The authenticated kiosk (a signed request), or a 401 problem."""
        body = await request.body()
        path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        query = request.scope.get("query_string", b"").decode("latin-1")
        if query:
            path = f"{path}?{query}"
        return await run_in_threadpool(
            services.kiosk_auth.authenticate, request.method, path, request.headers, body
        )

    async def admin(authorization: Annotated[str | None, Header()] = None) -> str:
        """The authenticated administrator, or a 401 problem."""
        return await run_in_threadpool(services.admin_auth.authenticate, authorization)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Load the catalogue now, then move everything allocated so far out of the collector's sight:
        # the long-lived catalogue and code objects are not rescanned on every full collection, and
        # collections run less often, which keeps them out of the latency tail.
        await run_in_threadpool(catalog.current)
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 50)
        anyio.to_thread.current_default_thread_limiter().total_tokens = worker_threads
        dispatcher.start()
        try:
            yield
        finally:
            dispatcher.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Civic kiosk central approval service",
        version="1.0.0",
        description=(
            "Instant approval (秒批), service catalogue, queries, appointments and kiosk fleet endpoints. "
            "Kiosk requests are signed with HMAC-SHA256 (see docs/api.md); "
            "errors are application/problem+json."
        ),
    )
    app.state.services = services
    kiosk = Depends(kiosk_id)
    admin_dep = Depends(admin)
    app.include_router(applications_router(services, kiosk))
    app.include_router(catalog_router(services, kiosk, admin_dep))
    app.include_router(services_router(services, kiosk))
    app.include_router(kiosks_router(services, kiosk, admin_dep))

    @app.exception_handler(ProblemError)
    async def _problem(_request: Request, error: ProblemError) -> Response:
        return _problem_response(error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> Response:
        errors: list[dict[str, Any]] = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "problem_en": str(e.get("msg", ""))}
            for e in error.errors()
        ]
        return _problem_response(
            ProblemError(
                422,
                "invalid-request",
                "Invalid request",
                "The request does not match the schema.",
                extra={"errors": errors},
            )
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> Response:
        slug = {
            400: "malformed-request",
            404: "not-found",
            405: "method-not-allowed",
            413: "payload-too-large",
        }.get(error.status_code, "http-error")
        title = {
            400: "Malformed request",
            404: "Not found",
            405: "Method not allowed",
            413: "Payload too large",
        }.get(error.status_code, "HTTP error")
        return _problem_response(ProblemError(error.status_code, slug, title, str(error.detail)))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> Response:
        # The type and the stack, never the message: messages may carry request data.
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("unexpected error: %s\n%s", type(error).__name__, frames)
        return _problem_response(
            ProblemError(
                500, "internal-error", "Internal error", "The service failed; the request can be retried."
            )
        )

    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    install_openapi(app)
    return app
