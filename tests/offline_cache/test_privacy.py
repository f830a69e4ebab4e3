"""No personal data on disk in clear: database, WAL and journal files hold only sealed bytes."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

from offline_cache.ids import new_application_id
from offline_cache.outbox import Outbox, State
from offline_cache.sealing import Sealer
from offline_cache.sync import Relay

# Obviously fictional test data.
NAME = "王测试"
ID_NUMBER = "11010519491231002X"
PHONE = "13800138000"
SECRETS = [NAME.encode(), ID_NUMBER.encode(), PHONE.encode(), ID_NUMBER.lower().encode()]


def files_containing_secrets(directory: Path) -> list[str]:
    hits = []
    for path in directory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path.name}:{secret.decode()}" for secret in SECRETS if secret in data]
    return hits


class EchoingTransport:
    """A central service whose decision repeats the applicant's data, as a real one may."""

    def deliver(self, key: str, payload: bytes) -> bytes:
        applicant = json.loads(payload)["applicant"]
        return json.dumps({"application_id": key, "outcome": "approved", "applicant": applicant}).encode()


def test_no_personal_data_in_clear_after_save_relay_and_purge(tmp_path: Path, clock) -> None:
    directory = tmp_path / "state"
    box = Outbox(directory / "outbox.db", Sealer(os.urandom(32), rotation_seconds=86400), clock=clock)
    payload = json.dumps(
        {"item_code": "demo", "applicant": {"name": NAME, "id_number": ID_NUMBER, "phone": PHONE}},
        ensure_ascii=False,
    ).encode()
    ids = [new_application_id(now_ms=i) for i in range(20)]
    for app_id in ids:
        box.add(app_id, payload)
    assert files_containing_secrets(directory) == []  # after saving (WAL not yet checkpointed)

    relay = Relay(box, EchoingTransport(), clock=clock)
    assert len(relay.run_once()) == len(ids)
    assert NAME.encode() in json.dumps(json.loads(box.decision_for(ids[0])), ensure_ascii=False).encode()
    assert files_containing_secrets(directory) == []  # after relaying, decisions stored too

    clock.advance(31 * 86400)
    report = box.purge(30 * 86400)
    assert report.rows_deleted == len(ids)
    assert files_containing_secrets(directory) == []  # after purging
    box.close()
    assert files_containing_secrets(directory) == []  # after closing (final checkpoint)


def test_technician_facing_fields_hold_no_personal_data(tmp_path: Path, clock) -> None:
    box = Outbox(tmp_path / "o.db", Sealer(os.urandom(32), rotation_seconds=86400), clock=clock)
    app_id = new_application_id()
    box.add(app_id, json.dumps({"phone": PHONE}).encode())
    box.claim(app_id)
    box.mark_dead(app_id, status=422, error="HTTP 422")
    (row,) = box.rows(State.DEAD)
    assert PHONE not in repr(row) and PHONE not in repr(box.status())
    box.close()


def test_a_claim_repr_leaves_out_the_payload(tmp_path: Path, clock) -> None:
    box = Outbox(tmp_path / "o.db", Sealer(os.urandom(32), rotation_seconds=86400), clock=clock)
    app_id = new_application_id()
    payload = json.dumps({"applicant": {"name": NAME, "id_number": ID_NUMBER, "phone": PHONE}}).encode()
    box.add(app_id, payload)
    claim = box.claim(app_id)
    assert claim is not None and claim.payload == payload
    text = repr(claim) + str(claim)
    assert app_id in text
    assert all(secret not in text for secret in (NAME, ID_NUMBER, PHONE, "applicant"))
    box.close()


def test_a_stored_fingerprint_cannot_be_recomputed_from_a_guessed_application(tmp_path: Path, clock) -> None:
    # A plain SHA-256 of the payload would let anyone holding the database (or an export of its
    # dead letters) confirm a guessed ID number; the fingerprint is keyed by the device key.
    payload = json.dumps({"applicant": {"name": NAME, "id_number": ID_NUMBER, "phone": PHONE}}).encode()
    stored = []
    for number, device_key in enumerate((os.urandom(32), os.urandom(32))):
        box = Outbox(tmp_path / f"o{number}.db", Sealer(device_key, rotation_seconds=86400), clock=clock)
        box.add(new_application_id(), payload)
        box.close()
        with sqlite3.connect(tmp_path / f"o{number}.db") as conn:
            stored.append(conn.execute("SELECT fingerprint FROM outbox").fetchone()[0])
    assert hashlib.sha256(payload).hexdigest() not in stored
    assert stored[0] != stored[1]  # another kiosk's key, another fingerprint
    sealer = Sealer(b"k" * 32, rotation_seconds=86400)
    assert sealer.fingerprint(payload) == sealer.fingerprint(payload) != sealer.fingerprint(payload + b" ")
