"""The preview renderer: ESC/POS bytes to a picture that a person (and zxing) can read."""

from __future__ import annotations

import numpy as np
import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from devices.printer.document import ReceiptDocument
from devices.printer.preview import PreviewError, render_preview
from devices.printer.profiles import PROFILES
from devices.printer.render import render_receipt

TRACK = "cityapp:track:v1:0190a6c2-7d3e-7abc-8def-0123456789ab"


def ink_rows(image: Image.Image) -> int:
    array = np.asarray(image.convert("L"))
    return int((array[:, 20:-20] < 128).any(axis=1).sum())


@pytest.mark.parametrize("native", [True, False])
def test_preview_qr_scans_back_to_the_tracking_code(native: bool) -> None:
    doc = ReceiptDocument(title="受理回执", rows=(("申请人", "刘䶮"),), qr=TRACK)
    data = render_receipt(doc, PROFILES["58mm"].with_options(native_qr=native))
    image = render_preview(data, paper_dots=384)
    assert image.width == 384 + 32
    found = zxingcpp.read_barcodes(image)
    assert [r.text for r in found] == [TRACK]


def test_rare_character_image_and_text_both_draw_ink() -> None:
    with_image = render_preview(render_receipt(ReceiptDocument(title="䶮"), PROFILES["58mm"]), paper_dots=384)
    with_text = render_preview(render_receipt(ReceiptDocument(title="龙"), PROFILES["58mm"]), paper_dots=384)
    assert ink_rows(with_image) > 20
    assert ink_rows(with_text) > 20


def test_cut_draws_a_dashed_line_at_the_end() -> None:
    image = render_preview(render_receipt(ReceiptDocument(title="T"), PROFILES["80mm"]))
    array = np.asarray(image)
    bottom = array[-40:-16, 16:-16]
    assert ((bottom > 50) & (bottom < 150)).any()


def test_empty_stream_gives_a_blank_paper() -> None:
    image = render_preview(b"")
    assert ink_rows(image) == 0


def test_absurd_raster_header_is_a_preview_error() -> None:
    with pytest.raises(PreviewError):
        render_preview(b"\x1d\x76\x30\x00\xff\xff\xff\xff")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_give_an_image_or_a_preview_error(data: bytes) -> None:
    try:
        image = render_preview(data, paper_dots=384)
    except PreviewError:
        return
    assert image.width == 384 + 32


def test_parameters_of_layout_commands_are_not_printed_as_text() -> None:
    plain = render_preview(b"AB\n", paper_dots=384)
    with_commands = render_preview(b"\x1b$\x41\x42\x1dL\x43\x00\x1b!\x00\x1bS" + b"AB\n", paper_dots=384)
    assert plain.tobytes() == with_commands.tobytes()
