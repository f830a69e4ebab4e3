"""Applications: validation, the permanent idempotency key, decisions and human review.

Idempotency (kiosk id + Idempotency-Key, a UNIQUE constraint that never expires):

- no key: 400;
- first request: the decision is made (read-only), then the row, the response and the applicant's
  notification are stored in one transaction;
- a repeat with the same payload fingerprint: the stored response is replayed, byte for byte the
  same body and status, with ``Idempotent-Replayed: true``; a repeat that arrives while the first is
  still being decided or stored waits a few seconds for it, then gets 409 with Retry-After;
- a repeat with a different payload: 422;
- a row left "processing" (by an earlier two-step version of the service, or a future decision that
  calls out to slow registries before finishing) is taken over after ``stale_claim_s``.

Rejected input is never stored, so a corrected resubmission under the same key is decided normally.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from central.catalog import CatalogSnapshot, CatalogStore
from central.db import (
    ApplicationRow,
    Database,
    NotificationRow,
    RegistryRecordRow,
    RuleSetRow,
    id_number_digest,
)
from central.forms import check_form
from central.idnumber import is_valid_id_number, mask_phone
from central.problems import ProblemError, not_found
from central.rules import EarlierDecision, RuleSetError, evaluate
from central.schemas import ApplicationIn, DecisionOut

CHINA = timezone(timedelta(hours=8))  # no daylight saving time in China
log = logging.getLogger(__name__)
KEY_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
RULE_SET_CACHE_S = 1.0
PARTNER_PREFIX = {"yueyang": "YY", "changzhi": "CZ", "xiantao": "XT", "qianjiang": "QJ"}

# The statements of a submission, built once: the values travel as parameters, so no statement is
# rebuilt or re-keyed per request (building them cost more than executing them).
_APPLICATIONS = cast(Table, ApplicationRow.__table__)
_NOTIFICATIONS = cast(Table, NotificationRow.__table__)
_REGISTRY = cast(Table, RegistryRecordRow.__table__)
_FIND_APPLICATION = select(_APPLICATIONS).where(
    _APPLICATIONS.c.kiosk_id == bindparam("find_kiosk_id"),
    _APPLICATIONS.c.application_id == bindparam("find_application_id"),
)
_INSERT_APPLICATION = insert(_APPLICATIONS).returning(_APPLICATIONS.c.id)
_STORE_DECISION = update(_APPLICATIONS).where(_APPLICATIONS.c.id == bindparam("row_id"))
_INSERT_NOTIFICATION = insert(_NOTIFICATIONS)
_REGISTRY_RECORDS = select(_REGISTRY.c.registry, _REGISTRY.c.key, _REGISTRY.c.data).where(
    _REGISTRY.c.key.in_(bindparam("keys", expanding=True))
)
_REGISTRY_RECORD = select(_REGISTRY.c.data).where(
    _REGISTRY.c.registry == bindparam("registry"), _REGISTRY.c.key == bindparam("key")
)
# The applicant's earlier decisions on an item, oldest first (refused and forwarded ones included:
# the rules choose which outcomes count).
_EARLIER_DECISIONS = (
    select(_APPLICATIONS.c.outcome, _APPLICATIONS.c.decided_at, _APPLICATIONS.c.request)
    .where(
        _APPLICATIONS.c.applicant_sha256 == bindparam("applicant_sha256"),
        _APPLICATIONS.c.item_code == bindparam("item_code"),
        _APPLICATIONS.c.state == "done",
    )
    .order_by(_APPLICATIONS.c.id)
)
# PostgreSQL: the whole decided row (its number drawn beforehand) and its SMS in one statement.
_NEXT_APPLICATION_ID = select(func.nextval(func.pg_get_serial_sequence("applications", "id")))
_DECIDED_ROW_COLUMNS = (
    "id",
    "kiosk_id",
    "application_id",
    "fingerprint",
    "state",
    "claim_token",
    "claimed_at",
    "item_code",
    "applicant_sha256",
    "request",
    "outcome",
    "response",
    "response_status",
    "created_at",
    "decided_at",
)
_NOTIFICATION_COLUMNS = ("application_id", "channel", "recipient", "phone", "message", "created_at")
_STORE_APPLICATION = insert(_APPLICATIONS).values(
    {c: bindparam(f"a_{c}", type_=_APPLICATIONS.c[c].type) for c in _DECIDED_ROW_COLUMNS}
)
_STORED = _STORE_APPLICATION.returning(_APPLICATIONS.c.id).cte("stored")
_SMS_VALUES = select(*[bindparam(f"n_{c}", type_=_NOTIFICATIONS.c[c].type) for c in _NOTIFICATION_COLUMNS])
_STORE_WITH_NOTIFICATION = (
    insert(_NOTIFICATIONS)
    .add_cte(_STORED)
    .from_select(list(_NOTIFICATION_COLUMNS), _SMS_VALUES.select_from(_STORED))
)


def fingerprint_of(application: ApplicationIn) -> str:
    """SHA-256 of the canonical JSON of the application (key order and spacing do not matter)."""
    return _fingerprint_of_document(application.model_dump(mode="json"))


def _fingerprint_of_document(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def tracking_code(application_id: str) -> str:
    """What the receipt's QR code carries."""
    return f"cityapp:track:v1:{application_id}"


