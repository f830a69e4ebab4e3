"""Publishing the catalogue and rule sets: whole catalogues, single items, new rule-set versions.

The catalogue is data: an item can be added, changed or retired while kiosks run; every change
gives the catalogue a new version (and so a new ETag). A rule set is stored as a new version and
made active; earlier versions are kept and never rewritten, so a decision's recorded version can
always be looked up and still says what was checked.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import delete, select

from central.db import CatalogItemRow, CatalogStateRow, Database, RuleSetRow
from central.problems import ProblemError
from central.rules import validate_rule_set


class RuleSetVersionExists(ProblemError):
    """409: the item already has this rule-set version with another definition (publish a new one)."""

    def __init__(self, item_code: str, version: str) -> None:
        super().__init__(
            409,
            "rule-set-version-exists",
            "Rule-set version already published",
            f"Version {version!r} of the rule set of {item_code} is already published with other "
            "conditions; decisions cite it, so a change needs a new version.",
        )


def load_catalog(db: Database, catalog: dict[str, Any]) -> str:
    """Replace the catalogue with ``catalog`` when it differs; returns the catalogue version."""
    digest = hashlib.sha256(json.dumps(catalog, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    with db.write() as session:
        state = session.get(CatalogStateRow, 1)
        if state is not None and state.version == digest:
            return digest
        session.execute(delete(CatalogItemRow))
        for position, item in enumerate(catalog["items"]):
            session.add(CatalogItemRow(code=item["code"], position=position, data=item))
        extras = {key: value for key, value in catalog.items() if key != "items"}
        if state is None:
            session.add(CatalogStateRow(id=1, version=digest, extras=extras))
        else:
            state.version, state.extras = digest, extras
    return digest


def _bump_version(session: Any) -> str:
    """Give the catalogue a new version after an item changed (derived from the item contents)."""
    rows = session.execute(select(CatalogItemRow.data).order_by(CatalogItemRow.position)).scalars().all()
    digest = hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    state = session.get(CatalogStateRow, 1)
    if state is None:
        session.add(CatalogStateRow(id=1, version=digest, extras={}))
    else:
        state.version = digest
    return digest


def upsert_catalog_item(db: Database, item: dict[str, Any]) -> str:
    """Add or replace one catalogue item; returns the new catalogue version."""
    with db.write() as session:
        row = session.get(CatalogItemRow, item["code"])
        if row is None:
            last = session.execute(
                select(CatalogItemRow.position).order_by(CatalogItemRow.position.desc())
            ).first()
            session.add(CatalogItemRow(code=item["code"], position=(last[0] + 1) if last else 0, data=item))
        else:
            row.data = item
        session.flush()
        return _bump_version(session)


def retire_catalog_item(db: Database, code: str) -> str | None:
    """Remove an item from the catalogue; the new version, or None when there was no such item."""
    with db.write() as session:
        row = session.get(CatalogItemRow, code)
        if row is None:
            return None
        session.delete(row)
        session.flush()
        return _bump_version(session)


def _canonical(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def load_rule_set(db: Database, rule_set: dict[str, Any]) -> None:
    """Store a rule set version and make it the item's active one (earlier versions are kept).

    A version that exists already is only made active again, and only when ``rule_set`` is the
    same document (publishing it twice, or going back to it); with another definition it raises
    :class:`RuleSetVersionExists` and nothing changes. Raises RuleSetError for a malformed document.
    """
    validate_rule_set(rule_set)
    with db.write() as session:
        existing = session.get(RuleSetRow, (rule_set["item_code"], rule_set["version"]))
        if existing is not None and _canonical(existing.definition) != _canonical(rule_set):
            raise RuleSetVersionExists(rule_set["item_code"], rule_set["version"])
        for row in session.execute(
            select(RuleSetRow).where(RuleSetRow.item_code == rule_set["item_code"])
        ).scalars():
            row.active = row.version == rule_set["version"]
        if existing is None:
            session.add(
                RuleSetRow(
                    item_code=rule_set["item_code"],
                    version=rule_set["version"],
                    active=True,
                    definition=rule_set,
                )
            )
        else:
            existing.active = True
