"""The installer, run as --root DIR --dry-run: the tree it lays out, idempotence, and its checks."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.config import load_config
from tests.support.installer import INSTALLER, manifest, run_script, snapshot

DEVICES = ("--kiosk-id", "hall-a-03", "--idcard", "1a86:7523", "--scanner", "0C2E:0B61")


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    result = run_script("install.sh", "--root", str(root), "--dry-run", *DEVICES)
    assert result.returncode == 0, result.stderr
    return root


def test_shell_scripts_are_shellcheck_clean() -> None:
    scripts = sorted(str(p) for p in INSTALLER.glob("*.sh"))
    assert len(scripts) >= 4
    result = subprocess.run(["shellcheck", "-x", *scripts], capture_output=True, text=True, cwd=INSTALLER)
    assert result.returncode == 0, result.stdout


def test_dry_run_lays_out_the_tree_with_owners_and_modes(installed: Path) -> None:
    tree = snapshot(installed)
    expected_modes = {
        "/opt/civic-kiosk": 0o755,
        "/opt/civic-kiosk/bin/civic-kiosk-session": 0o755,
        "/opt/civic-kiosk/libexec/out_of_service.py": 0o644,
        "/opt/civic-kiosk/share/uninstall.sh": 0o755,
        "/etc/civic-kiosk": 0o750,
        "/etc/civic-kiosk/kiosk.toml": 0o640,
        "/etc/civic-kiosk/credstore": 0o700,
        "/etc/civic-kiosk/credstore/device-key": 0o600,
        "/var/lib/civic-kiosk": 0o700,
        "/var/lib/civic-kiosk/logs": 0o700,
        "/etc/systemd/system/civic-kiosk.service": 0o644,
        "/etc/systemd/system/civic-kiosk-out-of-service.service": 0o644,
        "/etc/systemd/journald.conf.d/60-civic-kiosk.conf": 0o644,
        "/etc/systemd/logind.conf.d/60-civic-kiosk.conf": 0o644,
        "/etc/sysctl.d/60-civic-kiosk.conf": 0o644,
        "/etc/pam.d/civic-kiosk": 0o644,
        "/etc/udev/rules.d/70-civic-kiosk.rules": 0o644,
    }
    for path, mode in expected_modes.items():
        assert path in tree, path
        assert tree[path].mode == mode, f"{path}: {oct(tree[path].mode)}"
    owners = manifest(installed)
    assert owners["/var/lib/civic-kiosk"] == ("dir", "0700", "kiosk", "kiosk")
    assert owners["/etc/civic-kiosk/credstore/device-key"] == ("file", "0600", "root", "root")
    assert owners["/etc/civic-kiosk/kiosk.toml"] == ("file", "0640", "root", "kiosk")
    assert owners["/etc/civic-kiosk"] == ("dir", "0750", "root", "kiosk")
    # Every manifest entry exists with the recorded mode.
    for path, (kind, mode, _, _) in owners.items():
        assert tree[path].kind == kind, path
        if kind != "link":
            assert tree[path].mode == int(mode, 8), path
    assert tree["/etc/civic-kiosk/credstore/device-key"].size == 32
    links = {p: e.link for p, e in tree.items() if e.kind == "link"}
    assert links["/etc/systemd/system/graphical.target.wants/civic-kiosk.service"] == "../civic-kiosk.service"
    assert links["/etc/systemd/system/ctrl-alt-del.target"] == "/dev/null"
    assert links["/etc/systemd/system/suspend.target"] == "/dev/null"


def test_second_run_changes_nothing(installed: Path) -> None:
    before = snapshot(installed)
    again = run_script("install.sh", "--root", str(installed), "--dry-run", *DEVICES)
    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stdout
    assert "changed:" not in again.stdout
    assert snapshot(installed) == before
    # Without the options, the first run's choices stand.
    bare = run_script("install.sh", "--root", str(installed), "--dry-run")
    assert "nothing changed" in bare.stdout, bare.stdout
    assert snapshot(installed) == before


def host_state() -> dict[str, object]:
    """What a real installation would change on this machine."""
    paths = (
        "/etc/civic-kiosk",
        "/opt/civic-kiosk",
        "/var/lib/civic-kiosk",
        "/etc/systemd/system/civic-kiosk.service",
    )
    user = subprocess.run(["getent", "passwd", "kiosk"], capture_output=True, text=True).stdout
    return {"user": user, **{path: Path(path).exists() for path in paths}}


def test_dry_run_touches_nothing_on_the_host(tmp_path: Path) -> None:
    before = host_state()
    result = run_script("install.sh", "--root", str(tmp_path / "r"), "--dry-run")
    assert result.returncode == 0, result.stderr
    shown = [line for line in result.stdout.splitlines() if line.startswith("would run: ")]
    for command in ("useradd", "apt-get install", "systemctl daemon-reload", "udevadm", "pip install"):
        assert any(command in line for line in shown), command
    assert host_state() == before


def test_the_config_template_loads_and_names_the_stable_device_links(installed: Path, monkeypatch) -> None:
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", "/run/credentials/civic-kiosk.service")
    config = load_config(installed / "etc/civic-kiosk/kiosk.toml")
    assert config.kiosk.id == "hall-a-03"
    assert config.devices.idcard == "sam:///dev/kiosk-idcard?baud=115200"
    assert config.devices.scanner == "serial:///dev/kiosk-scanner?profile=passive"
    assert config.devices.printer == "escpos-usb://0x0416:0x5011"
    assert config.device_key_path == Path("/run/credentials/civic-kiosk.service/device-key")
    unit = (installed / "etc/systemd/system/civic-kiosk.service").read_text()
    assert "LoadCredential=device-key:/etc/civic-kiosk/credstore/device-key" in unit


def test_an_edited_config_is_never_overwritten(installed: Path) -> None:
    conf = installed / "etc/civic-kiosk/kiosk.toml"
    edited = conf.read_text().replace('level = "INFO"', 'level = "DEBUG"')
    conf.write_text(edited)
    result = run_script(
        "install.sh", "--root", str(installed), "--dry-run", "--api-url", "https://gov.example/k"
    )
    assert result.returncode == 0, result.stderr
    assert conf.read_text() == edited
    dist = (installed / "etc/civic-kiosk/kiosk.toml.dist").read_text()
    assert 'base_url = "https://gov.example/k"' in dist
    # An untouched config, by contrast, follows the new values.
    fresh = installed.parent / "fresh"
    run_script("install.sh", "--root", str(fresh), "--dry-run")
    run_script("install.sh", "--root", str(fresh), "--dry-run", "--api-url", "https://gov.example/k")
    assert 'base_url = "https://gov.example/k"' in (fresh / "etc/civic-kiosk/kiosk.toml").read_text()


def test_udev_rules_grant_the_devices_and_keep_usblp_off(installed: Path) -> None:
    rules = (installed / "etc/udev/rules.d/70-civic-kiosk.rules").read_text()
    token = re.compile(r'^[A-Z_]+(\{[A-Za-z_]+\})?(==|!=|\+=|=|:=)"[^"]*"$')
    active = [line for line in rules.splitlines() if line and not line.startswith("#")]
    for line in active:
        for part in line.split(", "):
            assert token.match(part), f"bad udev token {part!r} in {line!r}"
    assert any('ATTRS{idVendor}=="1a86"' in r and 'SYMLINK+="kiosk-idcard"' in r for r in active)
    assert any('ATTRS{idVendor}=="0c2e"' in r and 'SYMLINK+="kiosk-scanner"' in r for r in active)
    assert any('SYMLINK+="kiosk-printer"' in r and 'GROUP="kiosk"' in r for r in active)
    assert any('DRIVER=="usblp"' in r and "usblp/unbind" in r for r in active)


def test_keyboard_mode_scanner_is_hidden_from_the_compositor(tmp_path: Path) -> None:
    root = tmp_path / "r"
    result = run_script(
        "install.sh", "--root", str(root), "--dry-run", "--scanner", "0c2e:0b61", "--scanner-mode", "hid"
    )
    # python-evdev reads the scanner; it is built on the kiosk, so the compiler comes too.
    assert any("pip install" in line and "[evdev]" in line for line in result.stdout.splitlines())
    assert any("apt-get install" in line and " gcc" in line for line in result.stdout.splitlines())
    rules = (root / "etc/udev/rules.d/70-civic-kiosk.rules").read_text()
    assert 'SUBSYSTEM=="input"' in rules and 'ENV{LIBINPUT_IGNORE_DEVICE}="1"' in rules
    assert 'scanner = "hid:///dev/kiosk-scanner"' in (root / "etc/civic-kiosk/kiosk.toml").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--idcard", "not-an-id"), "--idcard wants a USB id"),
        (("--kiosk-id", "bad id!"), "--kiosk-id"),
        (("--api-url", "ftp://x"), "--api-url"),
        (("--scanner-mode", "bluetooth"), "--scanner-mode"),
        (("--bogus",), "unknown option"),
    ],
)
def test_bad_options_are_refused_and_write_nothing(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    root = tmp_path / "r"
    result = run_script("install.sh", "--root", str(root), "--dry-run", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert not any(root.rglob("*"))


def test_dry_run_needs_a_root_and_root_needs_dry_run(tmp_path: Path) -> None:
    assert "--root DIR" in run_script("install.sh", "--dry-run").stderr
    assert "needs --dry-run" in run_script("install.sh", "--root", str(tmp_path)).stderr


def test_uninstall_keeps_the_state_unless_purged(installed: Path) -> None:
    (installed / "var/lib/civic-kiosk/outbox.db").write_bytes(b"pending applications")
    result = run_script("uninstall.sh", "--root", str(installed), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would run: systemctl disable --now civic-kiosk.service" in result.stdout
    assert (installed / "var/lib/civic-kiosk/outbox.db").read_bytes() == b"pending applications"
    assert (installed / "etc/civic-kiosk/credstore/device-key").exists()
    assert (installed / "etc/civic-kiosk/kiosk.toml").exists()
    assert not (installed / "opt/civic-kiosk").exists()
    assert not (installed / "etc/systemd/system/civic-kiosk.service").exists()
    assert not (installed / "etc/systemd/system/ctrl-alt-del.target").is_symlink()
    # Installing again brings everything back around the kept state.
    assert run_script("install.sh", "--root", str(installed), "--dry-run").returncode == 0
    assert (installed / "var/lib/civic-kiosk/outbox.db").exists()
    purge = run_script("uninstall.sh", "--root", str(installed), "--dry-run", "--purge")
    assert purge.returncode == 0, purge.stderr
    assert not (installed / "var/lib/civic-kiosk").exists()
    assert not (installed / "etc/civic-kiosk").exists()
    assert "would run: userdel kiosk" in purge.stdout


def verify_root(installed: Path) -> Path:
    """Add what `systemd-analyze verify --root` resolves: the system's own units and stub binaries."""
    shutil.copytree("/usr/lib/systemd/system", installed / "usr/lib/systemd/system", symlinks=True)
    for stub in ("usr/bin/cage", "bin/sh"):
        path = installed / stub
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    return installed


