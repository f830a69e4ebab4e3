"""The SAM frame codec against the frames recorded in the protocol notes."""

import pytest

from devices.idcard import codec
from devices.idcard.codec import (
    BadChecksum,
    BadLength,
    FrameDecoder,
    FrameError,
    Outcome,
    build_read_payload,
    format_sam_id,
    parse_read_payload,
    parse_response,
)

RECORDED_COMMANDS = {
    codec.RESET: "AA AA AA 96 69 00 03 10 FF EC",
    codec.STATUS: "AA AA AA 96 69 00 03 11 FF ED",
    codec.SAM_ID: "AA AA AA 96 69 00 03 12 FF EE",
    codec.FIND: "AA AA AA 96 69 00 03 20 01 22",
    codec.SELECT: "AA AA AA 96 69 00 03 20 02 21",
    codec.READ: "AA AA AA 96 69 00 03 30 01 32",
    codec.APPENDED_ADDRESS: "AA AA AA 96 69 00 03 30 03 30",
    codec.READ_WITH_FINGERPRINT: "AA AA AA 96 69 00 03 30 10 23",
}

STATUS_OK = bytes.fromhex("AA AA AA 96 69 00 04 00 00 90 94")
FIND_OK = bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
NO_CARD = bytes.fromhex("AA AA AA 96 69 00 04 00 00 80 84")
SELECT_OK = bytes.fromhex("AA AA AA 96 69 00 0C 00 00 90" + " 00" * 8 + " 9C")
SELECT_FAILED = bytes.fromhex("AA AA AA 96 69 00 04 00 00 81 85")
READ_FAILED = bytes.fromhex("AA AA AA 96 69 00 04 00 00 41 45")


@pytest.mark.parametrize(
    ("command", "recorded"), RECORDED_COMMANDS.items(), ids=lambda c: getattr(c, "name", "")
)
def test_commands_match_the_recorded_frames(command: codec.Command, recorded: str) -> None:
    assert command.frame() == bytes.fromhex(recorded)


def test_set_max_rf_bytes_frame_with_data() -> None:
    assert codec.build_command(0x61, 0xFF, b"\x50") == bytes.fromhex("AA AA AA 96 69 00 04 61 FF 50 CA")


@pytest.mark.parametrize(
    ("frame", "sw3", "outcome", "data_len"),
    [
        (STATUS_OK, 0x90, Outcome.OK, 0),
        (FIND_OK, 0x9F, Outcome.OK, 4),
        (NO_CARD, 0x80, Outcome.NO_CARD, 0),
        (SELECT_OK, 0x90, Outcome.OK, 8),
        (SELECT_FAILED, 0x81, Outcome.SELECT_FAILED, 0),
        (READ_FAILED, 0x41, Outcome.READ_FAILED, 0),
    ],
)
def test_recorded_responses_parse(frame: bytes, sw3: int, outcome: Outcome, data_len: int) -> None:
    response = parse_response(frame)
    assert (response.sw1, response.sw2, response.sw3) == (0, 0, sw3)
    assert response.outcome is outcome
    assert len(response.data) == data_len


def test_build_response_reproduces_recorded_frames() -> None:
    assert codec.build_response(0x90) == STATUS_OK
    assert codec.build_response(0x9F, bytes(4)) == FIND_OK
    assert codec.build_response(0x90, bytes(8)) == SELECT_OK


@pytest.mark.parametrize(
    ("sw3", "outcome"),
    [
        (0x91, Outcome.NO_CONTENT),
        (0x31, Outcome.AUTH_FAILED),
        (0x33, Outcome.AUTH_FAILED),
        (0x40, Outcome.UNSUPPORTED_CARD),
        (0x10, Outcome.HOST_FRAME_ERROR),
        (0x21, Outcome.HOST_FRAME_ERROR),
        (0x23, Outcome.DEVICE_FAULT),
        (0x47, Outcome.DEVICE_FAULT),
        (0x60, Outcome.DEVICE_FAULT),
        (0x66, Outcome.DEVICE_FAULT),
        (0x77, Outcome.UNKNOWN),
    ],
)
def test_sw3_codes_map_to_typed_outcomes(sw3: int, outcome: Outcome) -> None:
    assert parse_response(codec.build_response(sw3)).outcome is outcome


def test_read_response_is_1295_bytes_and_splits_into_text_and_photo() -> None:
    text, photo = bytes(range(256)), bytes(1024)
    frame = codec.build_response(0x90, build_read_payload(text, photo))
    assert len(frame) == 1295
    assert frame[5:7] == b"\x05\x08"
    payload = parse_read_payload(parse_response(frame).data)
    assert payload.text == text and payload.photo == photo


