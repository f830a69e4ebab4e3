"""The outbox warns when its state directory is on network or removable storage."""

from __future__ import annotations

from pathlib import Path

from offline_cache.storage import filesystem_type, storage_warning

MOUNTS = """\
22 1 252:0 / / rw,relatime - ext4 /dev/vda rw
30 22 0:40 / /var/lib/civic-kiosk rw - nfs4 server:/export rw
31 22 8:17 / /media/usb\\040stick rw - vfat /dev/sdb1 rw
32 22 0:41 / /var/lib/civic-kiosk/local rw - ext4 /dev/vdb rw
"""


def test_filesystem_of_a_path_is_its_longest_mount_point(tmp_path: Path) -> None:
    table = tmp_path / "mountinfo"
    table.write_text(MOUNTS)
    assert filesystem_type(Path("/var/lib/civic-kiosk/outbox.db"), table) == "nfs4"
    assert filesystem_type(Path("/var/lib/civic-kiosk/local/outbox.db"), table) == "ext4"
    assert filesystem_type(Path("/var/lib/civic-kiosk-other"), table) == "ext4"
    assert filesystem_type(Path("/media/usb stick/state"), table) == "vfat"


def test_warnings_for_network_and_removable_storage_only(tmp_path: Path) -> None:
    table = tmp_path / "mountinfo"
    table.write_text(MOUNTS)
    assert "network" in storage_warning(Path("/var/lib/civic-kiosk"), table)
    assert "removable" in storage_warning(Path("/media/usb stick/state"), table)
    assert storage_warning(Path("/var/lib/civic-kiosk/local"), table) is None
    assert storage_warning(Path("/srv"), tmp_path / "missing") is None


def test_this_machines_test_directory_is_local(tmp_path: Path) -> None:
    assert storage_warning(tmp_path) is None
