"""ASGI middleware refusing request bodies above a size limit with a 413 problem."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException

from central.problems import PROBLEM_MEDIA_TYPE, problem_type

Scope = dict[str, Any]
Message = dict[str, Any]


class BodySizeLimit:
    """Checks Content-Length up front and counts streamed bytes for bodies without one."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message: Message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # An HTTP exception, so that the app's handlers answer it as a 413 problem.
                    raise HTTPException(413, f"Request bodies are limited to {self.max_bytes} bytes.")
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, send: Any) -> None:
        body = json.dumps(
            {
                "type": problem_type("payload-too-large"),
                "title": "Payload too large",
                "status": 413,
                "detail": f"Request bodies are limited to {self.max_bytes} bytes.",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
