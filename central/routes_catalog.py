"""Routes: the service catalogue (with ETag) and the published rule sets."""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.params import Depends
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from central.catalog import etag_matches
from central.db import RuleSetRow
from central.problems import ProblemError, not_found
from central.publishing import load_rule_set, retire_catalog_item, upsert_catalog_item
from central.rules import RuleSetError, validate_rule_set
from central.schemas import CatalogChangeOut, CatalogItemDoc, CatalogOut, RuleSetChangeOut

if TYPE_CHECKING:
    from central.app import Services


def catalog_router(services: "Services", kiosk: Depends, admin: Depends) -> APIRouter:
    """Routes under /v1/catalog and /v1/rule-sets, and their administrator counterparts."""
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

    @router.put(
        "/admin/catalog/items/{code}",
        response_model=CatalogChangeOut,
        tags=["admin"],
        responses={401: {}, 422: {}},
        summary="Add or change a catalogue item (the catalogue gets a new version and ETag)",
    )
    async def put_item(code: str, item: CatalogItemDoc, _admin: Annotated[str, admin]) -> Any:
        if item.code != code:
            raise ProblemError(
                422, "invalid-request", "Invalid request", "The item's code differs from the path."
            )
        document = item.model_dump(mode="json")
        snapshot = await run_in_threadpool(services.catalog.current)
        _check_item(document, snapshot.partner_cities, snapshot.zones)
        version = await run_in_threadpool(upsert_catalog_item, services.db, document)
        services.catalog.invalidate()
        return {"code": code, "catalog_version": version}

    @router.delete(
        "/admin/catalog/items/{code}",
        response_model=CatalogChangeOut,
        tags=["admin"],
        responses={401: {}, 404: {}},
        summary="Retire a catalogue item",
    )
    async def retire_item(code: str, _admin: Annotated[str, admin]) -> Any:
        version = await run_in_threadpool(retire_catalog_item, services.db, code)
        if version is None:
            raise not_found("catalogue item")
        services.catalog.invalidate()
        return {"code": code, "catalog_version": version}

    @router.put(
        "/admin/rule-sets/{item_code}",
        response_model=RuleSetChangeOut,
        tags=["admin"],
        responses={401: {}, 404: {}, 422: {}},
        summary="Publish a new rule-set version for an instant-approval item and make it active",
    )
    async def put_rule_set(item_code: str, rule_set: dict[str, Any], _admin: Annotated[str, admin]) -> Any:
        snapshot = await run_in_threadpool(services.catalog.current)
        item = snapshot.items.get(item_code)
        if item is None:
            raise not_found("catalogue item")
        if not item["instant"]:
            raise ProblemError(
                422, "not-instant", "Not an instant-approval item", "Only instant items have rules."
            )
        document = {**rule_set, "item_code": item_code}
        try:
            validate_rule_set(document)
        except RuleSetError as error:
            raise ProblemError(422, "invalid-rule-set", "Invalid rule set", str(error)) from None
        await run_in_threadpool(load_rule_set, services.db, document)
        services.applications.forget_rule_set(item_code)
        return {"item_code": item_code, "version": document["version"]}

    return router


def _check_item(item: dict[str, Any], cities: dict[str, Any], zones: dict[str, Any]) -> None:
    """Cross-field rules a schema cannot say."""
    problems = []
    if set(item["partner_cities"]) - set(cities):
        problems.append("partner_cities names an unknown city")
    if item["cross_province"] != bool(item["partner_cities"]):
        problems.append("cross_province must be true exactly when partner_cities is not empty")
    if item["kind"] == "appointment" and item["appointment_zone"] not in zones:
        problems.append("an appointment item needs a known appointment_zone")
    keys = [f["key"] for f in item["form"]]
    if len(keys) != len(set(keys)):
        problems.append("form field keys must be unique")
    for form_field in item["form"]:
        if (form_field["type"] == "choice") != bool(form_field["choices"]):
            problems.append(f"field {form_field['key']}: choices go with type 'choice' only")
    if problems:
        raise ProblemError(422, "invalid-request", "Invalid catalogue item", "; ".join(problems))
