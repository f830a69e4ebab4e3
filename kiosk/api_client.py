"""The kiosk's client of the central approval API.

Every request is signed (HMAC-SHA256 over method, path, kiosk id, timestamp, nonce, Idempotency-Key
and body digest; the service documents the scheme in docs/api.md), sent once (no hidden retries:
the outbox relay owns retrying) with connect and read timeouts, and answered with plain typed
dataclasses. Failures are
:class:`ApiError` subclasses carrying the problem document's title and detail:
:class:`NetworkError` (no answer, ``status`` None), :class:`AuthError` (401), :class:`ClientError`
(other 4xx), :class:`ServerError` (5xx) and :class:`ProtocolError` (an answer that is not what the
API promises; :class:`ResponseTooLarge` when its body is over a size limit).

The credential is a one-line text file; the secret is the bytes of that line without surrounding
whitespace (:func:`load_secret`).
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import requests
import urllib3
from requests.adapters import HTTPAdapter

SIGNATURE_SCHEME = "KIOSK-HMAC-SHA256"
IDENTITY_CODE_PREFIX = "cityapp:identity:v1:"

JsonDict = dict[str, Any]
T = TypeVar("T")


# -- errors ---------------------------------------------------------------------------------


class ApiError(Exception):
    """A call that did not produce the expected answer."""

    def __init__(
        self,
        status: int | None,
        title: str,
        detail: str,
        retry_after: float | None = None,
        *,
        problem_type: str = "",
        problem: JsonDict | None = None,
    ) -> None:
        super().__init__(f"{status if status is not None else 'no answer'}: {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.retry_after = retry_after
        self.problem_type = problem_type
        self.problem: JsonDict = problem or {}

    @property
    def slug(self) -> str:
        """The problem's short name (``idempotency-key-reused``, ``slot-full``, ...), or ""."""
        return self.problem_type.rsplit(":", 1)[-1] if self.problem_type else ""


class NetworkError(ApiError):
    """No answer: connection refused, DNS, TLS or a timeout."""


class AuthError(ApiError):
    """401: the kiosk's clock or credential is wrong."""


class ClientError(ApiError):
    """A 4xx other than 401: the request itself is refused."""


class ServerError(ApiError):
    """A 5xx: the service failed; retrying later may help."""


class ProtocolError(ApiError):
    """A 2xx/3xx answer that does not have the promised shape."""


class ResponseTooLarge(ProtocolError):
    """A 2xx answer whose body is longer than the caller's limit: refused unparsed, having read at most
    ``limit + 1`` bytes of it. ``etag`` is the answer's ETag (ask with it next time to skip it)."""

    def __init__(self, status: int, limit: int, *, etag: str = "") -> None:
        super().__init__(status, "Answer too large", f"more than {limit} bytes")
        self.limit = limit
        self.etag = etag


# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One rule condition's result with its reasons."""

    id: str
    passed: bool
    reason_zh: str
    reason_en: str
    skipped: bool = False


@dataclass(frozen=True)
class Decision:
    """An application's decision (or ``processing``)."""

    application_id: str
    outcome: str  # approved | rejected | manual_review | forwarded | processing
    item_code: str
    rule_set_version: str | None
    conditions: tuple[Condition, ...]
    certificate_ref: str | None
    partner_city: str | None
    partner_reference: str | None
    decided_at: datetime | None
    raw: JsonDict
    acceptance_number: str | None = None
    item_name_zh: str = ""
    item_name_en: str = ""
    message_zh: str = ""
    message_en: str = ""
    tracking_code: str = ""
    review_requested: bool = False

    @classmethod
    def from_json(cls, data: JsonDict) -> Decision:
        """Parse a decision document (raises KeyError/TypeError/ValueError when malformed)."""
        return cls(
            application_id=str(data["application_id"]),
            outcome=str(data["outcome"]),
            item_code=str(data["item_code"]),
            rule_set_version=_opt_str(data.get("rule_set_version")),
            conditions=tuple(
                Condition(
                    id=str(c["id"]),
                    passed=bool(c["passed"]),
                    reason_zh=str(c.get("reason_zh", "")),
                    reason_en=str(c.get("reason_en", "")),
                    skipped=bool(c.get("skipped", False)),
                )
                for c in data.get("conditions") or []
            ),
            certificate_ref=_opt_str(data.get("certificate_ref")),
            partner_city=_opt_str(data.get("partner_city")),
            partner_reference=_opt_str(data.get("partner_reference")),
            decided_at=_opt_datetime(data.get("decided_at")),
            raw=data,
            acceptance_number=_opt_str(data.get("acceptance_number")),
            item_name_zh=str(data.get("item_name_zh", "")),
            item_name_en=str(data.get("item_name_en", "")),
            message_zh=str(data.get("message_zh", "")),
            message_en=str(data.get("message_en", "")),
            tracking_code=str(data.get("tracking_code", "")),
            review_requested=data.get("review") is not None,
        )


