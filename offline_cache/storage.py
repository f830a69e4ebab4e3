"""Where the outbox lives: warn when it is on network or removable storage.

Contract: `storage_warning(path)` returns a one-line, technician-facing warning when the file
system holding `path` is a network file system (locking and flushes cannot be trusted) or one
typical of removable media (it can be pulled out), else None. It never raises: when the mount
table cannot be read it returns None.
"""

from __future__ import annotations

import os
from pathlib import Path

NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "9p", "afs", "fuse.sshfs", "davfs"}
)
REMOVABLE_FILESYSTEMS = frozenset({"vfat", "msdos", "exfat", "ntfs", "ntfs3", "fuseblk", "iso9660", "udf"})
MOUNTINFO = Path("/proc/self/mountinfo")


def filesystem_type(path: Path, mountinfo: Path = MOUNTINFO) -> str | None:
    """The type of the file system holding `path` (longest matching mount point), or None."""
    try:
        target = os.path.realpath(path)
        lines = mountinfo.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    best_point, best_type = "", None
    for line in lines:
        # Format: id parent major:minor root mount-point options [optional...] - fstype source ...
        left, separator, right = line.partition(" - ")
        fields = left.split()
        if not separator or len(fields) < 5 or not right:
            continue
        point = fields[4].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best_point):
            best_point, best_type = point, right.split()[0]
    return best_type


def storage_warning(path: Path, mountinfo: Path = MOUNTINFO) -> str | None:
    kind = filesystem_type(path, mountinfo)
    if kind is None:
        return None
    if kind in NETWORK_FILESYSTEMS:
        return f"outbox is on a network file system ({kind}): move the state directory to local storage"
    if kind in REMOVABLE_FILESYSTEMS:
        return (
            f"outbox is on a removable-media file system ({kind}): move the state directory to local storage"
        )
    return None
