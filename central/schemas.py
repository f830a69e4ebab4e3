"""Request and response bodies of the API (they are also the OpenAPI 3.1 schemas).

Request bodies are parsed by Python's json module, which accepts ``NaN``, ``Infinity`` and
``-Infinity``. Every request model with a float in it therefore sets ``allow_inf_nan=False``
(``_INBOUND_FLOATS``): such a value is refused with the usual 422 problem. Accepted, it would be
stored (a text form field as "nan"), fail in PostgreSQL's JSON types (a 500) or raise fleet alerts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

# The config of a request model that has float fields (or may hold a float in a union).
_INBOUND_FLOATS: Final = ConfigDict(extra="ignore", allow_inf_nan=False)

IdNumber = Field(pattern=r"^[0-9]{17}[0-9X]$", description="18-character resident identity number")

Outcome = Literal["approved", "rejected", "manual_review", "forwarded", "processing"]


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str


class Applicant(BaseModel):
    """Who applies; read from the ID card or the city app's identity code."""

    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1, max_length=64)
    id_number: str = IdNumber
    phone: str | None = Field(
        default=None, pattern=r"^1[3-9][0-9]{9}$", description="Mobile number, 11 digits"
    )
    source: Literal["idcard", "identity_code", "manual"] | None = None


FormValue = str | int | float | bool | None
"""A form value as sent; a float must be finite (the models that use it refuse NaN and infinities)."""


class ApplicationIn(BaseModel):
    """An application as the kiosk submits it; a non-finite number in ``form`` is a 422."""

    model_config = _INBOUND_FLOATS
    item_code: str = Field(min_length=1, max_length=40)
    applicant: Applicant
    form: dict[str, FormValue] = Field(default_factory=dict)
    partner_city: str | None = Field(default=None, max_length=32)


class ConditionOut(BaseModel):
    """One rule condition's result."""

    id: str
    passed: bool
    skipped: bool = False
    reason_zh: str
    reason_en: str


class ReviewOut(BaseModel):
    """A human review requested by the applicant (PIPL art. 24)."""

    status: Literal["requested"]
    requested_at: datetime
    reason: str


class DecisionOut(BaseModel):
    """An application's decision (or its processing state)."""

    application_id: str
    item_code: str
    item_name_zh: str
    item_name_en: str
    outcome: Outcome
    rule_set_version: str | None
    conditions: list[ConditionOut]
    acceptance_number: str | None
    certificate_ref: str | None
    partner_city: str | None
    partner_reference: str | None
    received_at: datetime
    decided_at: datetime | None
    message_zh: str
    message_en: str
    tracking_code: str
    review: ReviewOut | None = None


class ReviewRequestIn(BaseModel):
    """The applicant's request for a person to look at an automated rejection."""

    reason: str = Field(min_length=1, max_length=500)


class IdentityCodeIn(BaseModel):
    """The token of a scanned ``cityapp:identity:v1:<token>`` code."""

    token: str = Field(pattern=r"^[A-Za-z0-9_-]{16,128}$")


class IdentityOut(BaseModel):
    """The citizen behind an identity code."""

    name: str
    id_number: str
    phone: str | None
    sex: Literal["male", "female"] | None


class IdNumberIn(BaseModel):
    """A query for one identified person."""

    id_number: str = IdNumber


class FundMonthOut(BaseModel):
    """One month's provident-fund contribution."""

    month: str
    amount: str


class ProvidentFundOut(BaseModel):
    """Provident-fund account summary."""

    id_number_masked: str
    status: str
    managed_by: str
    balance: str
    monthly_contribution: str
    last_contribution: str
    loan_outstanding: bool
    recent_contributions: list[FundMonthOut]


class SocialInsuranceOut(BaseModel):
    """Social-insurance status summary."""

    id_number_masked: str
    status: str
    months_paid: int
    employer: str | None
    pension_monthly: str | None
    retired_since: str | None


class ZoneOut(BaseModel):
    """One comprehensive acceptance zone of the service hall."""

    code: str
    name_zh: str
    name_en: str
    location_zh: str


class DayOut(BaseModel):
    """A day that takes bookings."""

    day: str
    weekday: int
    available: int


class SlotOut(BaseModel):
    """A bookable time slot."""

    slot: str
    capacity: int
    available: int


class BookingIn(BaseModel):
    """A booking request."""

    model_config = ConfigDict(extra="ignore")
    zone: str = Field(min_length=1, max_length=32)
    day: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    slot: str = Field(pattern=r"^[0-9]{2}:[0-9]{2}$")
    applicant: Applicant


class TicketOut(BaseModel):
    """A booked (or cancelled) appointment."""

    booking_id: str
    ticket_number: str
    zone: str
    zone_name_zh: str
    zone_name_en: str
    location_zh: str
    day: str
    slot: str
    status: Literal["booked", "cancelled"]
    applicant_masked: str


