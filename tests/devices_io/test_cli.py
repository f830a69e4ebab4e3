"""``kiosk-devices scanner …`` and ``kiosk-devices printer …`` run in-process against emulators."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp
from PIL import Image

from devices.__main__ import main
from devices.printer.emulator import NetworkPrinterEmulator
from devices.scanner.emulator import SerialScannerEmulator
from tests.support.qr_scenes import scene

TRACK = "cityapp:track:v1:0190a6c2-7d3e-7abc-8def-0123456789ab"
TOKEN = "Zq3xT0kenForTests-0123456789_ab"  # a fictional identity-code token (31 characters)
IDENTITY = f"cityapp:identity:v1:{TOKEN}"
MASKED_TOKEN = "Zq3x" + "*" * 25 + "ab"


def test_scanner_decode_prints_one_json_line_per_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_code = tmp_path / "code.png"
    without = tmp_path / "blank.png"
    broken = tmp_path / "broken.png"
    cv2.imwrite(str(with_code), scene(TRACK, "small", 3))
    cv2.imwrite(str(without), np.full((100, 100, 3), 255, np.uint8))
    broken.write_bytes(b"not an image")
    assert main(["scanner", "decode", str(with_code), str(without), str(broken), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["image"], r["payload"]) for r in lines] == [
        (str(with_code), TRACK),
        (str(without), None),
        (str(broken), None),
    ]
    assert all(isinstance(r["ms"], float) for r in lines)


def test_scanner_decode_without_json_fails_when_an_image_has_no_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((100, 100, 3), 255, np.uint8))
    assert main(["scanner", "decode", str(blank)]) == 1
    assert "(no code)" in capsys.readouterr().out


def listen_once(payload: str, *options: str) -> int:
    """``scanner listen`` against a serial scanner emulator that scans ``payload`` once."""
    with SerialScannerEmulator("honeywell") as emulator:

        def scan_when_triggered() -> None:
            deadline = time.monotonic() + 5
            while not emulator.trigger_on and time.monotonic() < deadline:
                time.sleep(0.01)
            emulator.scan(payload.encode())

        thread = threading.Thread(target=scan_when_triggered, daemon=True)
        thread.start()
        code = main(["scanner", "listen", "--uri", emulator.uri, "--count", "1", "--timeout", "10", *options])
        thread.join(timeout=5)
    return code


def test_scanner_listen_prints_each_payload(capsys: pytest.CaptureFixture[str]) -> None:
    assert listen_once(TRACK, "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"kind": "tracking", "text": TRACK, "value": TRACK[17:]}


def test_scanner_listen_masks_an_identity_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert listen_once(IDENTITY) == 0
    out = capsys.readouterr().out
    assert out == f"identity\tcityapp:identity:v1:{MASKED_TOKEN}\n"
    assert listen_once(IDENTITY, "--json") == 0
    out = capsys.readouterr().out
    assert TOKEN not in out
    assert json.loads(out) == {
        "kind": "identity",
        "text": f"cityapp:identity:v1:{MASKED_TOKEN}",
        "value": MASKED_TOKEN,
    }


def test_scanner_listen_unmasked_prints_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert listen_once(IDENTITY, "--json", "--unmasked") == 0
    assert json.loads(capsys.readouterr().out) == {"kind": "identity", "text": IDENTITY, "value": TOKEN}


def test_scanner_decode_masks_an_identity_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "identity.png"
    cv2.imwrite(str(image), scene(IDENTITY, "plain", 1))
    assert main(["scanner", "decode", str(image)]) == 0
    out = capsys.readouterr().out
    assert TOKEN not in out and f"cityapp:identity:v1:{MASKED_TOKEN}" in out
    assert main(["scanner", "decode", str(image), "--json", "--unmasked"]) == 0
    assert json.loads(capsys.readouterr().out)["payload"] == IDENTITY


def test_scanner_listen_missing_device_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scanner", "listen", "--uri", f"serial://{tmp_path}/nope", "--timeout", "1"]) == 3
    assert "scanner not available" in capsys.readouterr().err


def test_printer_test_page_status_and_preview(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with NetworkPrinterEmulator("near_end") as emulator:
        assert main(["printer", "test", "--uri", emulator.uri + "?profile=58mm"]) == 0
        assert "paper=near_end" in capsys.readouterr().out
        assert main(["printer", "status", "--uri", emulator.uri, "--json"]) == 0
        status = json.loads(capsys.readouterr().out)
        assert status == {
            "health": "online",
            "online": "true",
            "cover": "closed",
            "paper": "near_end",
            "error": "false",
        }
        deadline = time.monotonic() + 5
        while not emulator.core.printed.endswith(b"\x1d\x56\x00") and time.monotonic() < deadline:
            time.sleep(0.01)
        printed = emulator.core.printed
    assert "打印机测试页".encode("gb18030") in printed
    job = tmp_path / "job.bin"
    job.write_bytes(printed)
    png = tmp_path / "job.png"
    assert main(["printer", "preview", str(job), "--out", str(png), "--paper", "58mm"]) == 0
    image = Image.open(png)
    assert image.width == 384 + 32
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [
        "cityapp:track:v1:00000000-0000-4000-8000-000000000000"
    ]


def test_printer_test_refused_when_paper_is_out(capsys: pytest.CaptureFixture[str]) -> None:
    with NetworkPrinterEmulator("paper_out") as emulator:
        assert main(["printer", "test", "--uri", emulator.uri]) == 1
    assert "out of paper" in capsys.readouterr().err


def test_printer_commands_report_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["printer", "status", "--uri", "escpos-tcp://127.0.0.1:9100?profile=110mm"]) == 2
    assert main(["printer", "preview", str(tmp_path / "missing.bin"), "--out", str(tmp_path / "x.png")]) == 2
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x1d\x76\x30\x00\xff\xff\xff\xff")
    assert main(["printer", "preview", str(garbage), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("kiosk-devices printer:") == 3
