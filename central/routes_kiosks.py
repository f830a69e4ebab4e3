"""Routes: heartbeats, administrator-signed configuration, and the administrator's endpoints."""

import hashlib
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.params import Depends
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from central.catalog import etag_matches
from central.db import NotificationRow
from central.problems import not_found
from central.schemas import (
    ConfigKeyOut,
    ConfigPublishOut,
    HeartbeatIn,
    HeartbeatOut,
    KioskStatusOut,
    NotificationOut,
    SignedConfigDocument,
)

if TYPE_CHECKING:
    from central.app import Services


def kiosks_router(services: "Services", kiosk: Depends, admin: Depends) -> APIRouter:
    """Fleet routes for kiosks and administrators."""
    router = APIRouter(prefix="/v1")

    @router.post(
        "/heartbeats",
        response_model=HeartbeatOut,
        tags=["fleet"],
        responses={401: {}, 422: {}},
        summary="A kiosk's periodic health report (no personal data)",
    )
    async def heartbeat(body: HeartbeatIn, kiosk_id: Annotated[str, kiosk]) -> Any:
        beat = body.model_dump(mode="json")
        return await run_in_threadpool(services.fleet.heartbeat, kiosk_id, beat, body.sent_at)

    @router.get(
        "/config",
        response_model=SignedConfigDocument,
        tags=["fleet"],
        responses={304: {"description": "Not modified"}, 401: {}, 404: {}},
        summary="The newest administrator-signed configuration document for the calling kiosk (ETag)",
    )
    async def config(
        kiosk_id: Annotated[str, kiosk], if_none_match: Annotated[str | None, Header()] = None
    ) -> Any:
        stored = await run_in_threadpool(services.fleet.config_for, kiosk_id)
        if stored is None:
            raise not_found("configuration for this kiosk")
        etag = '"' + hashlib.sha256(stored.document).hexdigest()[:32] + '"'
        if etag_matches(if_none_match, etag):
            return Response(status_code=304, headers={"ETag": etag})
        # The published bytes, untouched: kiosks verify the signature themselves.
        return Response(
            stored.document,
            media_type="application/json",
            headers={"ETag": etag, "Cache-Control": "no-cache"},
        )

    @router.get(
        "/config/keys",
        response_model=list[ConfigKeyOut],
        tags=["fleet"],
        summary="Registered administrator keys that sign configuration documents (pin them on kiosks)",
    )
    async def config_keys() -> Any:
        return await run_in_threadpool(services.fleet.public_keys)

    @router.put(
        "/admin/config",
        response_model=ConfigPublishOut,
        tags=["admin"],
        responses={401: {}, 409: {"description": "Version not above the latest stored one"}, 422: {}},
        summary="Publish a configuration document signed offline by a registered administrator key",
        # The body is read as bytes (checked and stored exactly as sent); this documents its shape.
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": SignedConfigDocument.model_json_schema()}},
            }
        },
    )
    async def publish_config(request: Request, _admin: Annotated[str, admin]) -> Any:
        raw = await request.body()
        return await run_in_threadpool(services.fleet.publish_config, raw)

    @router.get(
        "/admin/kiosks",
        response_model=list[KioskStatusOut],
        tags=["admin"],
        responses={401: {}},
        summary="The fleet: online state, last heartbeat and alerts",
    )
    async def kiosks(_admin: Annotated[str, admin]) -> Any:
        return await run_in_threadpool(services.fleet.kiosks)

    @router.get(
        "/admin/notifications",
        response_model=list[NotificationOut],
        tags=["admin"],
        responses={401: {}, 422: {}},
        summary="Recorded applicant notifications of one application",
    )
    async def notifications(
        _admin: Annotated[str, admin], application_id: Annotated[str, Query(max_length=64)]
    ) -> Any:
        def load() -> list[dict[str, Any]]:
            with services.db.read() as session:
                rows = (
                    session.execute(
                        select(NotificationRow)
                        .where(NotificationRow.application_id == application_id.lower())
                        .order_by(NotificationRow.id)
                    )
                    .scalars()
                    .all()
                )
                return [
                    {
                        "application_id": r.application_id,
                        "channel": r.channel,
                        "recipient": r.recipient,
                        "message": r.message,
                        "sent": r.sent_at is not None,
                    }
                    for r in rows
                ]

        return await run_in_threadpool(load)

    return router
