"""OpenAPI 3.1 document: every error response is described as application/problem+json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from central.problems import PROBLEM_MEDIA_TYPE

ERROR_DESCRIPTIONS = {
    "400": "Bad request (malformed body, Idempotency-Key missing)",
    "401": "Kiosk authentication failed",
    "404": "Not found",
    "409": "Conflict (still processing, slot full, not reviewable)",
    "410": "Gone (expired)",
    "413": "Request body too large",
    "422": "Invalid request, or Idempotency-Key reused with another payload",
    "500": "Internal error",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "urn:civic-kiosk:problem:<slug>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "additionalProperties": True,
}


def install_openapi(app: FastAPI) -> None:
    """Replace FastAPI's schema generator with one that documents problem responses."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        components["schemas"].pop("HTTPValidationError", None)
        components["schemas"].pop("ValidationError", None)
        components["securitySchemes"] = {
            "kioskSignature": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Kiosk-Signature",
                "description": "HMAC-SHA256 signature; with X-Kiosk-Id, X-Kiosk-Timestamp, X-Kiosk-Nonce.",
            },
            "adminToken": {"type": "http", "scheme": "bearer"},
        }
        problem_content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status in list(responses):
                    if status.startswith(("4", "5")):
                        responses[status] = {
                            "description": ERROR_DESCRIPTIONS.get(status, "Error"),
                            "content": problem_content,
                        }
                    elif status == "304":
                        responses[status].pop("content", None)
                # Any operation may fail unexpectedly or be handed malformed input.
                responses.setdefault(
                    "500", {"description": ERROR_DESCRIPTIONS["500"], "content": problem_content}
                )
                if method in ("post", "put") or "{" in path:
                    responses.setdefault(
                        "422", {"description": ERROR_DESCRIPTIONS["422"], "content": problem_content}
                    )
                if method in ("post", "put"):
                    for status in ("400", "413"):
                        responses.setdefault(
                            status, {"description": ERROR_DESCRIPTIONS[status], "content": problem_content}
                        )
                if path.startswith("/v1/admin"):
                    operation["security"] = [{"adminToken": []}]
                elif path != "/v1/config/keys":
                    operation["security"] = [{"kioskSignature": []}]
                    responses.setdefault(
                        "401", {"description": ERROR_DESCRIPTIONS["401"], "content": problem_content}
                    )
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
