"""Technician commands: `kiosk queue status|retry-dead|export-dead`, with no personal data shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.queue_cli import main
from offline_cache.ids import new_application_id
from offline_cache.outbox import Outbox, State
from offline_cache.sealing import Sealer

NAME, ID_NUMBER, PHONE = "张测试", "110101199003070011", "13912345678"
PERSONAL = json.dumps({"name": NAME, "id_number": ID_NUMBER, "phone": PHONE}, ensure_ascii=False).encode()
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def state(tmp_path: Path) -> tuple[Path, Path]:
    state_dir = tmp_path / "state"
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[storage]\nstate_dir = "{state_dir}"\n', encoding="utf-8")
    return config, state_dir


def fill(state_dir: Path, clock) -> dict[str, str]:
    box = Outbox(state_dir / "outbox.db", Sealer(os.urandom(32), rotation_seconds=86400), clock=clock)
    ids = {name: new_application_id(now_ms=i) for i, name in enumerate(["dead", "done", "ready", "flight"])}
    for app_id in ids.values():
        box.add(app_id, PERSONAL)
        clock.advance(60)
    box.claim(ids["dead"])
    box.mark_dead(ids["dead"], status=422, error="HTTP 422")
    box.claim(ids["done"])
    box.mark_delivered(ids["done"], b'{"outcome": "approved"}')
    box.claim(ids["flight"])
    box.close()
    return ids


def test_status_json_counts_without_personal_data(state, clock, capsys) -> None:
    config, state_dir = state
    ids = fill(state_dir, clock)
    assert main(["--config", str(config), "status", "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["counts"] == {"ready": 1, "in_flight": 1, "done": 1, "dead": 1}
    assert data["pending"] == 2
    assert data["oldest_pending_age_s"] is not None and data["last_success_at"] is not None
    assert [row["application_id"] for row in data["dead_letters"]] == [ids["dead"]]
    assert data["dead_letters"][0]["last_status"] == 422
    for secret in (NAME, ID_NUMBER, PHONE):
        assert secret not in out


def test_status_leaves_the_running_kiosks_rows_alone(state, clock, capsys) -> None:
    config, state_dir = state
    ids = fill(state_dir, clock)
    main(["--config", str(config), "status"])
    text = capsys.readouterr().out
    assert "ready 1  in flight 1  done 1  dead 1" in text
    box = Outbox(
        state_dir / "outbox.db", Sealer(os.urandom(32), rotation_seconds=86400), startup_checks=False
    )
    assert box.info(ids["flight"]).state is State.IN_FLIGHT  # not requeued behind the kiosk's back
    box.close()


def test_retry_dead_and_export_dead(state, clock, tmp_path: Path, capsys) -> None:
    config, state_dir = state
    ids = fill(state_dir, clock)
    out_file = tmp_path / "dead.jsonl"
    assert main(["--config", str(config), "export-dead", "--out", str(out_file)]) == 0
    exported = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert [row["application_id"] for row in exported] == [ids["dead"]]
    assert exported[0]["sealed_payload"] and exported[0]["wrapped_data_key"]
    raw = out_file.read_bytes()
    for secret in (NAME, ID_NUMBER, PHONE):
        assert secret.encode() not in raw
    assert main(["--config", str(config), "retry-dead"]) == 0
    assert "requeued 1" in capsys.readouterr().out
    box = Outbox(
        state_dir / "outbox.db", Sealer(os.urandom(32), rotation_seconds=86400), startup_checks=False
    )
    assert box.info(ids["dead"]).state is State.READY
    box.close()


def test_status_before_any_save_and_bad_config(state, tmp_path: Path, capsys) -> None:
    config, state_dir = state
    assert main(["--config", str(config), "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["ready"] == 0
    out_file = tmp_path / "dead.jsonl"
    assert main(["--config", str(config), "export-dead", "--out", str(out_file)]) == 0
    assert out_file.read_bytes() == b""
    assert main(["--config", str(config), "retry-dead"]) == 0
    assert not (state_dir / "outbox.db").exists()
    capsys.readouterr()
    bad = tmp_path / "bad.toml"
    bad.write_text("[outbox]\nretention_days = -1\n")
    assert main(["--config", str(bad), "status"]) == 1
    assert "retention_days" in capsys.readouterr().err


def test_runs_as_a_module(state, clock) -> None:
    config, state_dir = state
    fill(state_dir, clock)
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.queue_cli", "--config", str(config), "status", "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["dead"] == 1


def test_export_to_an_unwritable_place_is_a_clear_error(state, clock, tmp_path: Path, capsys) -> None:
    config, state_dir = state
    fill(state_dir, clock)
    assert main(["--config", str(config), "export-dead", "--out", str(tmp_path / "missing" / "x")]) == 1
    assert "export-dead failed" in capsys.readouterr().err
