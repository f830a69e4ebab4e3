"""ESC/POS command bytes used by the renderer, the status reader, the preview and the emulators."""

from __future__ import annotations

from typing import Final, Literal

ESC: Final = b"\x1b"
GS: Final = b"\x1d"
FS: Final = b"\x1c"
DLE: Final = b"\x10"
LF: Final = b"\n"

INITIALIZE: Final = b"\x1b\x40"  # ESC @
CHINESE_MODE_ON: Final = b"\x1c\x26"  # FS &
CHINESE_MODE_OFF: Final = b"\x1c\x2e"  # FS .

# DLE EOT n: real-time status (answered even while the printer is offline).
STATUS_PRINTER: Final = b"\x10\x04\x01"
STATUS_OFFLINE_CAUSE: Final = b"\x10\x04\x02"
STATUS_ERROR_CAUSE: Final = b"\x10\x04\x03"
STATUS_PAPER: Final = b"\x10\x04\x04"

Align = Literal["left", "center", "right"]
_ALIGN: Final[dict[Align, int]] = {"left": 0, "center": 1, "right": 2}


def align(where: Align) -> bytes:
    """ESC a n."""
    return b"\x1b\x61" + bytes([_ALIGN[where]])


def character_size(width: int, height: int) -> bytes:
    """GS ! n with width and height multipliers 1–8."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError("character size multipliers are 1 to 8")
    return b"\x1d\x21" + bytes([((width - 1) << 4) | (height - 1)])


def bold(on: bool) -> bytes:
    """ESC E n."""
    return b"\x1b\x45" + (b"\x01" if on else b"\x00")


def feed_lines(count: int) -> bytes:
    """ESC d n: print the buffer and feed ``count`` lines."""
    return b"\x1b\x64" + bytes([max(0, min(count, 255))])


def cut(mode: Literal["full", "partial"]) -> bytes:
    """GS V m (m = 0 full, 1 partial)."""
    return b"\x1d\x56" + (b"\x00" if mode == "full" else b"\x01")


def raster_image(width_bytes: int, height: int, data: bytes, *, mode: int = 0) -> bytes:
    """GS v 0: a raster bit image, ``width_bytes`` × 8 dots wide, MSB first, 1 = black."""
    if len(data) != width_bytes * height:
        raise ValueError("raster data does not match its size")
    return (
        b"\x1d\x76\x30"
        + bytes([mode])
        + width_bytes.to_bytes(2, "little")
        + height.to_bytes(2, "little")
        + data
    )


def _qr_function(fn: int, payload: bytes) -> bytes:
    # GS ( k pL pH cn fn [params]: cn = 49 (0x31) selects the QR code symbol.
    body = bytes([0x31, fn]) + payload
    return b"\x1d\x28\x6b" + len(body).to_bytes(2, "little") + body


QR_ERROR_LEVELS: Final = {"L": 48, "M": 49, "Q": 50, "H": 51}


def native_qr(data: bytes, *, module_dots: int, error_level: str = "M") -> bytes:
    """The GS ( k sequence that stores and prints ``data`` as a model-2 QR code."""
    if not 1 <= module_dots <= 16:
        raise ValueError("QR module size is 1 to 16 dots")
    if len(data) > 7089:
        raise ValueError("QR data too long")
    return (
        _qr_function(0x41, b"\x32\x00")  # fn 65: model 2
        + _qr_function(0x43, bytes([module_dots]))  # fn 67: module size
        + _qr_function(0x45, bytes([QR_ERROR_LEVELS[error_level]]))  # fn 69: error correction
        + _qr_function(0x50, b"\x30" + data)  # fn 80: store
        + _qr_function(0x51, b"\x30")  # fn 81: print
    )
