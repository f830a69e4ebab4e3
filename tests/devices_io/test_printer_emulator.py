"""The printer emulator's core: scripted answers, and image data never taken for status requests."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from devices.printer import commands
from devices.printer.emulator import PrinterCore, status_answer


def test_status_requests_are_answered_and_not_recorded_as_print_data() -> None:
    core = PrinterCore("near_end")
    answer = core.feed(b"\x1b@" + commands.STATUS_PRINTER + b"abc" + commands.STATUS_PAPER)
    assert answer == bytes([0x12, 0x1E])
    assert core.printed == b"\x1b@abc"
    assert core.status_requests == [1, 4]


def test_dle_eot_inside_raster_data_is_image_data() -> None:
    image = commands.raster_image(3, 1, b"\x10\x04\x01")
    core = PrinterCore()
    assert core.feed(image) == b""
    assert core.printed == image


def test_commands_split_across_chunks() -> None:
    core = PrinterCore("paper_out")
    assert core.feed(b"\x10") == b""
    assert core.feed(b"\x04") == b""
    assert core.feed(b"\x04") == bytes([0x72])
    image = commands.raster_image(1, 2, b"\x10\x04")
    assert core.feed(image[:5]) == b""
    assert core.feed(image[5:]) == b""
    assert core.printed == image


def test_silent_printer_never_answers() -> None:
    assert all(status_answer("silent", n) is None for n in (1, 2, 3, 4))
    assert PrinterCore("silent").feed(commands.STATUS_PRINTER * 3) == b""


@given(st.lists(st.binary(max_size=64), max_size=20))
def test_arbitrary_chunks_are_recorded_without_loss(chunks: list[bytes]) -> None:
    core = PrinterCore()
    for chunk in chunks:
        answer = core.feed(chunk)
        assert all(byte & 0x93 == 0x12 for byte in answer)
    assert core.received == b"".join(chunks)
    assert len(core.printed) + 3 * len(core.status_requests) <= len(core.received)
