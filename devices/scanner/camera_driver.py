"""Camera QR scanning: OpenCV capture on its own thread, decoding with ``decode.QrDecoder``.

Contract: after ``open`` a capture thread reads frames at most ``max_fps`` times a second (capped at
1280×720 by the decoder) and, while the scanner is enabled, decodes them; a payload seen again
within ``repeat_window_s`` (2 s) is ignored, so a code held in front of the camera is delivered
once. Payloads go through a queue to the owner thread, which checks and delivers them in ``poll``.
Frames are read (and dropped) while disabled too, so a code shown before the screen asked for one
is not delivered from a stale camera buffer.

Thread rule exception: the ``VideoCapture`` is owned by the capture thread (opened, read and
released there); the owner thread only talks to it through the queue and two events.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Final

import cv2

from devices.base import DeviceInfo, DeviceNotFoundError
from devices.scanner.common import ScannerDevice
from devices.scanner.decode import MAX_HEIGHT, MAX_WIDTH, QrDecoder
from devices.scanner.dedupe import DEFAULT_WINDOW_S, RepeatFilter

OPEN_TIMEOUT_S: Final = 5.0
MAX_FAILED_READS: Final = 20

CaptureFactory = Callable[[int | str], Any]


def _opencv_capture(source: int | str) -> Any:
    capture = cv2.VideoCapture(source)
    capture.set(cv2.CAP_PROP_FRAME_WIDTH, MAX_WIDTH)
    capture.set(cv2.CAP_PROP_FRAME_HEIGHT, MAX_HEIGHT)
    return capture


class CameraScanner(ScannerDevice):
    """A camera (``source``: V4L2 index or device path) used as a QR scanner."""

    poll_interval_s = 0.02

    def __init__(
        self,
        source: int | str,
        *,
        max_fps: float = 10.0,
        repeat_window_s: float = DEFAULT_WINDOW_S,
        capture_factory: CaptureFactory = _opencv_capture,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        if max_fps <= 0:
            raise ValueError("max_fps must be positive")
        self.source = source
        self.frame_interval_s = 1.0 / min(max_fps, 10.0)
        self._repeat_window_s = repeat_window_s
        self._capture_factory = capture_factory
        self._payloads: queue.Queue[bytes] = queue.Queue(maxsize=8)
        self._decoding = threading.Event()
        self._stop = threading.Event()
        self._opened = threading.Event()
        self._lost = threading.Event()
        self._thread: threading.Thread | None = None
        self.frames_read = 0
        self.frames_decoded = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def _open(self) -> None:
        self._stop.clear()
        self._opened.clear()
        self._lost.clear()
        self._thread = threading.Thread(target=self._capture_loop, name=f"camera-{self.source}", daemon=True)
        self._thread.start()
        self._opened.wait(OPEN_TIMEOUT_S)
        if self._lost.is_set() or not self._opened.is_set():
            self._stop_thread()
            raise DeviceNotFoundError(f"no camera at {self.source}")
        self._set_status(scanner="off")

    def _close(self) -> None:
        self._decoding.clear()
        self._stop_thread()
        self._drain()

    def info(self) -> DeviceInfo:
        return DeviceInfo(
            model="camera QR scanner",
            extra={"source": str(self.source), "max_fps": f"{1.0 / self.frame_interval_s:g}"},
        )

    def _on_enable(self) -> None:
        self._drain()
        self._decoding.set()
        super()._on_enable()

    def _on_disable(self) -> None:
        self._decoding.clear()
        self._drain()
        super()._on_disable()

    def _poll(self) -> None:
        self._assert_io_thread()
        if self._lost.is_set():
            error = DeviceNotFoundError(f"the camera {self.source} stopped delivering frames")
            self._fail(error)
            raise error
        try:
            payload = self._payloads.get(timeout=0.05)
        except queue.Empty:
            return
        self._deliver_payload(payload)

    # -- the capture thread ----------------------------------------------------------------------

    def _capture_loop(self) -> None:
        try:
            capture = self._capture_factory(self.source)
        except Exception:
            self._lost.set()
            return
        decoder = QrDecoder()
        seen = RepeatFilter(self._repeat_window_s)
        failed = 0
        try:
            if not capture.isOpened():
                self._lost.set()
                return
            self._opened.set()
            while not self._stop.is_set():
                started = time.monotonic()
                ok, frame = capture.read()
                if not ok or frame is None:
                    failed += 1
                    if failed >= MAX_FAILED_READS:
                        self._lost.set()
                        return
                else:
                    failed = 0
                    self.frames_read += 1
                    if self._decoding.is_set():
                        self._decode(decoder, seen, frame)
                self._stop.wait(max(0.0, self.frame_interval_s - (time.monotonic() - started)))
        finally:
            capture.release()

    def _decode(self, decoder: QrDecoder, seen: RepeatFilter, frame: Any) -> None:
        self.frames_decoded += 1
        try:
            payload = decoder.decode(frame)
        except (ValueError, cv2.error):
            return  # a malformed frame is a frame without a code
        if payload is not None and seen.accept(payload, time.monotonic()):
            # If the owner is not collecting, newer codes are not worth queueing.
            with contextlib.suppress(queue.Full):
                self._payloads.put_nowait(payload)

    def _stop_thread(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=OPEN_TIMEOUT_S)

    def _drain(self) -> None:
        while True:
            try:
                self._payloads.get_nowait()
            except queue.Empty:
                return
