"""The out-of-service screen: one still, bilingual message and no way to interact.

Shown by ``civic-kiosk-out-of-service.service`` when the kiosk keeps failing to start, so citizens
see a plain notice instead of a flickering terminal. It depends only on Qt's GUI module (no QML, no
kiosk code), so whatever broke the kiosk is unlikely to break this too.

``python3 out_of_service.py [--kiosk-id ID] [--screenshot FILE]``: with ``--screenshot`` it renders
one frame to FILE (PNG) and exits, which is how it is tested offscreen.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QRasterWindow,
    QTouchEvent,
)

TITLE_ZH = "暂停服务"
BODY_ZH = "本机暂时无法使用，请使用旁边的自助机或到服务窗口办理。"
TITLE_EN = "Out of service"
BODY_EN = "This terminal is not available. Please use the next machine or a service counter."
BACKGROUND = QColor("#1f2a44")
FOREGROUND = QColor("#ffffff")
MUTED = QColor("#c9d1e3")


def paint_notice(painter: QPainter, area: QRect, kiosk_id: str) -> None:
    """Draw the notice centred in ``area``; font sizes follow the screen height."""
    painter.fillRect(area, BACKGROUND)
    unit = max(area.height() // 40, 8)
    blocks = [
        (TITLE_ZH, unit * 4, True, FOREGROUND),
        (BODY_ZH, unit * 2, False, FOREGROUND),
        (TITLE_EN, unit * 3, True, MUTED),
        (BODY_EN, int(unit * 1.5), False, MUTED),
    ]
    line_gap = unit * 2
    heights = [size * 2 for _, size, _, _ in blocks]
    top = area.top() + (area.height() - sum(heights) - line_gap * (len(blocks) - 1)) // 2
    margin = area.width() // 12
    for (text, size, bold, color), height in zip(blocks, heights, strict=True):
        font = QFont(["Noto Sans CJK SC", "Noto Sans", "sans-serif"])
        font.setPixelSize(size)
        font.setBold(bold)
        painter.setFont(font)
        painter.setPen(color)
        box = QRect(area.left() + margin, top, area.width() - 2 * margin, height)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
        top += height + line_gap
    if kiosk_id:
        font = QFont(["Noto Sans", "sans-serif"])
        font.setPixelSize(unit)
        painter.setFont(font)
        painter.setPen(MUTED)
        footer = QRect(area.left(), area.bottom() - unit * 3, area.width() - unit, unit * 2)
        painter.drawText(footer, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, kiosk_id)


class NoticeWindow(QRasterWindow):
    """A fullscreen window that paints the notice and ignores every key, touch and click."""

    def __init__(self, kiosk_id: str) -> None:
        super().__init__()
        self._kiosk_id = kiosk_id

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        paint_notice(painter, QRect(0, 0, self.width(), self.height()), self._kiosk_id)
        painter.end()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        event.accept()

    def touchEvent(self, event: QTouchEvent) -> None:
        event.accept()


def render_to_image(kiosk_id: str, width: int = 1920, height: int = 1080) -> QImage:
    """The notice as an image (used by the screenshot option and by tests)."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    paint_notice(painter, QRect(0, 0, width, height), kiosk_id)
    painter.end()
    return image


def configured_kiosk_id(config_path: str) -> str:
    """The ``[kiosk] id`` from the kiosk's TOML file, or "" when it cannot be read (never an error)."""
    if not config_path:
        return ""
    try:
        data = tomllib.loads(Path(config_path).read_text(encoding="utf-8"))
        value = data.get("kiosk", {}).get("id", "")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Show the kiosk's out-of-service screen.")
    parser.add_argument("--kiosk-id", default="", help="shown small in a corner for technicians")
    parser.add_argument("--screenshot", default="", help="render one frame to this .png file and exit")
    args = parser.parse_args(argv)
    kiosk_id = args.kiosk_id or configured_kiosk_id(os.environ.get("KIOSK_CONFIG", ""))
    app = QGuiApplication(sys.argv[:1])
    if args.screenshot:
        return 0 if render_to_image(kiosk_id).save(str(args.screenshot)) else 1
    window = NoticeWindow(kiosk_id)
    window.setCursor(Qt.CursorShape.BlankCursor)
    window.showFullScreen()
    # Repaint now and then, so a screen that was off or re-plugged shows the notice again.
    refresh = QTimer()
    refresh.timeout.connect(window.update)
    refresh.start(60_000)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
