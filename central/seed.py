"""Loading the demo data: catalogue, rule sets and registries.

Seeding is idempotent: run it again and nothing changes unless the demo data itself changed. The demo
has no configuration document: kiosks run on their compiled-in and local settings until an
administrator registers a key (``kiosk-central add-config-key``) and publishes a signed document
(``kiosk-admin publish``).
"""

from __future__ import annotations

from typing import Any

from central.catalog_demo import build_demo_catalog
from central.db import Database, RegistryRecordRow
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
    return {
        "catalog_version": version,
        "items": len(catalog["items"]),
        "instant_items": len(instant),
        "rule_sets_written": len(written),
        "registry_records": len(records),
    }
