"""Loading the demo data: catalogue, rule sets, registries, a config signing key, fleet defaults.

Seeding is idempotent: run it again and nothing changes unless the demo data itself changed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from central.catalog_demo import build_demo_catalog
from central.db import (
    ConfigDocumentRow,
    Database,
    RegistryRecordRow,
)
from central.fleet import FleetService, ensure_signing_key
from central.publishing import load_catalog, load_rule_set
from central.registry_demo import build_demo_registries
from central.rule_sets import WRITTEN_RULE_SETS, baseline_rule_set


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
