"""Running the installer scripts into a temporary root, and snapshots of the tree they leave."""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

INSTALLER = Path(__file__).resolve().parents[2] / "installer"


@dataclass(frozen=True)
class Entry:
    kind: str
    mode: int
    size: int
    sha256: str
    mtime_ns: int
    link: str


def run_script(name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``installer/<name> args...`` with a plain environment; never raises on a non-zero exit."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
    return subprocess.run(
        ["bash", str(INSTALLER / name), *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def snapshot(root: Path) -> dict[str, Entry]:
    """Every path below ``root`` with its type, mode, size, content hash, mtime and link target."""
    tree: dict[str, Entry] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        rel = "/" + str(path.relative_to(root))
        if path.is_symlink():
            tree[rel] = Entry("link", 0o777, 0, "", info.st_mtime_ns, os.readlink(path))
        elif path.is_dir():
            tree[rel] = Entry("dir", info.st_mode & 0o7777, 0, "", info.st_mtime_ns, "")
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            tree[rel] = Entry("file", info.st_mode & 0o7777, info.st_size, digest, info.st_mtime_ns, "")
    return tree


def manifest(root: Path) -> dict[str, tuple[str, str, str, str]]:
    """The install manifest: path -> (kind, mode, owner, group)."""
    entries = {}
    for line in (root / "opt/civic-kiosk/install-manifest.tsv").read_text().splitlines():
        kind, mode, owner, group, path, *_ = line.split("\t")
        entries[path] = (kind, mode, owner, group)
    return entries
