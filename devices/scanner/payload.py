"""Payload checks and the recognised code forms.

Contract: :func:`parse_payload` takes the raw bytes (or text) a scanner produced and returns a
:class:`ScannedCode`, or raises :class:`PayloadRejected`. It never raises anything else, whatever
the input. A rejected payload becomes an ``ErrorEvent(code="unrecognised_code")`` in the drivers;
the message is safe to show and never repeats the payload itself (it may hold personal data).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Final, Literal

CodeKind = Literal["identity", "tracking", "url"]

# A version-40 QR code holds at most 2,953 bytes; anything longer is line noise or a wedge gone wild.
MAX_PAYLOAD_BYTES: Final = 2953
MAX_URL_CHARS: Final = 2048

IDENTITY_PREFIX: Final = "cityapp:identity:v1:"
TRACKING_PREFIX: Final = "cityapp:track:v1:"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
# RFC 3986 characters only: a URL with spaces or quotes is not something a kiosk should open.
_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]*)?")
# Line breaks are allowed inside a payload (CR, LF); every other C0/C1 control and DEL is not.
_FORBIDDEN_CONTROLS = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")

RejectReason = Literal[
    "empty", "too_large", "not_utf8", "control_characters", "undecodable_keys", "unknown_form"
]

_MESSAGES: Final[dict[RejectReason, str]] = {
    "empty": "The scanner delivered an empty code.",
    "too_large": f"The code is longer than {MAX_PAYLOAD_BYTES} bytes.",
    "not_utf8": "The code is not valid UTF-8 text.",
    "control_characters": "The code contains control characters.",
    "undecodable_keys": "The scanner typed keys that are not text; set it to serial mode for such codes.",
    "unknown_form": "Not a city app identity code, an application tracking code or an https link.",
}


class PayloadRejected(ValueError):
    """A scanned payload that must not reach the core.

    ``code`` is always ``"unrecognised_code"`` (the event code the core handles); ``reason`` says why.
    """

    code: Final = "unrecognised_code"

    def __init__(self, reason: RejectReason) -> None:
        self.reason: RejectReason = reason
        self.message = _MESSAGES[reason]
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class ScannedCode:
    """A recognised code: ``text`` is the whole payload, ``value`` the part the core acts on."""

    kind: CodeKind
    text: str
    value: str


def parse_payload(raw: bytes | str) -> ScannedCode:
    """Check ``raw`` (size, UTF-8, control characters) and classify it, or raise PayloadRejected."""
    text = _decode(raw)
    # Scanners add their own suffix; a trailing line break is never part of the code.
    text = text.strip("\r\n")
    if not text:
        raise PayloadRejected("empty")
    if _FORBIDDEN_CONTROLS.search(text):
        raise PayloadRejected("control_characters")
    return _classify(text)


def _decode(raw: bytes | str) -> str:
    if isinstance(raw, str):
        try:
            data = raw.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates
            raise PayloadRejected("not_utf8") from None
    else:
        data = bytes(raw)
    if len(data) > MAX_PAYLOAD_BYTES:
        raise PayloadRejected("too_large")
    if data.startswith(b"\xef\xbb\xbf"):  # some scanners prefix a BOM to UTF-8 output
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadRejected("not_utf8") from None


def _classify(text: str) -> ScannedCode:
    if text.startswith(IDENTITY_PREFIX):
        token = text[len(IDENTITY_PREFIX) :]
        if _TOKEN.fullmatch(token):
            return ScannedCode("identity", text, token)
        raise PayloadRejected("unknown_form")
    if text.startswith(TRACKING_PREFIX):
        application_id = text[len(TRACKING_PREFIX) :]
        if _is_uuid(application_id):
            return ScannedCode("tracking", text, application_id.lower())
        raise PayloadRejected("unknown_form")
    if len(text) <= MAX_URL_CHARS and _URL.fullmatch(text):
        return ScannedCode("url", text, text)
    raise PayloadRejected("unknown_form")


def _is_uuid(value: str) -> bool:
    # uuid.UUID accepts braces, "urn:uuid:" and missing hyphens; a tracking code is the canonical form only.
    if len(value) != 36:
        return False
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def tracking_code(application_id: str) -> str:
    """The payload a receipt's QR code carries for ``application_id`` (a UUID)."""
    if not _is_uuid(application_id):
        raise ValueError("application_id must be a canonical UUID")
    return TRACKING_PREFIX + application_id.lower()
