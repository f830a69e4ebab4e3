"""The cage session wrapper and the out-of-service screen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.installer import INSTALLER

pytestmark = pytest.mark.ui


def session_with_fake_kiosk(tmp_path: Path) -> Path:
    """session.sh with its exec target pointed at a script that reports what the kiosk would see."""
    fake = tmp_path / "kiosk"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "print(os.getpid(), os.environ.get('WATCHDOG_PID', '-'), os.environ.get('QT_QPA_PLATFORM'),"
        " ' '.join(sys.argv[1:]))\n"
    )
    fake.chmod(0o755)
    script = tmp_path / "session.sh"
    script.write_text(
        (INSTALLER / "session.sh").read_text().replace("/opt/civic-kiosk/venv/bin/kiosk", str(fake))
    )
    return script


def test_session_readdresses_the_watchdog_to_the_kiosk_process(tmp_path: Path) -> None:
    script = session_with_fake_kiosk(tmp_path)
    env = {"PATH": os.environ["PATH"], "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}
    proc = subprocess.Popen(["sh", str(script), "--tour"], env=env, stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=30)
    pid, watchdog_pid, platform, args = out.split(" ", 3)
    # exec kept the PID: the process systemd now watches is the one that sends the pings.
    assert pid == watchdog_pid == str(proc.pid)
    assert platform == "wayland"
    assert args.strip() == "--tour"


def test_session_leaves_the_watchdog_alone_when_it_is_off(tmp_path: Path) -> None:
    script = session_with_fake_kiosk(tmp_path)
    out = subprocess.run(
        ["sh", str(script)], env={"PATH": os.environ["PATH"]}, capture_output=True, text=True
    )
    assert out.stdout.split(" ")[1] == "-"


def test_out_of_service_screen_renders_the_notice(tmp_path: Path) -> None:
    shot = tmp_path / "notice.png"
    config = tmp_path / "kiosk.toml"
    config.write_text('[kiosk]\nid = "hall-a-03"\n')
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KIOSK_CONFIG": str(config)}
    result = subprocess.run(
        [sys.executable, str(INSTALLER / "out_of_service.py"), "--screenshot", str(shot)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    assert image.size == (1920, 1080)
    colours = image.getcolors(maxcolors=1_000_000) or []
    background = max(colours)[1]
    text_pixels = sum(count for count, colour in colours if colour != background)
    assert text_pixels > 5_000  # the message is drawn, not just the background


def test_out_of_service_reads_the_kiosk_id_and_survives_a_broken_config(tmp_path: Path) -> None:
    sys.path.insert(0, str(INSTALLER))
    try:
        import out_of_service
    finally:
        sys.path.remove(str(INSTALLER))
    good = tmp_path / "good.toml"
    good.write_text('[kiosk]\nid = "hall-a-03"\n')
    bad = tmp_path / "bad.toml"
    bad.write_text("[kiosk\nid = ")
    assert out_of_service.configured_kiosk_id(str(good)) == "hall-a-03"
    assert out_of_service.configured_kiosk_id(str(bad)) == ""
    assert out_of_service.configured_kiosk_id(str(tmp_path / "missing.toml")) == ""
    assert out_of_service.configured_kiosk_id("") == ""