def test_read_with_fingerprint_is_2321_bytes() -> None:
    frame = codec.build_response(0x90, build_read_payload(bytes(256), bytes(1024), bytes(1024)))
    assert len(frame) == 2321
    payload = parse_read_payload(parse_response(frame).data, with_fingerprint=True)
    assert len(payload.fingerprint) == 1024


def test_read_payload_with_lying_lengths_is_a_typed_error() -> None:
    with pytest.raises(BadLength):
        parse_read_payload(b"\x01\x00\x04\x00" + bytes(10))
    with pytest.raises(BadLength):
        parse_read_payload(b"\x01")


def test_wrong_checksum_is_rejected() -> None:
    with pytest.raises(BadChecksum):
        parse_response(STATUS_OK[:-1] + b"\x00")


@pytest.mark.parametrize("frame", [STATUS_OK[:-1], STATUS_OK + b"\x00", b"\x00" + STATUS_OK, b""])
def test_wrong_sizes_and_missing_preamble_are_frame_errors(frame: bytes) -> None:
    with pytest.raises(FrameError):
        parse_response(frame)


def test_zero_and_huge_lengths_are_rejected() -> None:
    with pytest.raises(BadLength):
        parse_response(bytes.fromhex("AA AA AA 96 69 00 00 00"))
    with pytest.raises(BadLength):
        parse_response(codec.PREAMBLE + (codec.MAX_LEN + 1).to_bytes(2, "big") + bytes(codec.MAX_LEN + 1))


def test_decoder_skips_garbage_before_a_frame() -> None:
    decoder = FrameDecoder()
    assert list(decoder.feed(b"\x00\x13garbage\xaa\xaa" + STATUS_OK)) == [STATUS_OK]
    assert decoder.discarded == 11


def test_decoder_assembles_a_frame_delivered_byte_by_byte() -> None:
    decoder = FrameDecoder()
    out: list[object] = []
    for byte in FIND_OK:
        out.extend(decoder.feed(bytes([byte])))
    assert out == [FIND_OK]
    assert decoder.pending == 0


def test_decoder_recovers_the_frame_after_a_corrupted_one() -> None:
    decoder = FrameDecoder()
    corrupted = STATUS_OK[:-1] + b"\x00"
    items = list(decoder.feed(corrupted + NO_CARD))
    assert isinstance(items[0], BadChecksum)
    assert items[-1] == NO_CARD


def test_decoder_rejects_an_absurd_length_and_resynchronises() -> None:
    decoder = FrameDecoder()
    items = list(decoder.feed(codec.PREAMBLE + b"\xff\xff" + NO_CARD))
    assert isinstance(items[0], BadLength)
    assert items[-1] == NO_CARD


def test_a_cut_off_frame_header_does_not_hide_the_frame_behind_it() -> None:
    decoder = FrameDecoder()
    assert list(decoder.feed(bytes.fromhex("AA AA AA 96 69 00 40"))) == []  # may still be a frame
    items = list(decoder.feed(STATUS_OK))
    assert isinstance(items[0], BadLength)
    assert items[-1] == STATUS_OK
    assert decoder.pending == 0


def test_a_truncated_read_response_does_not_hide_the_next_frame() -> None:
    # The photo holds a damaged frame look-alike: that alone must not end the wait for the read.
    photo = (bytes(300) + STATUS_OK[:-1] + b"\x00").ljust(1024, b"\x00")
    read_ok = codec.build_response(0x90, build_read_payload(bytes(256), photo))
    decoder = FrameDecoder()
    assert list(decoder.feed(read_ok[:500])) == []
    assert decoder.pending == 500
    items = list(decoder.feed(NO_CARD))  # the module gave up on the read and answered anew
    assert [item for item in items if isinstance(item, bytes)] == [NO_CARD]
    assert decoder.pending == 0


def test_decoder_reset_forgets_a_partial_frame() -> None:
    decoder = FrameDecoder()
    assert list(decoder.feed(STATUS_OK[:6])) == []
    decoder.reset()
    assert list(decoder.feed(STATUS_OK)) == [STATUS_OK]


def test_sam_id_formats_as_technicians_know_it() -> None:
    data = bytes([0x05, 0x00, 0x01, 0x00]) + (20190101).to_bytes(4, "little")
    data += (123).to_bytes(4, "little") + (4567).to_bytes(4, "little")
    assert format_sam_id(data) == "05.01-20190101-0000000123-0000004567"
    with pytest.raises(BadLength):
        format_sam_id(b"\x00" * 15)
