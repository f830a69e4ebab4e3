"""The camera decode pipeline on generated still frames."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from devices.scanner import decode
from devices.scanner.decode import QrDecoder, cap_frame
from devices.scanner.dedupe import RepeatFilter
from tests.support.qr_scenes import KINDS, scene

PAYLOAD = "cityapp:track:v1:0190a6c2-7d3e-7abc-8def-0123456789ab"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [1, 2])
def test_generated_scenes_decode(kind: str, seed: int) -> None:
    assert QrDecoder().decode(scene(PAYLOAD, kind, seed)) == PAYLOAD.encode()


def test_frame_larger_than_720p_is_scaled_down_and_still_decodes() -> None:
    frame = np.asarray(cv2.resize(scene(PAYLOAD, "plain", 3), (1920, 1080)), dtype=np.uint8)
    assert cap_frame(frame).shape[:2] == (720, 1280)
    assert QrDecoder().decode(frame) == PAYLOAD.encode()


def test_small_frame_is_not_upscaled() -> None:
    frame = np.zeros((240, 320, 3), np.uint8)
    assert cap_frame(frame) is frame


def test_frame_without_a_code_gives_none() -> None:
    frame = np.full((720, 1280, 3), 128, np.uint8)
    assert QrDecoder().decode(frame) is None


def test_grayscale_and_bgra_frames_are_accepted() -> None:
    frame = scene(PAYLOAD, "plain", 4)
    gray = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    bgra = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA), dtype=np.uint8)
    assert QrDecoder().decode(gray) == QrDecoder().decode(bgra) == PAYLOAD.encode()


def test_unsupported_frame_shape_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unsupported frame shape"):
        QrDecoder().decode(np.zeros((10, 10, 2), np.uint8))


@pytest.mark.parametrize("kind", ["plain", "inverted"])
def test_opencv_fallback_decodes_when_zxing_finds_nothing(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # zxing-cpp is a third-party edge; make it see nothing so the fallback stage runs.
    monkeypatch.setattr(decode, "_zxing", lambda gray: None)
    result = QrDecoder().decode_with_stage(scene(PAYLOAD, kind, 5))
    assert result is not None
    assert result.payload == PAYLOAD.encode()
    assert result.decoder == ("aruco" if kind == "plain" else "aruco-inverted")


def test_repeat_filter_suppresses_the_same_payload_for_two_seconds() -> None:
    seen = RepeatFilter(window_s=2.0)
    assert seen.accept(b"a", 0.0)
    assert not seen.accept(b"a", 1.0)
    assert seen.accept(b"b", 1.0)
    # Still in view: each sighting extends the window, so no repeat at 2.5 s.
    assert not seen.accept(b"a", 2.5)
    assert seen.accept(b"a", 5.0)
