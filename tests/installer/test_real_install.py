"""A real (not dry) install and uninstall, confined to a private mount namespace.

The installer runs as root for real: useradd, chown, chmod and the file layout all happen, but on
private copies of /etc, /opt, /var/lib and /var/log bound over the real ones inside a namespace
that nothing propagates out of. Commands that would reach beyond the file system (apt-get, dpkg-query,
systemctl, udevadm, sysctl) and the virtual environment (python3 -m venv, pip) are stand-ins that
record how they were called.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.installer import INSTALLER

RUNNER = r"""
set -euo pipefail
work=$1; shift
# /etc as it is (users, groups, login.defs); the others start empty.
for dir in etc opt var/lib var/log; do
  mkdir -p "$work/private/$dir"
  [ "$dir" = etc ] && cp -a /etc/. "$work/private/etc/"
  mount --bind "$work/private/$dir" "/$dir"
done
# Refuse to go on unless the writes really land in the private copies.
touch /etc/.civic-kiosk-private-etc
[ -e "$work/private/etc/.civic-kiosk-private-etc" ] || exit 97
export PATH="$work/stubs:$PATH"
for step in "$@"; do
  eval "$step"
  echo "== owners"
  stat -c '%U:%G %a %n' /etc/civic-kiosk /etc/civic-kiosk/kiosk.toml /etc/civic-kiosk/credstore \
    /etc/civic-kiosk/credstore/device-key /var/lib/civic-kiosk /var/lib/civic-kiosk/logs 2>/dev/null || true
  echo "== user"
  getent passwd kiosk || echo "no kiosk user"
  id -nG kiosk 2>/dev/null || true
done
"""

STUB = """#!/bin/sh
echo "$(basename "$0") $*" >> "{log}"
{extra}
"""


def make_stubs(work: Path) -> Path:
    log = work / "commands.log"
    stubs = work / "stubs"
    stubs.mkdir()
    extras = {
        # Nothing is installed until apt-get has been asked.
        "apt-get": f'if [ "$1" = install ]; then touch "{work}/packages-installed"; fi',
        "dpkg-query": f'[ -e "{work}/packages-installed" ] || exit 1\nprintf "install ok installed"',
        # python3 -m venv DIR: a venv whose pip only records its arguments.
        "python3": (
            'if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then\n'
            '  mkdir -p "$3/bin"\n'
            f'  printf \'#!/bin/sh\\necho "pip $*" >> "{log}"\\n\' > "$3/bin/pip"\n'
            f"  printf '#!/bin/sh\\nexit 0\\n' > \"$3/bin/python3\"\n"
            '  chmod +x "$3/bin/pip" "$3/bin/python3"\n'
            "fi"
        ),
    }
    for name in ("apt-get", "dpkg-query", "systemctl", "udevadm", "sysctl", "python3"):
        path = stubs / name
        path.write_text(STUB.format(log=log, extra=extras.get(name, "")))
        path.chmod(0o755)
    return log


def fake_source(work: Path) -> Path:
    source = work / "src"
    source.mkdir()
    (source / "pyproject.toml").write_text('[project]\nname = "civic-kiosk"\nversion = "0.0.0"\n')
    return source


def can_use_mount_namespaces() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(
    not can_use_mount_namespaces(), reason="needs root and mount namespaces (unshare)"
)


def run_confined(work: Path, *steps: str) -> str:
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "bash", "-c", RUNNER, "runner", str(work), *steps],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_real_install_creates_the_user_owners_and_is_idempotent(tmp_path: Path) -> None:
    log = make_stubs(tmp_path)
    source = fake_source(tmp_path)
    install = f"bash {INSTALLER}/install.sh --from {source} --kiosk-id hall-a-03 --idcard 1a86:7523"
    out = run_confined(tmp_path, install, install)
    first, second = out.split("== user", 2)[0], out.split("== user", 2)[1]
    assert "changed: created user kiosk" in first
    assert "changed: wrote /etc/civic-kiosk/kiosk.toml" in first
    owners = [line for line in out.splitlines() if line.count(" ") == 2 and ":" in line.split(" ")[0]]
    assert "kiosk:kiosk 700 /var/lib/civic-kiosk" in owners
    assert "root:kiosk 750 /etc/civic-kiosk" in owners
    assert "root:kiosk 640 /etc/civic-kiosk/kiosk.toml" in owners
    assert "root:root 600 /etc/civic-kiosk/credstore/device-key" in owners
    assert "/var/lib/civic-kiosk:/usr/sbin/nologin" in out
    # The second run changes nothing at all.
    assert "civic-kiosk is up to date (nothing changed)" in second
    assert "changed:" not in second
    commands = log.read_text().splitlines()
    assert sum(c.startswith("apt-get install") for c in commands) == 1
    assert commands.count("systemctl daemon-reload") == 1
    assert commands.count("udevadm control --reload-rules") == 1
    pip_runs = [c for c in commands if c.startswith("pip install")]
    # Dependencies, then the application itself, once: the second run sees the same source.
    assert len(pip_runs) == 2 and "--force-reinstall --no-deps" in pip_runs[1]


def test_real_uninstall_purge_removes_user_and_data(tmp_path: Path) -> None:
    make_stubs(tmp_path)
    source = fake_source(tmp_path)
    out = run_confined(
        tmp_path,
        f"bash {INSTALLER}/install.sh --from {source}",
        "bash /opt/civic-kiosk/share/uninstall.sh --purge",
    )
    after_uninstall = out.split("== user")[-1]
    assert "no kiosk user" in after_uninstall
    assert "civic-kiosk removed, with its data" in out
    private = tmp_path / "private"
    assert not (private / "opt/civic-kiosk").exists()
    assert not (private / "var/lib/civic-kiosk").exists()
    assert not (private / "etc/civic-kiosk").exists()
    assert not (private / "etc/systemd/system/civic-kiosk.service").exists()