class ApplicationService:
    """Submits, decides and reports applications."""

    def __init__(
        self,
        db: Database,
        catalog: CatalogStore,
        *,
        on_notification_queued: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
        wait_for_first_s: float = 5.0,
        stale_claim_s: float = 30.0,
    ) -> None:
        self._db = db
        self._catalog = catalog
        self._on_notification_queued = on_notification_queued
        self._clock = clock
        self._wait_for_first_s = wait_for_first_s
        self._stale_claim_s = stale_claim_s
        self._rule_sets: dict[str, tuple[dict[str, Any] | None, float]] = {}

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # -- submission -------------------------------------------------------------------------

    def submit(
        self, kiosk_id: str, key: str | None, application: ApplicationIn
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, body, headers) for a submission."""
        if not key:
            raise ProblemError(
                400,
                "idempotency-key-missing",
                "Idempotency-Key required",
                "Send the application id as the Idempotency-Key header.",
            )
        if not KEY_PATTERN.match(key):
            raise ProblemError(
                400,
                "idempotency-key-invalid",
                "Idempotency-Key malformed",
                "The Idempotency-Key must be the application id, a UUID.",
            )
        key = key.lower()
        request = application.model_dump(mode="json")
        fingerprint = _fingerprint_of_document(request)
        existing = self._find(kiosk_id, key)
        if existing is not None:
            return self._answer_repeat(existing, fingerprint, application)
        snapshot = self._catalog.current()
        item, normalised_form, partner_city = self._validate(snapshot, application)
        # Decide first (read-only: registry look-ups), then store row, decision and notification in
        # one transaction. A simultaneous duplicate fails on the UNIQUE key and replays this answer.
        verdict = self._verdict(item, application, normalised_form, partner_city)
        now = self._now()
        phone = self._phone_of(application)
        stored = {
            "kiosk_id": kiosk_id,
            "application_id": key,
            "fingerprint": fingerprint,
            "claim_token": uuid.uuid4().hex,
            "claimed_at": now,
            "item_code": item["code"],
            "applicant_sha256": id_number_digest(application.applicant.id_number),
            "request": request,
            "created_at": now,
        }
        try:
            if self._db.is_sqlite:
                body = self._store_in_batch(stored, item, partner_city, verdict, phone)
            else:
                body = self._store_in_one_statement(stored, item, partner_city, verdict, phone)
        except IntegrityError:
            # Another request stored this key first; its row is committed a moment later.
            existing = self._await_row(kiosk_id, key)
            return self._answer_repeat(existing, fingerprint, application)
        if phone:
            self._on_notification_queued()
        return 201, body, {}

    def _store_in_batch(
        self,
        stored: dict[str, Any],
        item: dict[str, Any],
        partner_city: str | None,
        verdict: tuple[str, str | None, list[dict[str, Any]]],
        phone: str | None,
    ) -> dict[str, Any]:
        """Row, decision and notification in one transaction (SQLite: a savepoint of the batch)."""
        now, key = stored["created_at"], stored["application_id"]
        with self._db.write() as session:
            connection = session.connection()
            row_id = connection.execute(_INSERT_APPLICATION, {**stored, "state": "processing"}).scalar_one()
            body, notification = self._answer(row_id, key, now, now, item, partner_city, verdict)
            connection.execute(
                _STORE_DECISION,
                {
                    "row_id": row_id,
                    "state": "done",
                    "outcome": body["outcome"],
                    "decided_at": now,
                    "response": body,
                    "response_status": 201,
                },
            )
            if phone:
                connection.execute(_INSERT_NOTIFICATION, _notification_values(key, phone, notification, now))
        return body

    def _store_in_one_statement(
        self,
        stored: dict[str, Any],
        item: dict[str, Any],
        partner_city: str | None,
        verdict: tuple[str, str | None, list[dict[str, Any]]],
        phone: str | None,
    ) -> dict[str, Any]:
        """Row, decision and notification in one statement (PostgreSQL: atomic by itself).

        The row's number is drawn from its sequence first, so the decision that quotes it is
        written with the row: two round trips instead of BEGIN, three statements and COMMIT.
        """
        now, key = stored["created_at"], stored["application_id"]
        with self._db.connect() as connection:
            row_id = int(connection.execute(_NEXT_APPLICATION_ID).scalar_one())
        body, notification = self._answer(row_id, key, now, now, item, partner_city, verdict)
        row = {
            **stored,
            "id": row_id,
            "state": "done",
            "outcome": body["outcome"],
            "decided_at": now,
            "response": body,
            "response_status": 201,
        }
        values = {f"a_{column}": value for column, value in row.items()}
        if phone:
            sms = _notification_values(key, phone, notification, now)
            values.update({f"n_{column}": value for column, value in sms.items()})
            self._db.execute_write(_STORE_WITH_NOTIFICATION, values)
        else:
            self._db.execute_write(_STORE_APPLICATION, values)
        return body

    def _find(self, kiosk_id: str, key: str) -> Any:
        """The stored row (a plain row with the table's columns as attributes), or None."""
        with self._db.connect() as connection:
            return connection.execute(
                _FIND_APPLICATION, {"find_kiosk_id": kiosk_id, "find_application_id": key}
            ).first()

    def _await_row(self, kiosk_id: str, key: str) -> Any:
        deadline = time.monotonic() + self._wait_for_first_s
        while True:
            row = self._find(kiosk_id, key)
            if row is not None:
                return row
            if time.monotonic() >= deadline:
                raise ProblemError(
                    409,
                    "application-in-progress",
                    "Application still being processed",
                    "Another request with this Idempotency-Key is being stored; retry shortly.",
                    retry_after=1,
                )
            time.sleep(0.01)

    def _answer_repeat(
        self, row: Any, fingerprint: str, application: ApplicationIn
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if row.fingerprint != fingerprint:
            raise ProblemError(
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "This application id was already used for a different application.",
            )
        deadline = time.monotonic() + self._wait_for_first_s
        while row.state != "done":
            if (self._now() - _aware(row.claimed_at)).total_seconds() > self._stale_claim_s:
                taken = self._take_over(row, application)
                if taken is not None:
                    return taken
            if time.monotonic() >= deadline:
                raise ProblemError(
                    409,
                    "application-in-progress",
                    "Application still being processed",
                    "The first request with this Idempotency-Key is still being decided; retry shortly.",
                    retry_after=1,
                )
            time.sleep(0.02)
            refreshed = self._find(row.kiosk_id, row.application_id)
            assert refreshed is not None
            row = refreshed
        assert row.response is not None and row.response_status is not None
        return row.response_status, row.response, {"Idempotent-Replayed": "true"}

    def _take_over(
        self, row: Any, application: ApplicationIn
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """Decide an application whose first node died mid-way; None when another request got there first."""
        claim = uuid.uuid4().hex
        with self._db.write() as session:
            result = session.execute(
                update(ApplicationRow)
                .where(
                    ApplicationRow.id == row.id,
                    ApplicationRow.claim_token == row.claim_token,
                    ApplicationRow.state == "processing",
                )
                .values(claim_token=claim, claimed_at=self._now())
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
        snapshot = self._catalog.current()
        item, normalised_form, partner_city = self._validate(snapshot, application)
        verdict = self._verdict(item, application, normalised_form, partner_city)
        decided_at = self._now()
        received_at = _aware(row.created_at)
        body, notification = self._answer(
            row.id, row.application_id, received_at, decided_at, item, partner_city, verdict
        )
        phone = self._phone_of(application)
        with self._db.write() as session:
            result = session.execute(
                update(ApplicationRow)
                .where(ApplicationRow.id == row.id, ApplicationRow.claim_token == claim)
                .values(
                    state="done",
                    outcome=body["outcome"],
                    response=body,
                    response_status=201,
                    decided_at=decided_at,
                )
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None  # yet another request took it over and answers for it
            if phone:
                session.add(self._notification(row.application_id, phone, notification, decided_at))
        if phone:
            self._on_notification_queued()
        return 201, body, {}

    # -- validation -------------------------------------------------------------------------

    def _validate(
        self, snapshot: CatalogSnapshot, application: ApplicationIn
    ) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        item = snapshot.items.get(application.item_code)
        if item is None:
            raise ProblemError(
                422, "unknown-item", "Unknown service item", "The catalogue has no item with this code."
            )
        if item["kind"] != "apply":
            raise ProblemError(
                422,
                "not-an-application",
                "Not an application item",
                f"Items of kind '{item['kind']}' are not submitted as applications.",
            )
        if not is_valid_id_number(application.applicant.id_number):
            raise ProblemError(
                422,
                "invalid-application",
                "Invalid application",
                "The applicant's ID number fails its check digit.",
                extra={
                    "errors": [
                        {
                            "field": "applicant.id_number",
                            "problem_zh": "身份证号码校验失败。",
                            "problem_en": "The ID number fails its check digit.",
                        }
                    ]
                },
            )
        normalised, errors = check_form(item["form"], application.form)
        if errors:
            raise ProblemError(
                422,
                "invalid-application",
                "Invalid application",
                "Some form fields are missing or invalid.",
                extra={"errors": errors},
            )
        partner_city = None
        if application.partner_city:
            partner_city = self._partner_city(snapshot, item, application.partner_city)
        return item, normalised, partner_city

    @staticmethod
    def _partner_city(snapshot: CatalogSnapshot, item: dict[str, Any], given: str) -> str:
        wanted = given.strip().lower()
        code = next(
            (
                c
                for c, city in snapshot.partner_cities.items()
                if wanted in (c, city["name_zh"], city["name_en"].lower())
            ),
            None,
        )
        if code is None or code not in item.get("partner_cities", []):
            raise ProblemError(
                422,
                "partner-city-not-allowed",
                "Partner city not available",
                "This item is not handled across provinces with that city.",
                extra={"allowed": item.get("partner_cities", [])},
            )
        return code

    # -- decision ---------------------------------------------------------------------------

    def _verdict(
        self, item: dict[str, Any], application: ApplicationIn, form: dict[str, Any], partner_city: str | None
    ) -> tuple[str, str | None, list[dict[str, Any]]]:
        """(outcome, rule-set version, condition results) for an application; reads only."""
        if partner_city is not None:
            return "forwarded", None, []
        if item["instant"]:
            return self._run_rules(item, application, form)
        return "manual_review", None, []

    def _answer(
        self,
        row_id: int,
        application_id: str,
        received_at: datetime,
        decided_at: datetime,
        item: dict[str, Any],
        partner_city: str | None,
        verdict: tuple[str, str | None, list[dict[str, Any]]],
    ) -> tuple[dict[str, Any], str]:
        """The decision document (numbered after the stored row) and the SMS text."""
        outcome, rule_set_version, conditions = verdict
        day = decided_at.astimezone(CHINA)
        acceptance = f"SL{day:%Y%m%d}{row_id:08d}"
        certificate_ref = partner_reference = None
        if outcome == "forwarded":
            assert partner_city is not None
            partner_reference = f"{PARTNER_PREFIX.get(partner_city, 'XP')}-{day:%Y%m%d}-{row_id:06d}"
            city = self._catalog.current().partner_cities[partner_city]
            message_zh = f"已通过跨省通办转交{city['name_zh']}办理，对方受理编号 {partner_reference}。"
            message_en = (
                f"Forwarded to {city['name_en']} for cross-province handling; "
                f"their reference is {partner_reference}."
            )
        elif outcome == "approved":
            certificate_ref = f"{item['department']['code']}{day:%Y%m%d}{row_id:06d}"
            message_zh = f"秒批通过，结果编号 {certificate_ref}，短信已发送。"
            message_en = f"Approved instantly; result number {certificate_ref}. An SMS has been sent."
        elif outcome == "rejected":
            message_zh = "未通过自动审核，原因见下。如有异议，可申请人工复核。"
            message_en = (
                "Not approved by the automatic check; see the reasons. You may ask for a human review."
            )
        elif item["instant"]:
            message_zh = "已转人工审核，结果将短信通知。"
            message_en = "Sent to staff review; you will be notified by SMS."
        else:
            days = int(item.get("time_limit_days") or 5)
            message_zh = f"已受理，工作人员将在 {days} 个工作日内审核，结果短信通知。"
            message_en = f"Accepted; staff will review it within {days} working days and notify you by SMS."
        decision = DecisionOut(
            application_id=application_id,
            item_code=item["code"],
            item_name_zh=item["name_zh"],
            item_name_en=item["name_en"],
            outcome=outcome,  # type: ignore[arg-type]
            rule_set_version=rule_set_version,
            conditions=conditions,  # type: ignore[arg-type]
            acceptance_number=acceptance,
            certificate_ref=certificate_ref,
            partner_city=partner_city,
            partner_reference=partner_reference,
            received_at=received_at,
            decided_at=decided_at,
            message_zh=message_zh,
            message_en=message_en,
            tracking_code=tracking_code(application_id),
        )
        sms = f"【驻马店市政务服务】您申请的“{item['name_zh']}”（受理编号 {acceptance}）：{message_zh}"
        return decision.model_dump(mode="json"), sms

    @staticmethod
    def _notification(application_id: str, phone: str, message: str, at: datetime) -> NotificationRow:
        return NotificationRow(
            application_id=application_id,
            channel="sms",
            recipient=mask_phone(phone),
            phone=phone,
            message=message,
            created_at=at,
        )

    def _phone_of(self, application: ApplicationIn) -> str | None:
        return application.applicant.phone or self._registered_phone(application.applicant.id_number)

    def _run_rules(
        self, item: dict[str, Any], application: ApplicationIn, form: dict[str, Any]
    ) -> tuple[str, str | None, list[dict[str, Any]]]:
        rule_set = self._active_rule_set(item["code"])
        if rule_set is None:
            return "manual_review", None, []
        identity = application.applicant.model_dump()
        # Rules look records up by the applicant's ID number or by values from the form: fetch those
        # records in one query; anything else is looked up one by one.
        keys = {identity["id_number"]} | {
            v for v in form.values() if isinstance(v, str) and 0 < len(v) <= 128
        }
        with self._db.connect() as connection:
            records = {
                (registry, key): data
                for registry, key, data in connection.execute(_REGISTRY_RECORDS, {"keys": sorted(keys)})
            }

            def read_registry(registry: str, key: str) -> dict[str, Any] | None:
                if key in keys:
                    found = records.get((registry, key))
                else:
                    found = connection.execute(
                        _REGISTRY_RECORD, {"registry": registry, "key": key}
                    ).scalar_one_or_none()
                return dict(found) if found is not None else None

            def read_earlier() -> list[EarlierDecision]:
                # The registries do not learn of this service's decisions: its own earlier approvals
                # are what keeps an entitlement from being granted twice.
                found = connection.execute(
                    _EARLIER_DECISIONS,
                    {"applicant_sha256": id_number_digest(identity["id_number"]), "item_code": item["code"]},
                )
                return [
                    EarlierDecision(
                        str(outcome),
                        _aware(decided_at).astimezone(CHINA).date(),
                        dict((request or {}).get("form") or {}),
                    )
                    for outcome, decided_at, request in found
                    if outcome is not None and decided_at is not None
                ]

            try:
                decision = evaluate(
                    rule_set,
                    identity,
                    form,
                    read_registry,
                    self._now().astimezone(CHINA).date(),
                    read_earlier,
                )
            except RuleSetError as error:
                # A rule set stored before rule sets were fully validated: staff decide instead of
                # every submission failing (and kiosks retrying) until it is replaced.
                log.error(
                    "rule set %s %s cannot be applied: %s", item["code"], rule_set.get("version"), error
                )
                return "manual_review", None, []
        return decision.outcome, decision.rule_set_version, [c.document() for c in decision.conditions]

    def _active_rule_set(self, item_code: str) -> dict[str, Any] | None:
        """The item's active rule set; re-read at most once a second (a new version applies within 1 s)."""
        cached = self._rule_sets.get(item_code)
        if cached is not None and time.monotonic() - cached[1] < RULE_SET_CACHE_S:
            return cached[0]
        with self._db.read() as session:
            definition = session.execute(
                select(RuleSetRow.definition).where(
                    RuleSetRow.item_code == item_code, RuleSetRow.active.is_(True)
                )
            ).scalar_one_or_none()
        self._rule_sets[item_code] = (definition, time.monotonic())
        return definition

    def forget_rule_set(self, item_code: str) -> None:
        """Re-read the item's rule set on its next use (this node published a new version)."""
        self._rule_sets.pop(item_code, None)

    def _registered_phone(self, id_number: str) -> str | None:
        with self._db.read() as session:
            record = session.get(RegistryRecordRow, ("people", id_number))
            phone = record.data.get("phone") if record is not None else None
        return phone if isinstance(phone, str) else None

    # -- status and review ------------------------------------------------------------------

    def _row_for_reading(self, kiosk_id: str, application_id: str) -> Any:
        if not KEY_PATTERN.match(application_id):
            raise not_found("application")
        application_id = application_id.lower()
        own = self._find(kiosk_id, application_id)
        if own is not None:
            return own
        # A receipt's tracking code may be scanned at any kiosk.
        with self._db.read() as session:
            row = (
                session.execute(
                    select(ApplicationRow)
                    .where(ApplicationRow.application_id == application_id)
                    .order_by(ApplicationRow.id)
                )
                .scalars()
                .first()
            )
        if row is None:
            raise not_found("application")
        return row

    def status(self, kiosk_id: str, application_id: str) -> dict[str, Any]:
        """The application's current state: its decision plus any review requested since."""
        row = self._row_for_reading(kiosk_id, application_id)
        return self._current_view(row)

    def _current_view(self, row: Any) -> dict[str, Any]:
        if row.state != "done" or row.response is None:
            item = self._catalog.current().items.get(row.item_code, {})
            return DecisionOut(
                application_id=row.application_id,
                item_code=row.item_code,
                item_name_zh=item.get("name_zh", ""),
                item_name_en=item.get("name_en", ""),
                outcome="processing",
                rule_set_version=None,
                conditions=[],
                acceptance_number=None,
                certificate_ref=None,
                partner_city=None,
                partner_reference=None,
                received_at=_aware(row.created_at),
                decided_at=None,
                message_zh="正在处理。",
                message_en="Being processed.",
                tracking_code=tracking_code(row.application_id),
            ).model_dump(mode="json")
        view = dict(row.response)
        if row.review_requested_at is not None:
            view["review"] = {
                "status": "requested",
                "requested_at": _aware(row.review_requested_at).isoformat().replace("+00:00", "Z"),
                "reason": row.review_reason or "",
            }
        return view

    def _own_row(self, kiosk_id: str, application_id: str) -> Any:
        """The application this kiosk submitted; a 404 problem for any other (even if another
        kiosk has one with this id)."""
        if not KEY_PATTERN.match(application_id):
            raise not_found("application")
        row = self._find(kiosk_id, application_id.lower())
        if row is None:
            raise not_found("application")
        return row

    def request_review(self, kiosk_id: str, application_id: str, reason: str) -> tuple[int, dict[str, Any]]:
        """Record the applicant's request for a person to review a rejection (idempotent).

        Only on the requesting kiosk's own application (a 404 problem otherwise): a status may be
        read at any kiosk, but a request made in the applicant's name is filed where they applied.
        A reason that is only whitespace is a 422 problem, like an empty one.
        """
        if not reason.strip():
            raise ProblemError(
                422,
                "invalid-request",
                "Invalid request",
                "The request does not match the schema.",
                extra={"errors": [{"field": "body.reason", "problem_en": "The reason must not be blank."}]},
            )
        row = self._own_row(kiosk_id, application_id)
        if row.state != "done" or row.outcome != "rejected":
            raise ProblemError(
                409,
                "not-reviewable",
                "Review not available",
                "Only an automatically rejected application can be sent to human review.",
            )
        if row.review_requested_at is not None:
            return 200, self._current_view(row)
        with self._db.write() as session:
            session.execute(
                update(ApplicationRow)
                .where(ApplicationRow.id == row.id, ApplicationRow.review_requested_at.is_(None))
                .values(review_requested_at=self._now(), review_reason=reason.strip())
            )
        refreshed = self._own_row(kiosk_id, application_id)
        return 202, self._current_view(refreshed)


def _notification_values(application_id: str, phone: str, message: str, at: datetime) -> dict[str, Any]:
    return {
        "application_id": application_id,
        "channel": "sms",
        "recipient": mask_phone(phone),
        "phone": phone,
        "message": message,
        "created_at": at,
    }


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