@dataclass(frozen=True)
class Choice:
    """One option of a choice field."""

    value: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class FormField:
    """A field the citizen fills in (or confirms, when ``prefilled_from`` is set)."""

    key: str
    label_zh: str
    label_en: str
    type: str  # text | number | amount | phone | date | choice
    required: bool
    prefilled_from: str | None
    choices: tuple[Choice, ...] = ()
    hint_zh: str = ""
    hint_en: str = ""


@dataclass(frozen=True)
class CatalogItem:
    """One service item."""

    code: str
    name_zh: str
    name_en: str
    department_code: str
    department_zh: str
    department_en: str
    category_code: str
    category_zh: str
    category_en: str
    life_event_code: str
    life_event_zh: str
    life_event_en: str
    kind: str  # apply | query | appointment
    instant: bool
    cross_province: bool
    partner_cities: tuple[str, ...]
    elder_section: str | None
    form: tuple[FormField, ...]
    materials_zh: str
    materials_en: str
    description_zh: str
    description_en: str
    popularity_rank: int
    audience: str = "citizen"  # citizen | company
    level: str = "city"  # city | county
    appointment_zone: str | None = None
    query_endpoint: str | None = None
    time_limit_days: int = 0


@dataclass(frozen=True)
class Labelled:
    """A code with its Chinese and English names (elder sections, categories, life events)."""

    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class PartnerCity:
    """A cross-province partner city."""

    code: str
    name_zh: str
    name_en: str
    province_zh: str
    province_en: str


@dataclass(frozen=True)
class AppointmentZone:
    """An acceptance zone of the service hall."""

    code: str
    name_zh: str
    name_en: str
    location_zh: str = ""


@dataclass(frozen=True)
class Catalog:
    """The service catalogue and its ETag (keep both to ask "has it changed?" next time)."""

    etag: str
    version: str
    items: tuple[CatalogItem, ...]
    partner_cities: tuple[PartnerCity, ...]
    elder_sections: tuple[Labelled, ...]
    appointment_zones: tuple[AppointmentZone, ...]
    categories: tuple[Labelled, ...]
    life_events: tuple[Labelled, ...]
    raw: JsonDict = field(repr=False)

    @classmethod
    def from_json(cls, data: JsonDict, etag: str) -> Catalog:
        """Parse a catalogue document (e.g. one cached on disk)."""
        return cls(
            etag=etag,
            version=str(data["version"]),
            items=tuple(_catalog_item(item) for item in data["items"]),
            partner_cities=tuple(
                PartnerCity(
                    str(c["code"]),
                    str(c["name_zh"]),
                    str(c["name_en"]),
                    str(c.get("province_zh", "")),
                    str(c.get("province_en", "")),
                )
                for c in data.get("partner_cities", [])
            ),
            elder_sections=tuple(_labelled(s) for s in data.get("elder_sections", [])),
            appointment_zones=tuple(_zone(z) for z in data.get("appointment_zones", [])),
            categories=tuple(_labelled(s) for s in data.get("categories", [])),
            life_events=tuple(_labelled(s) for s in data.get("life_events", [])),
            raw=data,
        )

    def item(self, code: str) -> CatalogItem | None:
        """The item with this code, if any."""
        return next((item for item in self.items if item.code == code), None)


