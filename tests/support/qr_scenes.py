"""Synthetic camera frames with a QR code in them, for the camera pipeline's tests and benchmark.

Each scene is a 1280×720 BGR frame: a cluttered background (gradient, rectangles, text) and one QR
code placed with a given distortion. Everything is seeded, so a scene is the same on every run.
"""

from __future__ import annotations

from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
import qrcode
import qrcode.constants

WIDTH: Final = 1280
HEIGHT: Final = 720
KINDS: Final = ("plain", "rotated", "perspective", "small", "inverted", "noisy", "blurred")
# Harder, closer to a real counter: a tilted code at low contrast, a lamp's glare, hand shake.
HARD_KINDS: Final = ("low_contrast", "glare", "motion")

Frame = npt.NDArray[np.uint8]


def qr_image(payload: str, module_px: int = 8, *, border: int = 4) -> Frame:
    """A grayscale image of the QR code (dark modules 0, light 255) with a quiet zone."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border, box_size=1)
    qr.add_data(payload.encode("utf-8"))
    qr.make(fit=True)
    matrix = np.array(qr.get_matrix(), dtype=bool)
    image = np.where(matrix, 0, 255).astype(np.uint8)
    return np.asarray(np.kron(image, np.ones((module_px, module_px), dtype=np.uint8)), dtype=np.uint8)


def background(rng: np.random.Generator) -> Frame:
    """A desk-like scene: a gradient, a few rectangles and some text."""
    x = np.linspace(0, 1, WIDTH, dtype=np.float32)
    y = np.linspace(0, 1, HEIGHT, dtype=np.float32)[:, None]
    base = 90 + 80 * x[None, :] * 0.6 + 60 * y
    frame = np.repeat(base[:, :, None], 3, axis=2).astype(np.uint8)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, WIDTH - 100)), int(rng.integers(0, HEIGHT - 100))
        color = tuple(int(c) for c in rng.integers(40, 220, size=3))
        cv2.rectangle(
            frame, (x0, y0), (x0 + int(rng.integers(40, 300)), y0 + int(rng.integers(30, 200))), color, -1
        )
    for i in range(4):
        cv2.putText(
            frame, "SERVICE CENTRE 12", (40, 80 + i * 150), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (30, 30, 30), 2
        )
    return frame


def scene(payload: str, kind: str, seed: int = 0) -> Frame:
    """A 1280×720 BGR frame showing ``payload`` as a QR code distorted as ``kind`` says."""
    if kind in HARD_KINDS:
        return _hard_scene(payload, kind, seed)
    if kind not in KINDS:
        raise ValueError(f"unknown scene kind {kind!r}")
    rng = np.random.default_rng(seed)
    frame = background(rng)
    module = 3 if kind == "small" else int(rng.integers(6, 9))
    code = qr_image(payload, module)
    if kind == "inverted":
        code = 255 - code
    code_bgr = cv2.cvtColor(code, cv2.COLOR_GRAY2BGR)
    h, w = code.shape
    x0 = int(rng.integers(60, WIDTH - w - 60))
    y0 = int(rng.integers(20, max(HEIGHT - h - 20, 21)))
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    offset = np.array([x0, y0], dtype=np.float32)
    if kind == "rotated":
        angle = float(rng.uniform(15, 75))
        centre = (x0 + w / 2, y0 + h / 2)
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        dst = cv2.transform((src + offset).reshape(-1, 1, 2), matrix).reshape(-1, 2).astype(np.float32)
    elif kind == "perspective":
        jitter = rng.uniform(-0.18, 0.18, size=(4, 2)) * [w, h]
        dst = (src + offset + jitter).astype(np.float32)
    else:
        dst = (src + offset).astype(np.float32)
    warp = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(code_bgr, warp, (WIDTH, HEIGHT), borderValue=(0, 0, 0))
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), warp, (WIDTH, HEIGHT))
    frame[mask > 127] = warped[mask > 127]
    if kind == "inverted":
        # A phone in dark mode: a dark screen around the light-on-dark code.
        pad = 40
        cv2.rectangle(
            frame,
            (int(dst[:, 0].min()) - pad, int(dst[:, 1].min()) - pad),
            (int(dst[:, 0].max()) + pad, int(dst[:, 1].max()) + pad),
            (20, 20, 20),
            30,
        )
    if kind == "noisy":
        noise = rng.normal(0, 18, size=frame.shape)
        frame = np.clip(frame.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if kind == "blurred":
        frame = np.asarray(cv2.GaussianBlur(frame, (5, 5), 1.2), dtype=np.uint8)
    return frame


def _hard_scene(payload: str, kind: str, seed: int) -> Frame:
    rng = np.random.default_rng(1000 + seed)
    frame = scene(payload, "plain" if kind == "glare" else "perspective", seed).astype(np.float32)
    if kind == "low_contrast":
        frame = 100 + frame * 0.35
    elif kind == "glare":
        yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
        cx, cy = rng.integers(300, 1000), rng.integers(200, 500)
        frame = frame + (np.exp(-(((xx - cx) / 260.0) ** 2 + ((yy - cy) / 160.0) ** 2)) * 170)[:, :, None]
    else:  # motion: a 9-pixel horizontal smear
        frame = cv2.filter2D(frame, -1, np.full((1, 9), 1 / 9, np.float32))
    return np.clip(frame, 0, 255).astype(np.uint8)


def scene_set(
    payloads: list[str], seeds: range, kinds: tuple[str, ...] = KINDS
) -> list[tuple[str, str, Frame]]:
    """(kind, payload, frame) for every kind × seed, payloads used round-robin."""
    out = []
    for seed in seeds:
        for index, kind in enumerate(kinds):
            payload = payloads[(seed * len(kinds) + index) % len(payloads)]
            out.append((kind, payload, scene(payload, kind, seed)))
    return out