def analyze_verify(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "--generators=no", f"--root={root}",
         "civic-kiosk.service", "civic-kiosk-out-of-service.service"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_units_pass_systemd_analyze_verify(installed: Path) -> None:
    root = verify_root(installed)
    result = analyze_verify(root)
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""
    # The check is real: a misspelt key in the same tree is reported.
    unit = root / "etc/systemd/system/civic-kiosk.service"
    unit.write_text(unit.read_text().replace("WatchdogSec=30", "WatchDogSec=30"))
    assert "Unknown key 'WatchDogSec'" in analyze_verify(root).stderr


def test_units_keep_the_watchdog_restart_and_fallback_contract(installed: Path) -> None:
    unit = (installed / "etc/systemd/system/civic-kiosk.service").read_text()
    for line in (
        "Type=notify",
        "NotifyAccess=all",
        "WatchdogSec=30",
        "Restart=always",
        "StartLimitBurst=5",
        "OnFailure=civic-kiosk-out-of-service.service",
        "KillMode=mixed",
        "TTYPath=/dev/tty1",
        "ExecStart=/usr/bin/cage -d -- /opt/civic-kiosk/bin/civic-kiosk-session",
        "DeviceAllow=char-ttyUSB rw",
        "DeviceAllow=char-input rw",
        "DeviceAllow=char-usb_device rw",
    ):
        assert line in unit.splitlines(), line
