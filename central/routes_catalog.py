"""Routes: the service catalogue (with ETag) and the published rule sets."""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.params import Depends
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from central.catalog import etag_matches
from central.db import RuleSetRow
from central.problems import not_found
from central.schemas import CatalogOut

if TYPE_CHECKING:
    from central.app import Services


def catalog_router(services: "Services", kiosk: Depends) -> APIRouter:
    """Routes under /v1/catalog and /v1/rule-sets."""
    router = APIRouter(prefix="/v1", tags=["catalogue"])

    @router.get(
        "/catalog",
        response_model=CatalogOut,
        responses={304: {"description": "Not modified (If-None-Match matched the ETag)"}, 401: {}},
        summary="The service catalogue; send If-None-Match with the last ETag",
    )
    async def catalog(
        request: Request,
        _kiosk_id: Annotated[str, kiosk],
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Any:
        snapshot = await run_in_threadpool(services.catalog.current)
        headers = {"ETag": snapshot.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
        if etag_matches(if_none_match, snapshot.etag):
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(snapshot.gzip_body, media_type="application/json", headers=headers)
        return Response(snapshot.body, media_type="application/json", headers=headers)

    @router.get(
        "/catalog/items/{code}",
        responses={401: {}, 404: {}},
        summary="One catalogue item",
    )
    async def item(code: str, _kiosk_id: Annotated[str, kiosk]) -> dict[str, Any]:
        snapshot = await run_in_threadpool(services.catalog.current)
        found = snapshot.items.get(code)
        if found is None:
            raise not_found("catalogue item")
        return found

    @router.get(
        "/rule-sets/{item_code}",
        responses={401: {}, 404: {}},
        summary="The active rule set of an instant-approval item (what is checked, in plain words)",
    )
    async def rule_set(item_code: str, _kiosk_id: Annotated[str, kiosk]) -> dict[str, Any]:
        def load() -> dict[str, Any] | None:
            with services.db.read() as session:
                return session.execute(
                    select(RuleSetRow.definition).where(
                        RuleSetRow.item_code == item_code, RuleSetRow.active.is_(True)
                    )
                ).scalar_one_or_none()

        definition = await run_in_threadpool(load)
        if definition is None:
            raise not_found("rule set")
        return definition

    return router
