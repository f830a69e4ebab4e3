"""Routes: applications, their status and human review."""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Header
from fastapi.params import Depends
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from central.schemas import ApplicationIn, DecisionOut, ReviewRequestIn

if TYPE_CHECKING:
    from central.app import Services


def applications_router(services: "Services", kiosk: Depends) -> APIRouter:
    """Routes under /v1/applications."""
    router = APIRouter(prefix="/v1/applications", tags=["applications"])

    @router.post(
        "",
        status_code=201,
        response_model=DecisionOut,
        responses={400: {}, 401: {}, 409: {}, 422: {}},
        summary="Submit an application (idempotent by Idempotency-Key = application id)",
    )
    async def submit(
        application: ApplicationIn,
        kiosk_id: Annotated[str, kiosk],
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> Any:
        status, body, headers = await run_in_threadpool(
            services.applications.submit, kiosk_id, idempotency_key, application
        )
        return JSONResponse(body, status_code=status, headers=headers)

    @router.get(
        "/{application_id}",
        response_model=DecisionOut,
        responses={401: {}, 404: {}},
        summary="An application's decision and state",
    )
    async def status(application_id: str, kiosk_id: Annotated[str, kiosk]) -> Any:
        body = await run_in_threadpool(services.applications.status, kiosk_id, application_id)
        return JSONResponse(body)

    @router.post(
        "/{application_id}/review-requests",
        status_code=202,
        response_model=DecisionOut,
        responses={
            200: {"model": DecisionOut, "description": "Review was already requested"},
            401: {},
            404: {},
            409: {},
            422: {},
        },
        summary="Ask for a human review of an automated rejection (PIPL art. 24)",
    )
    async def review(application_id: str, request: ReviewRequestIn, kiosk_id: Annotated[str, kiosk]) -> Any:
        status, body = await run_in_threadpool(
            services.applications.request_review, kiosk_id, application_id, request.reason
        )
        return JSONResponse(body, status_code=status)

    return router
