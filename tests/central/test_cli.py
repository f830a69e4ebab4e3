"""The kiosk-central command: demo data, provisioning, revocation, admin tokens."""

from __future__ import annotations

import base64
import json
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, select

from central.db import CatalogItemRow, Database, KioskRow
from kiosk.api_client import load_secret

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "central.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_seed_demo_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    first = run("--db", url, "seed-demo")
    second = run("--db", url, "seed-demo")
    assert first.returncode == second.returncode == 0, first.stderr
    assert json.loads(first.stdout) == json.loads(second.stdout)
    assert json.loads(first.stdout)["items"] == 1324
    db = Database(url)
    try:
        with db.read() as session:
            assert session.execute(select(func.count()).select_from(CatalogItemRow)).scalar_one() == 1324
    finally:
        db.dispose()


def test_provision_writes_a_private_credential_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    credential = tmp_path / "state" / "credential"
    result = run(
        "provision-kiosk",
        "demo-kiosk-01",
        "--label",
        "hall A",
        "--credential-file",
        str(credential),
        "--db",
        url,
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(credential.stat().st_mode) == 0o600
    secret = load_secret(credential)
    assert len(secret) >= 40
    assert secret.decode() not in result.stdout  # written, not printed
    db = Database(url)
    try:
        with db.read() as session:
            kiosk = session.get(KioskRow, "demo-kiosk-01")
            assert kiosk is not None and kiosk.secret.encode() == secret and kiosk.label == "hall A"
    finally:
        db.dispose()


def test_reprovisioning_replaces_the_secret(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    first = run("--db", url, "provision-kiosk", "k1").stdout.strip()
    second = run("--db", url, "provision-kiosk", "k1").stdout.strip()
    assert first and second and first != second


def test_bad_kiosk_id_and_unknown_revocation_are_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    bad = run("--db", url, "provision-kiosk", "has space")
    assert bad.returncode == 2 and "kiosk id" in bad.stderr
    unknown = run("--db", url, "revoke-kiosk", "nobody")
    assert unknown.returncode == 1 and "unknown kiosk" in unknown.stderr


def test_admin_token_and_config_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    token = run("--db", url, "create-admin-token").stdout.strip()
    assert len(token) >= 40
    assert json.loads(run("--db", url, "config-keys").stdout) == []  # the service holds no key of its own
    public = base64.b64encode(
        Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ).decode()
    added = run("--db", url, "add-config-key", public, "--label", "duty administrator")
    assert added.returncode == 0, added.stderr
    key_id = json.loads(added.stdout)["key_id"]
    keys = json.loads(run("--db", url, "config-keys").stdout)
    assert keys == [
        {"key_id": key_id, "algorithm": "ed25519", "public_key": public, "label": "duty administrator"}
    ]
    bad = run("--db", url, "add-config-key", "bm90IGEga2V5")
    assert bad.returncode == 2 and "not an Ed25519 public key" in bad.stderr
    assert len(json.loads(run("--db", url, "config-keys").stdout)) == 1


def test_provision_with_groups(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    ok = run("--db", url, "provision-kiosk", "hall-a-01", "--group", "hall-a", "--group", "north")
    assert ok.returncode == 0, ok.stderr
    bad = run("--db", url, "provision-kiosk", "hall-a-02", "--group", "has space")
    assert bad.returncode == 2 and "group name" in bad.stderr
    db = Database(url)
    try:
        with db.read() as session:
            assert session.get(KioskRow, "hall-a-01").group_name == "hall-a,north"  # type: ignore[union-attr]
            assert session.get(KioskRow, "hall-a-02") is None
    finally:
        db.dispose()


def test_upgrade_destroys_the_old_server_signing_key(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:  # a database from before administrator-signed configuration
        old.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at DATETIME)")
        old.execute("INSERT INTO schema_migrations VALUES (1, '2026-01-01')")
        old.execute("CREATE TABLE signing_keys (key_id VARCHAR(32) PRIMARY KEY, private_key BLOB)")
        old.execute("INSERT INTO signing_keys VALUES ('0123456789abcdef', x'2d2d2d2d')")
        old.execute("CREATE TABLE config_documents (id INTEGER PRIMARY KEY, version INTEGER, settings JSON)")
        old.execute("""INSERT INTO config_documents VALUES (1, 4, '{"language": "en"}')""")
    old.close()
    assert run("--db", f"sqlite:///{path}", "migrate").returncode == 0
    with sqlite3.connect(path) as upgraded:
        tables = {name for (name,) in upgraded.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        documents = upgraded.execute("SELECT count(*) FROM config_documents").fetchone()
    upgraded.close()
    assert "signing_keys" not in tables and "config_keys" in tables
    assert documents == (0,)  # server-signed documents are gone
