"""Receipt rendering: bytes on the wire and render time of a typical receipt, native QR against raster QR.

The typical receipt: a title, two lines, six rows (one with a rare name character drawn as an
image), a tracking-code QR and a footer, for the 58 mm and 80 mm profiles. Both variants are rendered
alternately in the same process. At 9600 baud (a common serial setting) every 960 bytes cost a
second on the wire, which is why the byte count matters as much as the render time.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import compare, ms, report
from devices.printer.document import ReceiptDocument
from devices.printer.fonts import find_cjk_font
from devices.printer.preview import render_preview
from devices.printer.profiles import PROFILES
from devices.printer.render import ReceiptRenderer

RECEIPT = ReceiptDocument(
    title="居住证签注受理回执",
    lines=("办理结果：已受理，请于３个工作日后凭本回执领取。", "Ref: A-1203 / Café"),
    rows=(
        ("事项", "居住证签注"),
        ("申请人", "刘䶮"),
        ("身份证号", "110105********002X"),
        ("受理时间", "2026-11-28 10:32"),
        ("受理终端", "demo-kiosk-01"),
        ("费用", "￥0.00"),
    ),
    qr="cityapp:track:v1:0190a6c2-7d3e-7abc-8def-0123456789ab",
    footer=("扫码查询办理进度", "谢谢使用"),
)
BAUD_9600_BYTES_PER_S = 960


def main() -> int:
    font = find_cjk_font()
    rows = []
    for name in ("58mm", "80mm"):
        native = ReceiptRenderer(PROFILES[name], font=font)
        raster = ReceiptRenderer(PROFILES[name].with_options(native_qr=False), font=font)
        native_bytes, raster_bytes = native.render(RECEIPT), raster.render(RECEIPT)
        t_native, t_raster = compare(
            ("native QR", lambda r=native: r.render(RECEIPT)),
            ("raster QR", lambda r=raster: r.render(RECEIPT)),
            repeat=30,
        )
        rows.append(
            (
                f"{name} bytes",
                f"native {len(native_bytes):,} vs raster {len(raster_bytes):,}"
                f" (at 9600 baud {len(native_bytes) / BAUD_9600_BYTES_PER_S:.1f} s vs"
                f" {len(raster_bytes) / BAUD_9600_BYTES_PER_S:.1f} s)",
                f"raster/native {len(raster_bytes) / len(native_bytes):.1f}x",
            )
        )
        rows.append(
            (
                f"{name} render",
                f"native {ms(t_native.median)} (p90 {ms(t_native.percentile(90))})"
                f" vs raster {ms(t_raster.median)}",
                f"raster/native {t_raster.median / t_native.median:.2f}x",
            )
        )
        t_preview, t_render = compare(
            (
                "preview",
                lambda b=native_bytes, d=PROFILES[name].dots: render_preview(b, paper_dots=d, font=font),
            ),
            ("render", lambda r=native: r.render(RECEIPT)),
            repeat=10,
        )
        rows.append(
            (
                f"{name} preview PNG",
                f"{ms(t_preview.median)} vs render {ms(t_render.median)}",
                f"preview/render {t_preview.median / t_render.median:.1f}x",
            )
        )
    report("Receipt rendering (typical receipt, one rare character as an image)", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