@dataclass(frozen=True)
class Identity:
    """The citizen behind an identity code. ``repr`` leaves out the name, ID number and phone."""

    # Left out of repr so that a log line or traceback showing an Identity cannot leak them.
    name: str = field(repr=False)
    id_number: str = field(repr=False)
    phone: str | None = field(repr=False)
    sex: str | None


@dataclass(frozen=True)
class FundMonth:
    """One month's provident-fund contribution."""

    month: str
    amount: str


@dataclass(frozen=True)
class ProvidentFundAccount:
    """Provident-fund account summary (amounts are decimal strings in yuan)."""

    id_number_masked: str
    status: str
    managed_by: str
    balance: str
    monthly_contribution: str
    last_contribution: str
    loan_outstanding: bool
    recent_contributions: tuple[FundMonth, ...]


@dataclass(frozen=True)
class SocialInsuranceStatus:
    """Social-insurance status summary."""

    id_number_masked: str
    status: str
    months_paid: int
    employer: str | None
    pension_monthly: str | None
    retired_since: str | None


@dataclass(frozen=True)
class AppointmentDay:
    """A bookable day and its free places."""

    day: date
    weekday: int
    available: int


@dataclass(frozen=True)
class AppointmentSlot:
    """A time slot with its capacity and free places."""

    slot: str
    capacity: int
    available: int


@dataclass(frozen=True)
class Ticket:
    """A booked (or cancelled) appointment."""

    booking_id: str
    ticket_number: str
    zone: str
    zone_name_zh: str
    zone_name_en: str
    location_zh: str
    day: date
    slot: str
    status: str  # booked | cancelled
    applicant_masked: str


@dataclass(frozen=True)
class HeartbeatAck:
    """The service's answer to a heartbeat."""

    received_at: datetime
    clock_offset_s: float
    latest_config_version: int | None


@dataclass(frozen=True)
class SignedConfig:
    """A signed configuration document: verify ``signature`` over ``payload`` before parsing it.

    ``content`` is the response body exactly as received: hand those bytes to the config store.
    """

    etag: str
    key_id: str
    algorithm: str
    payload: bytes
    signature: bytes
    raw: JsonDict = field(repr=False)
    content: bytes = field(default=b"", repr=False)


# -- signing --------------------------------------------------------------------------------


def sign_request(
    secret: bytes,
    method: str,
    path: str,
    kiosk_id: str,
    timestamp: str,
    nonce: str,
    body: bytes,
    *,
    idempotency_key: str = "",
) -> str:
    """Lowercase hex HMAC-SHA256 over the string to sign (see docs/api.md); ``idempotency_key`` is
    the Idempotency-Key header value as sent, "" when the request has none."""
    digest = hashlib.sha256(body).hexdigest()
    lines = [SIGNATURE_SCHEME, method.upper(), path, kiosk_id, timestamp, nonce, idempotency_key, digest]
    return hmac.new(secret, "\n".join(lines).encode("utf-8"), hashlib.sha256).hexdigest()


