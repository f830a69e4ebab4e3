"""Errors as RFC 9457 ``application/problem+json`` documents.

Handlers raise :class:`ProblemError`; the app turns it (and FastAPI's own validation and routing
errors) into a problem document. ``type`` is a stable URN naming the problem so clients can
branch on it; ``title`` is short and fixed per type; ``detail`` explains this occurrence and never
contains personal data.
"""

from __future__ import annotations

from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:civic-kiosk:problem:"


def problem_type(slug: str) -> str:
    """The full type URI for a problem slug."""
    return TYPE_PREFIX + slug


class ProblemError(Exception):
    """A request that ends in a problem document."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        retry_after: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {slug}: {detail}")
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.retry_after = retry_after
        self.extra = extra or {}

    def document(self) -> dict[str, Any]:
        """The JSON body of the problem."""
        body: dict[str, Any] = {
            "type": problem_type(self.slug),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        body.update(self.extra)
        return body

    def headers(self) -> dict[str, str]:
        """Extra response headers (Retry-After, WWW-Authenticate)."""
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'KIOSK-HMAC-SHA256 realm="kiosk-central"'
        return headers


def unauthorized(detail: str) -> ProblemError:
    """401 for any failed kiosk authentication; the detail says which check failed."""
    return ProblemError(401, "unauthorized", "Kiosk authentication failed", detail)


def not_found(what: str) -> ProblemError:
    """404 for an unknown resource."""
    return ProblemError(404, "not-found", "Not found", f"No such {what}.")
