"""Routes: identity codes, queries and appointments."""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Header
from fastapi.params import Depends
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from central.schemas import (
    BookingIn,
    DayOut,
    IdentityCodeIn,
    IdentityOut,
    IdNumberIn,
    ProvidentFundOut,
    SlotOut,
    SocialInsuranceOut,
    TicketOut,
    ZoneOut,
)

if TYPE_CHECKING:
    from central.app import Services


def services_router(services: "Services", kiosk: Depends) -> APIRouter:
    """Routes for identity codes, queries and appointments."""
    router = APIRouter(prefix="/v1")

    @router.post(
        "/identity-codes/resolve",
        response_model=IdentityOut,
        tags=["identity"],
        responses={401: {}, 404: {}, 410: {}, 422: {}},
        summary="Resolve a city-app identity code (cityapp:identity:v1:<token>) to the citizen's identity",
    )
    async def resolve(body: IdentityCodeIn, _kiosk_id: Annotated[str, kiosk]) -> Any:
        return await run_in_threadpool(services.queries.resolve_identity_code, body.token)

    # Personal data travels in the body, never in the URL (URLs end up in access logs).
    @router.post(
        "/queries/provident-fund",
        response_model=ProvidentFundOut,
        tags=["queries"],
        responses={401: {}, 404: {}, 422: {}},
        summary="Provident-fund balance and contributions",
    )
    async def provident_fund(body: IdNumberIn, _kiosk_id: Annotated[str, kiosk]) -> Any:
        return await run_in_threadpool(services.queries.provident_fund, body.id_number)

    @router.post(
        "/queries/social-insurance",
        response_model=SocialInsuranceOut,
        tags=["queries"],
        responses={401: {}, 404: {}, 422: {}},
        summary="Social-insurance status",
    )
    async def social_insurance(body: IdNumberIn, _kiosk_id: Annotated[str, kiosk]) -> Any:
        return await run_in_threadpool(services.queries.social_insurance, body.id_number)

    @router.get(
        "/appointments/zones",
        response_model=list[ZoneOut],
        tags=["appointments"],
        responses={401: {}},
        summary="The acceptance zones that take bookings",
    )
    async def zones(_kiosk_id: Annotated[str, kiosk]) -> Any:
        return await run_in_threadpool(services.appointments.zones)

    @router.get(
        "/appointments/zones/{zone}/days",
        response_model=list[DayOut],
        tags=["appointments"],
        responses={401: {}, 404: {}},
        summary="Bookable days of a zone",
    )
    async def days(zone: str, _kiosk_id: Annotated[str, kiosk]) -> Any:
        return await run_in_threadpool(services.appointments.days, zone)

    @router.get(
        "/appointments/zones/{zone}/days/{day}/slots",
        response_model=list[SlotOut],
        tags=["appointments"],
        responses={401: {}, 404: {}, 422: {}},
        summary="Time slots of a day with free places",
    )
    async def slots(zone: str, day: str, _kiosk_id: Annotated[str, kiosk]) -> Any:
        return await run_in_threadpool(services.appointments.slots, zone, day)

    @router.post(
        "/appointments/bookings",
        status_code=201,
        response_model=TicketOut,
        tags=["appointments"],
        responses={
            200: {"model": TicketOut, "description": "The same booking, repeated"},
            400: {},
            401: {},
            404: {},
            409: {},
            422: {},
        },
        summary="Book a slot (idempotent by Idempotency-Key = booking id)",
    )
    async def book(
        body: BookingIn,
        kiosk_id: Annotated[str, kiosk],
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> Any:
        status, ticket = await run_in_threadpool(services.appointments.book, kiosk_id, idempotency_key, body)
        return JSONResponse(ticket, status_code=status)

    @router.post(
        "/appointments/bookings/{booking_id}/cancel",
        response_model=TicketOut,
        tags=["appointments"],
        responses={401: {}, 404: {}},
        summary="Cancel a booking",
    )
    async def cancel(booking_id: str, kiosk_id: Annotated[str, kiosk]) -> Any:
        return await run_in_threadpool(services.appointments.cancel, kiosk_id, booking_id)

    return router