class KioskSigner(requests.auth.AuthBase):
    """requests auth hook that signs each prepared request with a fresh nonce; the signature also
    covers the request's Idempotency-Key header, so it must be set before the request is prepared
    (requests applies the auth hook last) and not changed after."""

    def __init__(self, kiosk_id: str, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        self.kiosk_id = kiosk_id
        self._secret = secret
        self._clock = clock

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        timestamp = str(int(self._clock()))
        nonce = secrets.token_urlsafe(18)
        path = request.path_url
        # The value as it goes on the wire: http.client sends a str as Latin-1 and bytes as they
        # are, and the service reads header bytes as Latin-1.
        idempotency_key = request.headers.get("Idempotency-Key") or ""
        if isinstance(idempotency_key, bytes):
            idempotency_key = idempotency_key.decode("latin-1")
        request.headers["X-Kiosk-Id"] = self.kiosk_id
        request.headers["X-Kiosk-Timestamp"] = timestamp
        request.headers["X-Kiosk-Nonce"] = nonce
        request.headers["X-Kiosk-Signature"] = sign_request(
            self._secret,
            str(request.method),
            path,
            self.kiosk_id,
            timestamp,
            nonce,
            bytes(body),
            idempotency_key=idempotency_key,
        )
        return request


def load_secret(path: Path) -> bytes:
    """The kiosk secret from its credential file."""
    return path.read_bytes().strip()


# -- the client -----------------------------------------------------------------------------


class ApiClient:
    """Signed calls to the central approval API; one instance per kiosk, safe to use from several
    threads at once (each thread gets its own connection pool: requests sessions are not
    guaranteed thread-safe)."""

    def __init__(
        self,
        base_url: str,
        kiosk_id: str,
        secret: bytes,
        *,
        connect_timeout: float,
        read_timeout: float,
        clock: Callable[[], float] = time.time,
        ca_file: str = "",
        client_cert: tuple[str, str] | None = None,
    ) -> None:
        """``ca_file``: trust only these CA certificates (PEM) for the service, not the public CAs;
        ``client_cert``: (certificate, private key) PEM files presented for mutual TLS."""
        self.base_url = base_url.rstrip("/")
        self._verify: str | bool = ca_file or True
        self._client_cert = client_cert
        self.kiosk_id = kiosk_id
        self._secret = secret
        self._clock = clock
        self._timeout = (connect_timeout, read_timeout)
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    @property
    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            # No retries here: the outbox decides when to try again.
            adapter = HTTPAdapter(max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.auth = KioskSigner(self.kiosk_id, self._secret, self._clock)
            session.headers["User-Agent"] = f"civic-kiosk/{self.kiosk_id}"
            session.trust_env = False
            session.verify = self._verify
            if self._client_cert is not None:
                session.cert = self._client_cert
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        """Close pooled connections (of every thread)."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- transport --------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 202),
        stream: bool = False,
    ) -> requests.Response:
        """Send one request; the response when its status is in ``ok``, else the ApiError it means.

        With ``stream`` the body of a successful response is left unread: the caller reads it (with
        :func:`_read_at_most`) and closes the response.
        """
        all_headers = {"Accept": "application/json, application/problem+json"}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        try:
            response = self._session.request(
                method,
                self.base_url + path,
                data=body,
                headers=all_headers,
                timeout=self._timeout,
                allow_redirects=False,
                stream=stream,
            )
        except requests.Timeout as error:
            raise NetworkError(
                None, "No answer", f"The service did not answer in time ({type(error).__name__})."
            ) from error
        except requests.RequestException as error:
            raise NetworkError(
                None, "No answer", f"The service could not be reached ({type(error).__name__})."
            ) from error
        if response.status_code in ok:
            return response
        try:
            raise _error_from(response)
        finally:
            if stream:  # an error body that was not read would keep the connection from the pool
                response.close()

    def _json(self, method: str, path: str, payload: JsonDict | None = None, **kwargs: Any) -> Any:
        body = None if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        response = self._send(method, path, body=body, **kwargs)
        return _decode(response)

    @staticmethod
    def _segment(value: str) -> str:
        return quote(value, safe="")

    # -- applications -----------------------------------------------------------------------

    def deliver_application(self, application_id: str, payload: bytes) -> bytes:
        """POST the exact stored payload bytes; returns the decision JSON bytes (for the outbox)."""
        response = self._send(
            "POST",
            "/v1/applications",
            body=payload,
            headers={"Idempotency-Key": application_id},
            ok=(200, 201),
        )
        _decode(response)  # a non-JSON success is a protocol error, not a decision
        return response.content

    def submit_application(self, application_id: str, body: JsonDict) -> Decision:
        """Submit (or re-submit: same id, same body) an application and return its decision."""
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return _parse(Decision.from_json, json.loads(self.deliver_application(application_id, payload)))

    def get_application(self, application_id: str) -> Decision:
        """An application's current decision or state."""
        data = self._json("GET", f"/v1/applications/{self._segment(application_id)}")
        return _parse(Decision.from_json, data)

    def request_human_review(self, application_id: str, reason: str) -> Decision:
        """Ask for a person to review an automated rejection (PIPL art. 24)."""
        data = self._json(
            "POST", f"/v1/applications/{self._segment(application_id)}/review-requests", {"reason": reason}
        )
        return _parse(Decision.from_json, data)

    # -- catalogue --------------------------------------------------------------------------

    def get_catalog(self, etag: str | None) -> Catalog | None:
        """The catalogue, or None when it has not changed since ``etag``."""
        headers = {"If-None-Match": etag} if etag else {}
        response = self._send("GET", "/v1/catalog", headers=headers, ok=(200, 304))
        if response.status_code == 304:
            return None
        return _parse(lambda d: Catalog.from_json(d, response.headers.get("ETag", "")), _decode(response))

    # -- identity and queries ---------------------------------------------------------------

    def resolve_identity_code(self, token: str) -> Identity:
        """The citizen behind a city-app identity code (the token, or the whole scanned text)."""
        token = token.removeprefix(IDENTITY_CODE_PREFIX)
        data = self._json("POST", "/v1/identity-codes/resolve", {"token": token})
        return _parse(
            lambda d: Identity(
                str(d["name"]), str(d["id_number"]), _opt_str(d.get("phone")), _opt_str(d.get("sex"))
            ),
            data,
        )

    def provident_fund(self, id_number: str) -> ProvidentFundAccount:
        """Provident-fund balance and recent contributions."""
        data = self._json("POST", "/v1/queries/provident-fund", {"id_number": id_number})

        def build(d: JsonDict) -> ProvidentFundAccount:
            return ProvidentFundAccount(
                id_number_masked=str(d["id_number_masked"]),
                status=str(d["status"]),
                managed_by=str(d["managed_by"]),
                balance=str(d["balance"]),
                monthly_contribution=str(d["monthly_contribution"]),
                last_contribution=str(d["last_contribution"]),
                loan_outstanding=bool(d["loan_outstanding"]),
                recent_contributions=tuple(
                    FundMonth(str(m["month"]), str(m["amount"])) for m in d["recent_contributions"]
                ),
            )

        return _parse(build, data)

    def social_insurance(self, id_number: str) -> SocialInsuranceStatus:
        """Social-insurance status."""
        data = self._json("POST", "/v1/queries/social-insurance", {"id_number": id_number})
        return _parse(
            lambda d: SocialInsuranceStatus(
                str(d["id_number_masked"]),
                str(d["status"]),
                int(d["months_paid"]),
                _opt_str(d.get("employer")),
                _opt_str(d.get("pension_monthly")),
                _opt_str(d.get("retired_since")),
            ),
            data,
        )

    # -- appointments -----------------------------------------------------------------------

    def appointment_zones(self) -> tuple[AppointmentZone, ...]:
        """The acceptance zones that take bookings."""
        data = self._json("GET", "/v1/appointments/zones")
        return _parse(lambda d: tuple(_zone(z) for z in d), data)

    def appointment_days(self, zone: str) -> tuple[AppointmentDay, ...]:
        """Bookable days of a zone."""
        data = self._json("GET", f"/v1/appointments/zones/{self._segment(zone)}/days")
        return _parse(
            lambda d: tuple(
                AppointmentDay(date.fromisoformat(x["day"]), int(x["weekday"]), int(x["available"]))
                for x in d
            ),
            data,
        )

    def appointment_slots(self, zone: str, day: date | str) -> tuple[AppointmentSlot, ...]:
        """Time slots of a day with free places."""
        day_text = day.isoformat() if isinstance(day, date) else day
        data = self._json(
            "GET", f"/v1/appointments/zones/{self._segment(zone)}/days/{self._segment(day_text)}/slots"
        )
        return _parse(
            lambda d: tuple(
                AppointmentSlot(str(x["slot"]), int(x["capacity"]), int(x["available"])) for x in d
            ),
            data,
        )

    def book_appointment(
        self, booking_id: str, zone: str, day: date | str, slot: str, applicant: Mapping[str, Any]
    ) -> Ticket:
        """Book a slot; repeating the call with the same booking id returns the same ticket."""
        day_text = day.isoformat() if isinstance(day, date) else day
        payload = {"zone": zone, "day": day_text, "slot": slot, "applicant": dict(applicant)}
        data = self._json(
            "POST",
            "/v1/appointments/bookings",
            payload,
            headers={"Idempotency-Key": booking_id},
            ok=(200, 201),
        )
        return _parse(_ticket, data)

    def cancel_appointment(self, booking_id: str) -> Ticket:
        """Cancel a booking (cancelling twice is harmless)."""
        data = self._json("POST", f"/v1/appointments/bookings/{self._segment(booking_id)}/cancel", {})
        return _parse(_ticket, data)

    # -- fleet ------------------------------------------------------------------------------

    def heartbeat(self, report: Mapping[str, Any]) -> HeartbeatAck:
        """Send a heartbeat (``sent_at`` is filled in from the kiosk clock when absent)."""
        payload = dict(report)
        payload.setdefault("sent_at", datetime.now().astimezone().isoformat())
        data = self._json("POST", "/v1/heartbeats", payload)
        return _parse(
            lambda d: HeartbeatAck(
                datetime.fromisoformat(str(d["received_at"]).replace("Z", "+00:00")),
                float(d["clock_offset_s"]),
                None if d.get("latest_config_version") is None else int(d["latest_config_version"]),
            ),
            data,
        )

    def fetch_config(self, etag: str | None) -> SignedConfig | None:
        """The kiosk's signed configuration document, or None when unchanged since ``etag``.

        The size limit is checked first, while downloading (check 1 of the config store, which does
        not trust the service): a body over ``MAX_DOCUMENT_BYTES`` raises :class:`ResponseTooLarge`
        after at most that many bytes + 1 were read, whatever ``Content-Length`` says, and is never
        parsed. A body within the limit is parsed and kept unchanged in ``SignedConfig.content``.
        """
        import base64

        # Imported here, not at the top: the config store loads the config schema and cryptography,
        # which nothing else in this client needs (the outbox relay uses it without them).
        from kiosk.remote_config import MAX_DOCUMENT_BYTES

        # Uncompressed: the document is small, and the bytes read are then the bytes kept.
        headers = {"Accept-Encoding": "identity"}
        if etag:
            headers["If-None-Match"] = etag
        response = self._send("GET", "/v1/config", headers=headers, ok=(200, 304), stream=True)
        with response:  # closed when done: a body left unread must not go back to the pool
            if response.status_code == 304:
                return None
            etag_now = response.headers.get("ETag", "")
            content = _read_at_most(response, MAX_DOCUMENT_BYTES, etag=etag_now)
        try:
            data = json.loads(content)
        # RecursionError: deeply nested arrays are valid JSON the parser cannot follow.
        except (ValueError, RecursionError) as error:
            raise ProtocolError(
                response.status_code, "Invalid answer", "The service's answer is not JSON."
            ) from error
        return _parse(
            lambda d: SignedConfig(
                etag=etag_now,
                key_id=str(d["key_id"]),
                algorithm=str(d["algorithm"]),
                payload=base64.b64decode(d["payload"], validate=True),
                signature=base64.b64decode(d["signature"], validate=True),
                raw=d,
                content=content,
            ),
            data,
        )


# -- helpers --------------------------------------------------------------------------------


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_datetime(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _labelled(data: JsonDict) -> Labelled:
    return Labelled(str(data["code"]), str(data["name_zh"]), str(data["name_en"]))


def _zone(data: JsonDict) -> AppointmentZone:
    return AppointmentZone(
        str(data["code"]), str(data["name_zh"]), str(data["name_en"]), str(data.get("location_zh", ""))
    )


def _form_field(data: JsonDict) -> FormField:
    return FormField(
        key=str(data["key"]),
        label_zh=str(data["label_zh"]),
        label_en=str(data["label_en"]),
        type=str(data["type"]),
        required=bool(data.get("required", False)),
        prefilled_from=_opt_str(data.get("prefilled_from")),
        choices=tuple(
            Choice(str(c["value"]), str(c["label_zh"]), str(c["label_en"])) for c in data.get("choices") or []
        ),
        hint_zh=str(data.get("hint_zh", "")),
        hint_en=str(data.get("hint_en", "")),
    )


def _catalog_item(data: JsonDict) -> CatalogItem:
    department, category, life_event = data["department"], data["category"], data["life_event"]
    return CatalogItem(
        code=str(data["code"]),
        name_zh=str(data["name_zh"]),
        name_en=str(data["name_en"]),
        department_code=str(department["code"]),
        department_zh=str(department["name_zh"]),
        department_en=str(department["name_en"]),
        category_code=str(category["code"]),
        category_zh=str(category["name_zh"]),
        category_en=str(category["name_en"]),
        life_event_code=str(life_event["code"]),
        life_event_zh=str(life_event["name_zh"]),
        life_event_en=str(life_event["name_en"]),
        kind=str(data["kind"]),
        instant=bool(data["instant"]),
        cross_province=bool(data.get("cross_province", False)),
        partner_cities=tuple(str(c) for c in data.get("partner_cities") or []),
        elder_section=_opt_str(data.get("elder_section")),
        form=tuple(_form_field(f) for f in data.get("form") or []),
        materials_zh=str(data.get("materials_zh", "")),
        materials_en=str(data.get("materials_en", "")),
        description_zh=str(data.get("description_zh", "")),
        description_en=str(data.get("description_en", "")),
        popularity_rank=int(data.get("popularity_rank", 0)),
        audience=str(data.get("audience", "citizen")),
        level=str(data.get("level", "city")),
        appointment_zone=_opt_str(data.get("appointment_zone")),
        query_endpoint=_opt_str(data.get("query_endpoint")),
        time_limit_days=int(data.get("time_limit_days") or 0),
    )


def _ticket(data: JsonDict) -> Ticket:
    return Ticket(
        booking_id=str(data["booking_id"]),
        ticket_number=str(data["ticket_number"]),
        zone=str(data["zone"]),
        zone_name_zh=str(data["zone_name_zh"]),
        zone_name_en=str(data["zone_name_en"]),
        location_zh=str(data.get("location_zh", "")),
        day=date.fromisoformat(str(data["day"])),
        slot=str(data["slot"]),
        status=str(data["status"]),
        applicant_masked=str(data["applicant_masked"]),
    )


def _read_at_most(response: requests.Response, limit: int, *, etag: str = "") -> bytes:
    """The body of a streamed response, reading at most ``limit + 1`` (decoded) bytes of it.

    Raises :class:`ResponseTooLarge` when the body is longer than ``limit``, whatever its
    ``Content-Length`` says (or when it has none), and :class:`NetworkError` when the connection fails
    or times out before the body's end.
    """
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= limit:
            # At most what the limit still allows plus one byte: a longer body is seen without being
            # kept. A body compressed all the same is decoded only up to that amount (urllib3 2.6+).
            chunk = response.raw.read(min(64 * 1024, limit + 1 - size), decode_content=True)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise NetworkError(
            None, "No answer", f"The service's answer broke off ({type(error).__name__})."
        ) from error
    raise ResponseTooLarge(response.status_code, limit, etag=etag)


def _decode(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise ProtocolError(
            response.status_code, "Invalid answer", "The service's answer is not JSON."
        ) from error


def _parse(build: Callable[[Any], T], data: Any) -> T:
    try:
        return build(data)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ProtocolError(
            200,
            "Invalid answer",
            f"The service's answer lacks an expected field ({type(error).__name__}: {error}).",
        ) from error


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _error_from(response: requests.Response) -> ApiError:
    status = response.status_code
    problem: JsonDict = {}
    if "json" in response.headers.get("Content-Type", ""):
        try:
            decoded = response.json()
            problem = decoded if isinstance(decoded, dict) else {}
        except ValueError:
            problem = {}
    title = str(problem.get("title") or response.reason or f"HTTP {status}")
    detail = str(problem.get("detail") or f"The service answered HTTP {status}.")
    retry_after = _retry_after(response.headers.get("Retry-After"))
    kind: type[ApiError]
    if status == 401:
        kind = AuthError
    elif 400 <= status < 500:
        kind = ClientError
    elif status >= 500:
        kind = ServerError
    else:
        kind = ProtocolError
    return kind(
        status, title, detail, retry_after, problem_type=str(problem.get("type", "")), problem=problem
    )
