"""``image://qr/<text>``: QR codes drawn for the screen (the receipt's code when there is no paper)."""

from __future__ import annotations

from urllib.parse import unquote

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtQuick import QQuickImageProvider


class QrImageProvider(QQuickImageProvider):
    def __init__(self) -> None:
        super().__init__(QQuickImageProvider.ImageType.Image)

    def requestImage(self, id: str, size: QSize, requested: QSize) -> QImage:
        import qrcode  # only when a code is shown: keeps it (and Pillow) out of the start-up path

        matrix = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
        matrix.add_data(unquote(id))
        matrix.make(fit=True)
        modules = matrix.get_matrix()
        count = len(modules)
        side = max(requested.width(), 256) if requested.isValid() else 512
        scale = max(1, side // count)
        image = QImage(count * scale, count * scale, QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        black = QColor("black")
        for row, line in enumerate(modules):
            for col, dark in enumerate(line):
                if dark:
                    painter.fillRect(col * scale, row * scale, scale, scale, black)
        painter.end()
        if size is not None:
            size.setWidth(image.width())
            size.setHeight(image.height())
        return image
