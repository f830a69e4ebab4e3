"""The demo's receipt previews: one PNG per receipt the emulated printer received."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from devices.printer.document import ReceiptDocument
from devices.printer.profiles import get_profile
from devices.printer.render import render_receipt
from ui.tour import write_receipt_previews


def test_each_received_receipt_becomes_its_own_preview(tmp_path: Path) -> None:
    profile = get_profile("80mm")
    first = render_receipt(
        ReceiptDocument(title="受理回执", rows=(("办理事项", "住房公积金退休提取"),)), profile
    )
    second = render_receipt(ReceiptDocument(title="预约凭条", qr="cityapp:track:v1:x"), profile)
    (tmp_path / "receipt-09.png").write_bytes(b"stale")
    count = write_receipt_previews(first + second, tmp_path)
    assert count == 2
    files = sorted(p.name for p in tmp_path.glob("receipt-*.png"))
    assert files == ["receipt-01.png", "receipt-02.png"]  # the stale one from an earlier run is gone
    for name in files:
        with Image.open(tmp_path / name) as image:
            assert image.height > 100
    assert write_receipt_previews(b"", tmp_path / "none") == 0
