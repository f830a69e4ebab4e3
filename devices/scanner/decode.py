"""Still-frame QR decoding: zxing-cpp restricted to QR first, OpenCV's Aruco-based detector as fallback.

Contract: :meth:`QrDecoder.decode` takes a BGR or grayscale ``numpy`` frame and returns the raw
payload bytes of the first QR code found, or ``None``. Frames larger than 1280×720 are scaled
down first (a bigger frame costs time and decodes no better at kiosk distances).

Why this order: zxing-cpp restricted to QR decodes plain scenes in a few milliseconds and tries
inverted (light-on-dark, phone dark mode) codes itself; OpenCV's QRCodeDetectorAruco is slower
but rescues some perspective and damaged scenes, and is tried on the inverted frame too because
on its own it does not find light-on-dark codes. Heavy blur defeats both.

A decoder instance holds an OpenCV detector, which is not thread-safe: use one per thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp

MAX_WIDTH: Final = 1280
MAX_HEIGHT: Final = 720

Decoder = Literal["zxing", "aruco", "aruco-inverted"]


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """The payload bytes and which stage found them (for benchmarks and maintenance views)."""

    payload: bytes
    decoder: Decoder


def cap_frame(frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """``frame`` scaled down (aspect kept) so it fits in 1280×720; unchanged if it already fits."""
    height, width = frame.shape[:2]
    scale = min(MAX_WIDTH / width, MAX_HEIGHT / height)
    if scale >= 1.0:
        return frame
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def to_gray(frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """A single-channel view of a BGR, BGRA or grayscale frame."""
    if frame.ndim == 2:
        return frame
    if frame.ndim == 3 and frame.shape[2] == 4:
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY), dtype=np.uint8)
    if frame.ndim == 3 and frame.shape[2] == 3:
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    raise ValueError(f"unsupported frame shape {frame.shape}")


class QrDecoder:
    """The camera pipeline's decoding stage (see the module docstring)."""

    def __init__(self, *, use_fallback: bool = True) -> None:
        self._use_fallback = use_fallback
        self._aruco = cv2.QRCodeDetectorAruco() if use_fallback else None

    def decode(self, frame: npt.NDArray[np.uint8]) -> bytes | None:
        """The payload of the first QR code in ``frame``, or None."""
        result = self.decode_with_stage(frame)
        return result.payload if result else None

    def decode_with_stage(self, frame: npt.NDArray[np.uint8]) -> DecodeResult | None:
        """Like :meth:`decode`, also naming the stage that succeeded."""
        if frame.size == 0:
            return None
        gray = to_gray(cap_frame(np.ascontiguousarray(frame, dtype=np.uint8)))
        payload = _zxing(gray)
        if payload is not None:
            return DecodeResult(payload, "zxing")
        if self._aruco is None:
            return None
        text = _opencv(self._aruco, gray)
        if text is not None:
            return DecodeResult(text, "aruco")
        text = _opencv(self._aruco, np.asarray(cv2.bitwise_not(gray), dtype=np.uint8))
        if text is not None:
            return DecodeResult(text, "aruco-inverted")
        return None


_QR_ONLY: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def _zxing(gray: npt.NDArray[np.uint8]) -> bytes | None:
    results = zxingcpp.read_barcodes(
        gray, formats=_QR_ONLY, try_rotate=True, try_downscale=True, try_invert=True
    )
    for result in results:
        if result.valid:
            return bytes(result.bytes)
    return None


def _opencv(detector: cv2.QRCodeDetectorAruco, gray: npt.NDArray[np.uint8]) -> bytes | None:
    try:
        text, _points, _straight = detector.detectAndDecode(gray)
    except cv2.error:
        # OpenCV raises on some degenerate detections; for a camera frame that just means "no code".
        return None
    if not text:
        return None
    # OpenCV hands back the payload as str decoded byte-per-character or as UTF-8 depending on the
    # ECI; re-encoding as UTF-8 gives the bytes for all payloads our forms allow.
    return str(text).encode("utf-8")
