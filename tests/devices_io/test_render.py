"""The receipt renderer, asserted as bytes."""

from __future__ import annotations

import pytest

from devices.printer import commands
from devices.printer.charset import printer_has_glyph, text_columns
from devices.printer.document import ReceiptContentError, ReceiptDocument
from devices.printer.profiles import PROFILES, get_profile
from devices.printer.render import _wrap, render_receipt

P58 = PROFILES["58mm"]
P80 = PROFILES["80mm"]
TRACK = "cityapp:track:v1:0190a6c2-7d3e-7abc-8def-0123456789ab"


def raster_count(data: bytes) -> int:
    return len(split_rasters(data)[1])


def split_rasters(data: bytes) -> tuple[bytes, list[tuple[int, int]]]:
    """The stream without its GS v 0 images, and each image's (width_bytes, height)."""
    text = bytearray()
    images = []
    pos = 0
    while (start := data.find(b"\x1d\x76\x30", pos)) != -1:
        text += data[pos:start]
        width = int.from_bytes(data[start + 4 : start + 6], "little")
        height = int.from_bytes(data[start + 6 : start + 8], "little")
        images.append((width, height))
        pos = start + 8 + width * height
    return bytes(text + data[pos:]), images


def test_receipt_starts_with_reset_and_chinese_mode_and_ends_with_a_cut() -> None:
    data = render_receipt(ReceiptDocument(title="回执"), P58)
    assert data.startswith(commands.INITIALIZE + commands.CHINESE_MODE_ON)
    assert data.endswith(b"\x1b\x64\x06\x1d\x56\x00")


def test_text_is_raw_gb18030_with_full_width_punctuation_and_latin() -> None:
    line = "费用：￥12.50（Café）"
    data = render_receipt(ReceiptDocument(title="回执", lines=(line,)), P80)
    assert line.encode("gb18030") + b"\n" in data
    assert b"?" not in data
    assert raster_count(data) == 0


def test_gb18030_round_trip_of_the_text_parts() -> None:
    doc = ReceiptDocument(
        title="受理回执",
        lines=("办理结果：已受理，请于３个工作日后领取。", "Ref: A-1203 / Café"),
        rows=(("事项", "居住证签注"), ("费用", "￥0.00")),
    )
    data = render_receipt(doc, P80)
    text = data.decode("gb18030", errors="strict")
    for expected in (
        "受理回执",
        "办理结果：已受理，请于３个工作日后领取。",
        "Ref: A-1203 / Café",
        "居住证签注",
        "￥0.00",
    ):
        assert expected in text


