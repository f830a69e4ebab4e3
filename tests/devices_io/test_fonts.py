"""The CJK font chain: glyph coverage checks, fallbacks, and missing glyphs reported, not hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.base import ErrorEvent
from devices.printer.document import ReceiptDocument
from devices.printer.driver import EscposPrinter
from devices.printer.emulator import PrinterCore
from devices.printer.fonts import FontNotFoundError, FontSource, find_cjk_font
from devices.printer.profiles import PROFILES
from devices.printer.render import ReceiptRenderer
from devices.printer.simulated import MemoryPrinterTransport
from tests.support.devices_io import attach

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
NOT_IN_NOTO = "\U00021484"  # an Extension B character Noto Sans CJK does not draw


def noto_only() -> FontSource:
    found = find_cjk_font()
    return FontSource(found.path, found.index)  # no fallbacks: the same result on every machine


def test_the_monospaced_simplified_chinese_face_is_chosen() -> None:
    family, _style = find_cjk_font().load(24).getname()
    assert family == "Noto Sans Mono CJK SC"


def test_glyph_coverage() -> None:
    font = noto_only()
    assert font.has_glyph("䶮") and font.has_glyph("𠮷") and font.has_glyph("A") and font.has_glyph(" ")
    assert not font.has_glyph(NOT_IN_NOTO)


@pytest.mark.skipif(not Path(DEJAVU).is_file(), reason="DejaVu Sans not installed")
def test_fallback_font_draws_what_the_first_font_lacks() -> None:
    noto = noto_only()
    chain = FontSource(DEJAVU, 0, (noto,))
    assert chain.face_for("A", 22).getname()[0] == "DejaVu Sans"  # type: ignore[union-attr]
    assert chain.face_for("中", 22).getname()[0] == "Noto Sans Mono CJK SC"  # type: ignore[union-attr]
    assert chain.face_for(NOT_IN_NOTO, 22) is None


def test_renderer_counts_characters_no_font_can_draw() -> None:
    renderer = ReceiptRenderer(PROFILES["58mm"], font=noto_only())
    renderer.render(ReceiptDocument(title="回执", rows=(("申请人", "王" + NOT_IN_NOTO + "䶮"),)))
    assert renderer.missing_glyphs == 1
    renderer.render(ReceiptDocument(title="回执", rows=(("申请人", "刘䶮"),)))
    assert renderer.missing_glyphs == 0


def test_printer_prints_anyway_and_tells_the_technician() -> None:
    core = PrinterCore()
    printer = EscposPrinter(MemoryPrinterTransport(core), PROFILES["58mm"], font=noto_only())
    recorder = attach(printer)
    printer.open()
    printer.print_document(ReceiptDocument(title="回执", lines=("王" + NOT_IN_NOTO,)), "job-1")
    assert core.printed.endswith(b"\x1d\x56\x00")
    (error,) = recorder.errors
    assert error.code == "glyph_missing"
    assert NOT_IN_NOTO not in error.message
    assert isinstance(error, ErrorEvent)
    printer.close()


def test_configured_font_that_does_not_exist() -> None:
    with pytest.raises(FontNotFoundError):
        find_cjk_font("/nonexistent/font.ttf")
