"""Loading the demo data: catalogue, rule sets, registries, a config signing key, fleet defaults.

Seeding is idempotent: run it again and nothing changes unless the demo data itself changed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import delete, select

from central.catalog_demo import build_demo_catalog
from central.db import (
    CatalogItemRow,
    CatalogStateRow,
    ConfigDocumentRow,
    Database,
    RegistryRecordRow,
    RuleSetRow,
)
from central.fleet import FleetService, ensure_signing_key
from central.registry_demo import build_demo_registries
from central.rule_sets import WRITTEN_RULE_SETS, baseline_rule_set
from central.rules import validate_rule_set


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


def load_rule_set(db: Database, rule_set: dict[str, Any]) -> None:
    """Store a rule set version and make it the item's active one (earlier versions are kept)."""
    validate_rule_set(rule_set)
    with db.write() as session:
        existing = session.get(RuleSetRow, (rule_set["item_code"], rule_set["version"]))
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
            existing.definition, existing.active = rule_set, True


def seed_demo(db: Database) -> dict[str, Any]:
    """Migrate and load every piece of demo data; returns a summary."""
    db.migrate()
    catalog = build_demo_catalog()
    version = load_catalog(db, catalog)
    written = {rule_set["item_code"]: rule_set for rule_set in WRITTEN_RULE_SETS}
    instant = [item for item in catalog["items"] if item["instant"]]
    for item in instant:
        load_rule_set(db, written.get(item["code"]) or baseline_rule_set(item["code"], item["audience"]))
    records = build_demo_registries()
    with db.write() as session:
        for registry, key, data in records:
            row = session.get(RegistryRecordRow, (registry, key))
            if row is None:
                session.add(RegistryRecordRow(registry_name=registry, key=key, data=data))
            elif row.data != data:
                row.data = data
    ensure_signing_key(db)
    with db.read() as session:
        has_fleet_config = (
            session.execute(select(ConfigDocumentRow.id).where(ConfigDocumentRow.scope == "fleet")).first()
            is not None
        )
    if not has_fleet_config:
        FleetService(db).update_config(
            "fleet",
            None,
            {
                "language": "zh_CN",
                "elder_mode": False,
                "idle_warning_s": 60,
                "countdown_s": 30,
                "heartbeat_interval_s": 60,
            },
        )
    return {
        "catalog_version": version,
        "items": len(catalog["items"]),
        "instant_items": len(instant),
        "rule_sets_written": len(written),
        "registry_records": len(records),
    }
