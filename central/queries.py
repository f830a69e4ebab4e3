"""Queries for an identified citizen and identity-code resolution, over the demo registries."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from central.db import Database, RegistryRecordRow
from central.idnumber import mask_id_number, sex_of
from central.problems import ProblemError

CITY_NAMES = {"411700": "驻马店市住房公积金管理中心", "qianjiang": "潜江市住房公积金中心"}


class QueryService:
    """Read-only look-ups for the kiosk."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def _record(self, registry: str, key: str) -> dict[str, Any] | None:
        with self._db.read() as session:
            row = session.get(RegistryRecordRow, (registry, key))
            return dict(row.data) if row is not None else None

    def resolve_identity_code(self, token: str) -> dict[str, Any]:
        """The person behind a city-app identity code."""
        code = self._record("identity_codes", token)
        if code is None:
            raise ProblemError(
                404,
                "identity-code-unknown",
                "Identity code not recognised",
                "This identity code is not known; ask the citizen to refresh it in the city app.",
            )
        expires = datetime.fromisoformat(code["expires_at"])
        if expires <= datetime.fromtimestamp(self._clock(), UTC):
            raise ProblemError(
                410,
                "identity-code-expired",
                "Identity code expired",
                "This identity code has expired; ask the citizen to refresh it in the city app.",
            )
        person = self._record("people", code["person"]) or {}
        return {
            "name": person.get("name", ""),
            "id_number": code["person"],
            "phone": person.get("phone"),
            "sex": person.get("sex") or sex_of(code["person"]),
        }

    def provident_fund(self, id_number: str) -> dict[str, Any]:
        """Provident-fund account summary with the last six months' contributions."""
        account = self._record("provident_fund", id_number)
        if account is None:
            raise ProblemError(
                404, "no-record", "No record", "No provident fund account is held for this person."
            )
        monthly = account.get("monthly_contribution", "0.00")
        months: list[dict[str, str]] = []
        last = account.get("last_contribution", "")
        if monthly != "0.00" and last:
            year, month = int(last[:4]), int(last[5:7])
            for _ in range(6):
                months.append({"month": f"{year:04d}-{month:02d}", "amount": monthly})
                year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        return {
            "id_number_masked": mask_id_number(id_number),
            "status": account.get("status", "unknown"),
            "managed_by": CITY_NAMES.get(account.get("city", ""), account.get("city", "")),
            "balance": account.get("balance", "0.00"),
            "monthly_contribution": monthly,
            "last_contribution": last,
            "loan_outstanding": bool(account.get("loan_outstanding")),
            "recent_contributions": months,
        }

    def social_insurance(self, id_number: str) -> dict[str, Any]:
        """Social-insurance status summary."""
        record = self._record("social_insurance", id_number)
        if record is None:
            raise ProblemError(
                404, "no-record", "No record", "No social insurance record is held for this person."
            )
        return {
            "id_number_masked": mask_id_number(id_number),
            "status": record.get("status", "unknown"),
            "months_paid": int(record.get("months_paid", 0)),
            "employer": record.get("employer"),
            "pension_monthly": record.get("pension_monthly"),
            "retired_since": record.get("since"),
        }
