"""Signed remote config: every check in order, fail closed, activation only between sessions."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.admin_cli import main as admin_main
from kiosk.clock import FakeClock
from kiosk.config import KioskConfig
from kiosk.remote_config import (
    ConfigProbation,
    RemoteConfigRejected,
    RemoteConfigStore,
    key_id,
    sign_document,
)

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def signed_part(version: int = 1, **changes: Any) -> dict[str, Any]:
    part: dict[str, Any] = {
        "type": "kiosk-config",
        "schema_version": 1,
        "config_id": f"cfg-{version}",
        "version": version,
        "issued_at": (NOW - timedelta(hours=1)).isoformat(),
        "expires": (NOW + timedelta(days=30)).isoformat(),
        "scope": {"fleet": True},
        "min_app_version": "0.1.0",
        "activation": {"at_idle": True, "not_before": None},
        "settings": {"session": {"idle_warning_s": 90}},
        "maintenance": {"pin_hashes": []},
    }
    part.update(changes)
    return part


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def store(tmp_path: Path, key: Ed25519PrivateKey, clock: FakeClock) -> RemoteConfigStore:
    public = key.public_key()
    return RemoteConfigStore(
        tmp_path / "remote",
        pinned_keys={key_id(public): public},
        kiosk_id="zmd-hall-07",
        groups=frozenset({"hall-a"}),
        app_version="0.1.0",
        base_config=KioskConfig.model_validate({"kiosk": {"id": "zmd-hall-07"}}),
        clock=clock,
    )


def test_a_good_document_is_accepted_then_activated_only_between_sessions(store, key) -> None:
    store.accept(sign_document(signed_part(1), key))
    assert store.trusted_version == 1
    assert store.effective_config().session.idle_warning_s == 60  # accepted, not yet active
    assert store.activate(session_running=True) is None
    activated = store.activate(session_running=False)
    assert activated is not None and activated.version == 1
    assert store.effective_config().session.idle_warning_s == 90
    assert store.effective_config().kiosk.id == "zmd-hall-07"


def rejected(store: RemoteConfigStore, raw: bytes) -> str:
    with pytest.raises(RemoteConfigRejected) as caught:
        store.accept(raw)
    return caught.value.code


def test_signature_over_other_bytes_is_refused(store, key) -> None:
    doc = json.loads(sign_document(signed_part(1), key))
    payload = base64.b64decode(doc["payload"]).replace(b"90", b"99")
    doc["payload"] = base64.b64encode(payload).decode()
    assert rejected(store, json.dumps(doc).encode()) == "bad_signature"
    assert store.trusted_version == 0


def test_a_key_that_is_not_pinned_is_refused(store) -> None:
    assert rejected(store, sign_document(signed_part(1), Ed25519PrivateKey.generate())) == "unknown_key"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"type": "firmware"}, "wrong_type"),
        ({"schema_version": 9}, "unsupported_schema"),
        ({"expires": (NOW - timedelta(seconds=1)).isoformat()}, "expired"),
        ({"issued_at": (NOW + timedelta(hours=2)).isoformat()}, "clock_unsynchronised"),
        ({"scope": {"kiosk": "another-kiosk"}}, "wrong_scope"),
        ({"scope": {"group": "hall-b"}}, "wrong_scope"),
        ({"min_app_version": "9.0.0"}, "app_too_old"),
        ({"settings": {"session": {"idle_warning_s": 1}}}, "invalid_settings"),
        ({"settings": {"sesion": {}}}, "invalid_settings"),
        ({"settings": {"kiosk": {"id": "hijack"}}}, "schema"),
        ({"settings": {"fleet": {"pinned_keys": []}}}, "schema"),
        ({"settings": {"fleet": {"groups": ["hall-a", "all"]}}}, "schema"),
    ],
)
def test_each_check_refuses_what_it_guards(store, key, changes, code) -> None:
    assert rejected(store, sign_document(signed_part(1, **changes), key)) == code
    assert store.trusted_version == 0


def test_a_version_that_is_not_an_integer_is_refused(store, key) -> None:
    part = signed_part(1)
    part["version"] = "2"
    assert rejected(store, sign_document(part, key)) == "schema"


def test_group_and_kiosk_scopes_match(store, key) -> None:
    store.accept(sign_document(signed_part(1, scope={"group": "hall-a"}), key))
    store.accept(sign_document(signed_part(2, scope={"kiosk": "zmd-hall-07"}), key))
    assert store.trusted_version == 2


def test_rollback_to_an_older_version_is_refused_and_equal_needs_identical_bytes(store, key) -> None:
    first = sign_document(signed_part(3), key)
    store.accept(first)
    store.accept(first)  # the same bytes again: harmless
    assert rejected(store, sign_document(signed_part(2), key)) == "rollback"
    assert rejected(store, sign_document(signed_part(3, config_id="other"), key)) == "rollback"
    assert store.trusted_version == 3


def test_oversized_and_garbage_documents_are_refused(store) -> None:
    assert rejected(store, b"x" * 300_000) == "too_large"
    assert rejected(store, b"{not json") == "malformed"
    assert (
        rejected(store, b'{"payload": "%%%", "signature": "", "key_id": "", "algorithm": "ed25519"}')
        == "malformed"
    )


def test_roll_back_returns_to_the_previous_good_document(store, key) -> None:
    store.accept(sign_document(signed_part(1), key))
    store.activate(session_running=False)
    store.accept(sign_document(signed_part(2, settings={"session": {"idle_warning_s": 120}}), key))
    store.activate(session_running=False)
    assert store.effective_config().session.idle_warning_s == 120
    assert store.roll_back().session.idle_warning_s == 90
    assert store.effective_config().session.idle_warning_s == 90
    assert store.trusted_version == 2  # the counter never goes back: v1 cannot be replayed over v2


def test_an_expired_active_document_falls_back_to_the_local_config(store, key, clock) -> None:
    store.accept(sign_document(signed_part(1), key))
    store.activate(session_running=False)
    clock.advance(timedelta(days=31).total_seconds())
    assert store.effective_config().session.idle_warning_s == 60


def test_admin_tool_keygen_sign_verify_round_trip(tmp_path: Path, capsys) -> None:
    key_file = tmp_path / "admin.key"
    assert admin_main(["keygen", "--out", str(key_file)]) == 0
    assert key_file.stat().st_mode & 0o777 == 0o600
    public = json.loads(capsys.readouterr().out)["public_key"]
    settings = tmp_path / "settings.toml"
    settings.write_text("[session]\nidle_warning_s = 75\n", encoding="utf-8")
    doc = tmp_path / "doc.json"
    assert (
        admin_main(
            [
                "sign",
                str(settings),
                "--key",
                str(key_file),
                "--version",
                "4",
                "--out",
                str(doc),
                "--pin",
                "246810",
            ]
        )
        == 0
    )
    assert admin_main(["verify", str(doc), "--public-key", public]) == 0
    assert "version 4" in capsys.readouterr().out
    assert admin_main(["show", str(doc)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["settings"] == {"session": {"idle_warning_s": 75}}
    assert "246810" not in json.dumps(shown)  # the PIN is stored only as a salted hash
    too_old = ["verify", str(doc), "--public-key", public, "--app-version", "0.0.1"]
    assert admin_main(too_old) == 1
    assert "app_too_old" in capsys.readouterr().err


def test_admin_tool_refuses_bad_settings_with_one_line(tmp_path: Path, capsys) -> None:
    key_file = tmp_path / "admin.key"
    admin_main(["keygen", "--out", str(key_file)])
    settings = tmp_path / "settings.toml"
    settings.write_text("[session]\nidle_warning_s = 2\n", encoding="utf-8")
    code = admin_main(["sign", str(settings), "--key", str(key_file), "--version", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "[session] idle_warning_s" in err and "\n" not in err


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"activation": []}, "schema"),
        ({"activation": "at idle"}, "schema"),
        ({"activation": None}, "schema"),
        ({"activation": {"at_idle": "no", "not_before": None}}, "schema"),
        ({"activation": {"at_idle": True, "not_before": 5}}, "schema"),
        ({"maintenance": "x"}, "schema"),
        ({"maintenance": {"pin_hashes": "pbkdf2"}}, "schema"),
        ({"maintenance": {"pin_hashes": [1]}}, "schema"),
        ({"settings": {"kiosk": 5}}, "schema"),
        ({"settings": {"kiosk": "id"}}, "schema"),
        ({"settings": {"fleet": ["pinned_keys"]}}, "schema"),
        ({"settings": []}, "schema"),
        ({"scope": {"group": ["hall-a"]}}, "schema"),
        ({"scope": {"kiosk": 7}}, "schema"),
        ({"scope": {"fleet": "yes"}}, "schema"),
        ({"expires": 20260701}, "schema"),
        ({"issued_at": None}, "schema"),
        ({"config_id": {"name": "x"}}, "schema"),
        ({"min_app_version": 9}, "schema"),
        ({"min_app_version": "1" * 5000}, "schema"),
        ({"min_app_version": "1.²"}, "app_too_old"),
        ({"schema_version": [1]}, "unsupported_schema"),
        ({"schema_version": True}, "unsupported_schema"),
    ],
)
def test_a_signed_field_of_the_wrong_type_is_refused_with_a_code(store, key, changes, code) -> None:
    raw = sign_document(signed_part(1, **changes), key)
    with pytest.raises(RemoteConfigRejected) as caught:  # never AttributeError, TypeError, ValueError
        store.accept(raw)
    assert caught.value.code == code
    assert store.trusted_version == 0


def test_deeply_nested_json_is_malformed_not_a_crash(store, key) -> None:
    assert rejected(store, b"[" * 100_000) == "malformed"  # the envelope: not even signed
    payload = b"[" * 100_000
    envelope = {
        "key_id": key_id(key.public_key()),
        "algorithm": "ed25519",
        "payload": base64.b64encode(payload).decode(),
        "signature": base64.b64encode(key.sign(payload)).decode(),
    }
    assert rejected(store, json.dumps(envelope).encode()) == "malformed"


def test_an_expired_active_document_reports_version_0_and_why_instead_of_raising(store, key, clock) -> None:
    store.accept(sign_document(signed_part(1), key))
    store.activate(session_running=False)
    assert store.active_version == 1 and store.active_rejection is None
    clock.advance(timedelta(days=31).total_seconds())
    assert store.active_version == 0  # the local config runs: nothing signed is applied
    lapsed = store.active_rejection
    assert lapsed is not None and lapsed.code == "expired"
    assert store.effective_config().session.idle_warning_s == 60
    # A newer document is still accepted and replaces the lapsed one.
    later = (NOW + timedelta(days=60)).isoformat()
    store.accept(sign_document(signed_part(2, expires=later), key))
    activated = store.activate(session_running=False)
    assert activated is not None and activated.version == 2
    assert store.active_version == 2 and store.active_rejection is None


def test_roll_back_to_an_expired_previous_document_gives_the_local_config(store, key, clock) -> None:
    store.accept(sign_document(signed_part(1, expires=(NOW + timedelta(days=1)).isoformat()), key))
    store.activate(session_running=False)
    store.accept(sign_document(signed_part(2, settings={"session": {"idle_warning_s": 120}}), key))
    store.activate(session_running=False)
    clock.advance(timedelta(days=2).total_seconds())
    assert store.roll_back().session.idle_warning_s == 60
    assert store.active_version == 0 and store.effective_config().session.idle_warning_s == 60


def test_a_document_that_is_not_at_idle_still_waits_for_the_citizen_to_leave(store, key) -> None:
    store.accept(sign_document(signed_part(1, activation={"at_idle": False, "not_before": None}), key))
    # Activating restarts an installed kiosk: during a session that would cancel the citizen's work.
    assert store.activate(session_running=True) is None
    assert store.active_version == 0
    activated = store.activate(session_running=False)
    assert activated is not None and activated.version == 1


def test_a_rolled_back_version_is_never_activated_again_but_a_newer_one_is(store, key) -> None:
    store.accept(sign_document(signed_part(1), key))
    store.activate(session_running=False)
    store.accept(sign_document(signed_part(2, settings={"session": {"idle_warning_s": 120}}), key))
    store.activate(session_running=False)
    assert store.probation_version == 2
    assert store.roll_back().session.idle_warning_s == 90
    assert store.rolled_back_version == 2 and store.probation_version is None
    # The trusted file still holds version 2: the next idle moment must not bring it back.
    assert store.pending() is None
    assert store.activate(session_running=False) is None
    assert store.active_version == 1
    reported = store.active_rejection
    assert reported is not None and reported.code == "rolled_back" and "2" in reported.detail
    store.accept(sign_document(signed_part(3, settings={"session": {"idle_warning_s": 100}}), key))
    activated = store.activate(session_running=False)
    assert activated is not None and activated.version == 3
    assert store.effective_config().session.idle_warning_s == 100
    assert store.active_rejection is None  # the fix is in force: nothing left to report


def probation_after_start(store: RemoteConfigStore, key, clock: FakeClock) -> ConfigProbation:
    """Version 1 is activated, then the kiosk restarts on it: the start that applies it."""
    store.accept(sign_document(signed_part(1), key))
    store.activate(session_running=False)
    probation = ConfigProbation(store, clock, window_s=600)
    assert probation.version == 1
    return probation


def test_probation_rolls_back_a_start_that_never_reaches_the_central_service(store, key, clock) -> None:
    probation = probation_after_start(store, key, clock)
    clock.advance(300)
    assert probation.check(answered=False, session_running=False) is False  # still within the window
    clock.advance(301)
    assert probation.check(answered=False, session_running=True) is False  # never during a session
    assert store.active_version == 1
    assert probation.check(answered=False, session_running=False) is True
    assert store.active_version == 0 and store.effective_config().session.idle_warning_s == 60
    assert store.activate(session_running=False) is None  # not re-activated at the next idle moment
    assert probation.check(answered=False, session_running=False) is False  # decided once
    # The next start runs the local config: nothing is on probation.
    assert ConfigProbation(store, clock).version is None


def test_probation_keeps_a_document_once_a_heartbeat_is_answered(store, key, clock) -> None:
    probation = probation_after_start(store, key, clock)
    assert probation.check(answered=True, session_running=False) is False
    clock.advance(3600)
    assert probation.check(answered=False, session_running=False) is False  # confirmed: kept for good
    assert store.active_version == 1 and store.active_rejection is None
    assert ConfigProbation(store, clock).version is None  # a later start does not watch it again


def test_probation_is_not_decided_by_a_start_that_runs_the_previous_config(store, key, clock) -> None:
    probation = ConfigProbation(store, clock, window_s=600)  # this start runs the local config
    store.accept(sign_document(signed_part(1), key))
    store.activate(session_running=False)  # applies from the next start, not this one
    clock.advance(601)
    assert probation.check(answered=False, session_running=False) is False
    assert store.active_version == 1 and store.probation_version == 1