def test_rare_name_character_is_printed_as_an_image_not_a_question_mark() -> None:
    doc = ReceiptDocument(title="回执", rows=(("申请人", "刘䶮"), ("事项", "签注")))
    data = render_receipt(doc, P58)
    text, images = split_rasters(data)
    assert len(images) == 1
    assert images[0] == (384 // 8, 24)
    assert "刘䶮".encode("gb18030") not in text
    assert b"?" not in text
    # The other row is still text.
    assert "签注".encode("gb18030") in data


def test_extension_b_character_becomes_an_image_even_on_a_gb18030_font() -> None:
    profile = P58.with_options(font_charset="gb18030")
    assert printer_has_glyph("䶮", "gb18030", "gb18030")
    assert not printer_has_glyph("𠮷", "gb18030", "gb18030")
    data = render_receipt(ReceiptDocument(title="回执", lines=("吉田 𠮷",)), profile)
    assert raster_count(data) == 1


def test_gbk_font_lacks_extension_a_and_gb2312_lacks_less_common_characters() -> None:
    assert not printer_has_glyph("䶮", "gbk", "gb18030")
    assert printer_has_glyph("堃", "gbk", "gb18030")
    assert not printer_has_glyph("堃", "gb2312", "gb18030")
    assert printer_has_glyph("：", "gb2312", "gb18030")
    assert printer_has_glyph("é", "gb2312", "gb18030")
    assert not printer_has_glyph("€", "gbk", "gb18030")


def test_native_qr_command_when_the_profile_supports_it() -> None:
    data = render_receipt(ReceiptDocument(title="回执", qr=TRACK), P58)
    store = b"\x1d\x28\x6b" + (len(TRACK) + 3).to_bytes(2, "little") + b"\x31\x50\x30" + TRACK.encode()
    assert store in data
    assert b"\x1d\x28\x6b\x03\x00\x31\x51\x30" in data
    assert raster_count(data) == 0


def test_raster_qr_when_the_profile_has_no_native_qr() -> None:
    native = render_receipt(ReceiptDocument(title="回执", qr=TRACK), P58)
    raster = render_receipt(ReceiptDocument(title="回执", qr=TRACK), P58.with_options(native_qr=False))
    assert b"\x1d\x28\x6b" not in raster
    assert raster_count(raster) >= 1
    assert len(raster) > 4 * len(native)


def test_raster_images_fit_the_paper_width() -> None:
    for profile in (P58, P80):
        data = render_receipt(ReceiptDocument(title="䶮", qr=TRACK), profile.with_options(native_qr=False))
        _text, images = split_rasters(data)
        assert len(images) >= 2
        for width_bytes, height in images:
            assert width_bytes * 8 <= profile.dots
            assert 0 < height <= 128


def test_rows_right_align_values_on_the_profile_width() -> None:
    data = render_receipt(ReceiptDocument(title="T", rows=(("费用", "￥0.00"),)), P58)
    line = ("费用" + " " * (32 - 4 - 6) + "￥0.00").encode("gb18030") + b"\n"
    assert line in data
    data80 = render_receipt(ReceiptDocument(title="T", rows=(("费用", "￥0.00"),)), P80)
    assert ("费用" + " " * (48 - 10) + "￥0.00").encode("gb18030") in data80


def test_wrap_keeps_latin_words_and_never_starts_a_line_with_closing_punctuation() -> None:
    assert _wrap("hello world again", 11) == ["hello world", "again"]
    assert _wrap("一二三四五六七八，九", 16) == ["一二三四五六七", "八，九"]
    assert _wrap("hello world.", 11) == ["hello", "world."]
    for line in _wrap("如能看清以上内容，打印机工作正常。" * 3, 32, indent="  "):
        assert text_columns(line) <= 32
        assert not line.strip().startswith(("，", "。"))


def test_partial_cut_and_no_cut_profiles() -> None:
    assert render_receipt(ReceiptDocument(title="T"), P58.with_options(cut="partial")).endswith(
        b"\x1d\x56\x01"
    )
    assert not render_receipt(ReceiptDocument(title="T"), P58.with_options(cut="none")).endswith(
        b"\x1d\x56\x00"
    )


def test_utf8_profile_sends_utf8_without_chinese_mode() -> None:
    data = render_receipt(ReceiptDocument(title="回执"), P58.with_options(encoding="utf-8"))
    assert commands.CHINESE_MODE_ON not in data
    assert "回执".encode() in data


def test_qr_too_long_for_the_paper_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="too long"):
        render_receipt(ReceiptDocument(title="T", qr="x" * 1000), P58)
    assert b"\x1d\x28\x6b" in render_receipt(ReceiptDocument(title="T", qr="x" * 300), P58)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"title": "a\x1bb"},
        {"title": 3},
        {"title": "ok", "lines": ["list not tuple"]},
        {"title": "ok", "rows": (("only one",),)},
        {"title": "ok", "qr": ""},
        {"title": "x" * 501},
        {"title": "ok", "footer": ("\n",)},
    ],
)
def test_bad_documents_raise_a_typed_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ReceiptContentError):
        ReceiptDocument(**kwargs)  # type: ignore[arg-type]


def test_unknown_profile_and_option_are_value_errors() -> None:
    with pytest.raises(ValueError, match="known: 58mm, 80mm"):
        get_profile("110mm")
    with pytest.raises(ValueError, match="encoding"):
        P58.with_options(encoding="big5")