class DeviceHealthIn(BaseModel):
    """One device's health in a heartbeat."""

    model_config = ConfigDict(extra="ignore")
    name: str = Field(max_length=32)
    health: str = Field(max_length=32)


class HeartbeatIn(BaseModel):
    """What a kiosk reports every minute (no personal data); a non-finite number is a 422."""

    model_config = _INBOUND_FLOATS
    app_version: str = Field(max_length=32)
    sent_at: datetime
    applied_config_version: int | None = None
    trusted_config_version: int | None = None
    outbox_ready: int = Field(default=0, ge=0)
    outbox_dead: int = Field(default=0, ge=0)
    oldest_pending_age_s: float | None = Field(default=None, ge=0)
    last_sync_at: datetime | None = None
    disk_free_bytes: int | None = Field(default=None, ge=0)
    maintenance_mode: bool = False
    devices: list[DeviceHealthIn] = Field(default_factory=list, max_length=16)
    config_rejection: str | None = Field(default=None, max_length=64)


class HeartbeatOut(BaseModel):
    """The server's acknowledgement of a heartbeat."""

    received_at: datetime
    clock_offset_s: float
    latest_config_version: int | None


class SignedConfigDocument(BaseModel):
    """An administrator-signed configuration document, served verbatim as it was published.

    Verify ``signature`` (Ed25519, by the key named ``key_id``) over the base64-decoded ``payload``
    bytes before parsing them; never re-serialise the payload before verifying.
    """

    key_id: str = Field(max_length=64)
    algorithm: Literal["ed25519"]
    payload: str = Field(max_length=400_000)
    signature: str = Field(max_length=200)


class ConfigKeyOut(BaseModel):
    """A registered administrator public key (documents it signs are accepted); pin it on kiosks."""

    key_id: str
    algorithm: Literal["ed25519"]
    public_key: str
    label: str


class CatalogChangeOut(BaseModel):
    """The catalogue version after a change."""

    code: str
    catalog_version: str


class RuleSetChangeOut(BaseModel):
    """The rule set version now active for an item."""

    item_code: str
    version: str


class ConfigPublishOut(BaseModel):
    """A stored configuration document: what the service read from its signed part."""

    config_id: str
    version: int
    scope: dict[str, str | bool]
    key_id: str


class KioskStatusOut(BaseModel):
    """One kiosk in the administrator's fleet listing."""

    kiosk_id: str
    label: str
    online: bool
    last_seen_at: datetime | None
    clock_offset_s: float | None
    app_version: str | None
    applied_config_version: int | None
    outbox_ready: int | None
    outbox_dead: int | None
    config_rejection: str | None = None
    alerts: list[str]


class NotificationOut(BaseModel):
    """A recorded applicant notification."""

    application_id: str
    channel: str
    recipient: str
    message: str
    sent: bool


class Labelled(BaseModel):
    """A code with its Chinese and English names."""

    code: str = Field(min_length=1, max_length=40)
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=200)


class ChoiceDoc(BaseModel):
    """One option of a choice field."""

    value: str = Field(min_length=1, max_length=40)
    label_zh: str
    label_en: str


class FormFieldDoc(BaseModel):
    """A form field of a catalogue item."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label_zh: str = Field(min_length=1, max_length=60)
    label_en: str = Field(min_length=1, max_length=120)
    type: Literal["text", "number", "amount", "phone", "date", "choice"]
    required: bool
    prefilled_from: str | None = None
    choices: list[ChoiceDoc] = Field(default_factory=list)
    hint_zh: str = ""
    hint_en: str = ""


class CatalogItemDoc(BaseModel):
    """One service item as the kiosk receives it (and as an administrator publishes it)."""

    model_config = ConfigDict(extra="allow")
    code: str = Field(pattern=r"^[0-9A-Za-z-]{1,40}$")
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=200)
    department: Labelled
    level: Literal["city", "county"] = "city"
    audience: Literal["citizen", "company"] = "citizen"
    category: Labelled
    life_event: Labelled
    kind: Literal["apply", "query", "appointment"]
    instant: bool
    cross_province: bool = False
    partner_cities: list[str] = Field(default_factory=list)
    elder_section: Literal["social_security", "pension", "medical", "provident_fund", "household"] | None = (
        None
    )
    appointment_zone: str | None = None
    form: list[FormFieldDoc] = Field(default_factory=list)
    materials_zh: str = ""
    materials_en: str = ""
    description_zh: str = ""
    description_en: str = ""
    time_limit_days: int = Field(default=0, ge=0, le=365)
    popularity_rank: int = Field(default=10_000, ge=0)


class CatalogOut(BaseModel):
    """The service catalogue."""

    model_config = ConfigDict(extra="allow")
    version: str
    items: list[CatalogItemDoc]
    partner_cities: list[dict[str, Any]]
    elder_sections: list[dict[str, Any]]
    appointment_zones: list[dict[str, Any]]
