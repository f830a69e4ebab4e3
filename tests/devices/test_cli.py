"""``kiosk-devices``: the commands a technician types."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import serial

from devices.__main__ import main
from devices.emulators.idcard import SamReaderEmulator
from devices.idcard.samples import sample_card

ROOT = Path(__file__).resolve().parents[2]


def test_read_prints_a_masked_card_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with SamReaderEmulator(scenario="card_placed", paced=False) as emu:
        code = main(["idcard", "read", "--port", emu.path, "--timeout", "10"])
    out = capsys.readouterr().out
    assert code == 0
    assert "110101********0015" in out
    card = sample_card()
    for value in (card.id_number, card.name, card.address, card.issuer, "1990-01-01"):
        assert value is not None and value not in out
    assert "王**" in out and "北京市" + "*" * 8 in out and "****-**-**" in out
    assert "photo" not in out  # no licensed photo decoder: nothing to show


def test_read_unmasked_prints_the_personal_fields_in_clear(capsys: pytest.CaptureFixture[str]) -> None:
    with SamReaderEmulator(scenario="card_placed", paced=False) as emu:
        code = main(["idcard", "read", "--port", emu.path, "--timeout", "10", "--json", "--unmasked"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data == {**sample_card().to_json(masked=False), "photo": None}


def test_read_shows_the_photo_size_when_a_photo_was_decoded(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from devices.idcard import cli
    from devices.idcard.card import Photo

    card = dataclasses.replace(sample_card(), photo=Photo(102, 126, b"\x00" * 10))
    monkeypatch.setattr(cli, "_wait_for_card", lambda *_args: (card, None))
    with SamReaderEmulator(scenario="card_placed", paced=False) as emu:
        assert main(["idcard", "read", "--port", emu.path, "--timeout", "10"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^photo +102x126$", out, re.MULTILINE)
    assert card.name not in out


def test_read_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    with SamReaderEmulator(card=sample_card("hmt_permit"), scenario="card_placed", paced=False) as emu:
        code = main(["idcard", "read", "--port", emu.path, "--json", "--unmasked"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["card_type"] == "hmt_permit"
    assert data["id_number"] == sample_card("hmt_permit").id_number  # --unmasked
    assert data["nation"] is None and data["issue_count"] == 1
    assert data["id_number_valid"] is True


def test_no_card_within_the_timeout_is_one_line_and_exit_one(capsys: pytest.CaptureFixture[str]) -> None:
    with SamReaderEmulator(scenario="no_card", paced=False) as emu:
        code = main(["idcard", "read", "--port", emu.path, "--timeout", "0.7"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "no card read within 0.7 s" in captured.err


def test_a_card_moved_away_is_named_when_the_wait_ends(capsys: pytest.CaptureFixture[str]) -> None:
    with SamReaderEmulator(scenario="removed_mid_read", paced=False) as emu:
        code = main(["idcard", "read", "--port", emu.path, "--timeout", "0.8"])
    assert code == 1
    assert "moved during reading" in capsys.readouterr().err


def test_a_faulty_or_missing_reader_exits_three(capsys: pytest.CaptureFixture[str]) -> None:
    with SamReaderEmulator(scenario="sam_fault", paced=False) as emu:
        assert main(["idcard", "read", "--port", emu.path, "--timeout", "1"]) == 3
    assert main(["idcard", "read", "--port", "/nonexistent/ttyUSB7", "--timeout", "1"]) == 3
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert "fault" in err[0] and "cannot open serial port" in err[1]


def test_bad_arguments_exit_two(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["idcard", "read"])
    assert exit_.value.code == 2
    assert main(["idcard", "read", "--port", "x", "--timeout", "0"]) == 2


def test_list_shows_configured_devices_and_their_health(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with SamReaderEmulator(scenario="card_placed", paced=False) as emu:
        config = tmp_path / "kiosk.toml"
        config.write_text(f'[kiosk]\nid = "t"\n[devices]\nidcard = "sam://{emu.path}"\n', encoding="utf-8")
        main(["list", "--config", str(config), "--json"])
    rows = {row["device"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["idcard"]["health"] == "online"
    assert rows["idcard"]["serial"] == "05.01-20190101-0000000123-0000004567"
    assert rows["idcard"]["status"]["baud"] == "115200"


def test_list_reports_a_missing_device_and_exits_nonzero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[devices]\nidcard = "sam:///nonexistent/ttyUSB5"\n', encoding="utf-8")
    assert main(["list", "--config", str(config)]) == 1
    line = next(row for row in capsys.readouterr().out.splitlines() if row.startswith("idcard"))
    assert "no_device" in line


@pytest.mark.parametrize(
    ("content", "fragment"),
    [("[devices\n", "not valid TOML"), ("[devices]\nidcard = 3\n", "URI strings")],
)
def test_list_with_a_broken_config_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, fragment: str
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(content, encoding="utf-8")
    assert main(["list", "--config", str(config)]) == 2
    assert fragment in capsys.readouterr().err
    assert main(["list", "--config", str(tmp_path / "missing.toml")]) == 2


def test_emulate_prints_a_port_that_serves_the_given_card(tmp_path: Path) -> None:
    card_file = tmp_path / "card.json"
    card_file.write_text(json.dumps(sample_card("foreign_2017").to_json(masked=False)), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "devices", "idcard", "emulate", "--card", str(card_file)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port and serial.Serial(port).close() is None
        read = subprocess.run(
            [
                sys.executable,
                "-m",
                "devices",
                "idcard",
                "read",
                "--port",
                port,
                "--json",
                "--unmasked",
                "--timeout",
                "10",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert read.returncode == 0, read.stderr
        assert json.loads(read.stdout)["name_en"] == "SMITH, JOHN SAMPLE"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_emulate_rejects_a_bad_card_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card_file = tmp_path / "card.json"
    card_file.write_text('{"card_type": "passport"}', encoding="utf-8")
    assert main(["idcard", "emulate", "--card", str(card_file)]) == 2
    assert "card_type" in capsys.readouterr().err


def test_emulate_rejects_a_card_whose_fields_do_not_fit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = {**sample_card().to_json(masked=False), "name": "名" * 16}
    card_file = tmp_path / "card.json"
    card_file.write_text(json.dumps(data), encoding="utf-8")
    assert main(["idcard", "emulate", "--card", str(card_file)]) == 2
    assert "name does not fit" in capsys.readouterr().err
