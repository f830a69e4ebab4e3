"""The camera scanner: capture thread, rate limit, 2 s repeat suppression, disabled = no decoding."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.base import DeviceNotFoundError
from devices.registry import open_device
from devices.scanner.camera_driver import CameraScanner, _opencv_capture
from tests.support.devices_io import attach, poll_for, poll_until
from tests.support.qr_scenes import scene

TRACK = "cityapp:track:v1:0190a6c2-7d3e-7abc-8def-0123456789ab"
IDENTITY = "cityapp:identity:v1:" + "Zx9_-" * 10


class FakeCapture:
    """Stands in for cv2.VideoCapture (a camera the build machine lacks); frames are settable."""

    def __init__(self, frame: np.ndarray | None, *, opened: bool = True) -> None:
        self.frame = frame
        self.opened = opened
        self.reads = 0
        self.released = threading.Event()
        self.fail_reads = False

    def isOpened(self) -> bool:  # OpenCV's method name
        return self.opened

    def read(self) -> tuple[bool, np.ndarray | None]:
        self.reads += 1
        if self.fail_reads or self.frame is None:
            return False, None
        return True, self.frame

    def release(self) -> None:
        self.released.set()


BLANK = np.full((720, 1280, 3), 128, np.uint8)


def camera(capture: FakeCapture, **kwargs: object) -> CameraScanner:
    return CameraScanner(0, capture_factory=lambda source: capture, **kwargs)  # type: ignore[arg-type]


def test_code_in_view_is_delivered_once_and_repeats_are_suppressed() -> None:
    capture = FakeCapture(scene(TRACK, "perspective", 1))
    scanner = camera(capture, max_fps=10)
    recorder = attach(scanner)
    scanner.open()
    try:
        scanner.enable()
        assert poll_until(scanner, lambda: recorder.data)
        assert recorder.data[0].text == TRACK  # type: ignore[attr-defined]
        scanner.enable()  # the screen asks again while the same code is still in front of the camera
        poll_for(scanner, 0.5)
        assert len(recorder.data) == 1
        capture.frame = scene(IDENTITY, "inverted", 2)
        assert poll_until(scanner, lambda: len(recorder.data) == 2)
        assert recorder.data[1].kind == "identity"  # type: ignore[attr-defined]
    finally:
        scanner.close()
    assert capture.released.is_set()


def test_frames_are_not_decoded_while_disabled_and_rate_is_capped() -> None:
    capture = FakeCapture(BLANK)
    scanner = camera(capture, max_fps=50)  # asks for 50 fps; the driver caps at 10
    scanner.open()
    try:
        time.sleep(1.0)
        assert scanner.frames_decoded == 0
        assert 3 <= capture.reads <= 13
    finally:
        scanner.close()


def test_camera_that_does_not_open_is_not_found() -> None:
    with pytest.raises(DeviceNotFoundError):
        camera(FakeCapture(None, opened=False)).open()


def test_camera_that_stops_delivering_frames_is_lost() -> None:
    capture = FakeCapture(BLANK)
    scanner = camera(capture, max_fps=10)
    scanner.open()
    scanner.enable()
    capture.fail_reads = True
    with pytest.raises(DeviceNotFoundError):
        poll_until(scanner, lambda: False, 5)
    scanner.close()


def test_real_opencv_capture_on_an_image_sequence(tmp_path: Path) -> None:
    # cv2.VideoCapture reads numbered image files like a camera: the real capture path, end to end.
    for index in range(3):
        cv2.imwrite(str(tmp_path / f"frame_{index:02d}.png"), scene(TRACK, "rotated", index))
    scanner = CameraScanner(str(tmp_path / "frame_%02d.png"), capture_factory=_opencv_capture, max_fps=10)
    recorder = attach(scanner)
    scanner.open()
    try:
        scanner.enable()
        assert poll_until(scanner, lambda: recorder.data)
        assert recorder.data[0].value == TRACK[17:]  # type: ignore[attr-defined]
    finally:
        scanner.close()


def test_camera_uri_forms() -> None:
    assert open_device("scanner", "camera:0").source == 0  # type: ignore[attr-defined]
    assert open_device("scanner", "camera:///dev/video2").source == "/dev/video2"  # type: ignore[attr-defined]
