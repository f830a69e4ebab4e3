"""Zebra SSI packets: the documented trigger bytes, checksums, continuation and resync."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.scanner import ssi
from devices.scanner.profiles import PROFILES, get_profile


def test_trigger_packets_match_the_documented_bytes() -> None:
    assert bytes.fromhex("04 E4 04 00 FF 14") == ssi.START_DECODE
    assert bytes.fromhex("04 E5 04 00 FF 13") == ssi.STOP_DECODE
    assert bytes.fromhex("04 D0 04 00 FF 28") == ssi.ACK


def test_profiles_table_holds_each_scanner_family() -> None:
    assert PROFILES["honeywell"].trigger_on == b"\x16T\r"
    assert PROFILES["honeywell"].trigger_off == b"\x16U\r"
    assert PROFILES["zkteco"].trigger_on == b"T"
    assert PROFILES["zebra-ssi"].packeting == "ssi"
    assert PROFILES["passive"].trigger_on == b""
    assert PROFILES["gm65"].trigger_on == bytes.fromhex("7E 00 08 01 00 02 01 AB CD")
    assert PROFILES["gm65"].trigger_ack == bytes.fromhex("02 00 00 01 00 33 31")
    with pytest.raises(ValueError, match="known: "):
        get_profile("acme")


def test_decode_packet_parses_and_reassembles() -> None:
    payload = ("cityapp:track:v1:" + "0190a6c2-7d3e-7abc-8def-0123456789ab").encode() * 8
    packets = ssi.decode_packets(payload)
    assert len(packets) > 1
    parser = ssi.SsiParser()
    assembler = ssi.SsiDecodeAssembler()
    results = []
    for packet in parsed(parser, b"".join(packets)):
        assert packet.opcode == ssi.OP_DECODE_DATA
        whole = assembler.add(packet)
        if whole is not None:
            results.append(whole)
    assert results == [payload]


def parsed(parser: ssi.SsiParser, data: bytes) -> list[ssi.SsiPacket]:
    out = parser.feed(data)
    assert all(isinstance(p, ssi.SsiPacket) for p in out)
    return [p for p in out if isinstance(p, ssi.SsiPacket)]


def test_bad_checksum_is_reported_and_the_next_packet_still_parses() -> None:
    good = ssi.decode_packets(b"https://example.org/")[0]
    bad = bytearray(good)
    bad[-1] ^= 0xFF
    out = ssi.SsiParser().feed(bytes(bad) + good)
    assert isinstance(out[0], ssi.SsiChecksumError)
    assert isinstance(out[1], ssi.SsiPacket)


def test_packet_split_across_reads_waits_for_the_rest() -> None:
    packet = ssi.decode_packets(b"abc")[0]
    parser = ssi.SsiParser()
    assert parser.feed(packet[:3]) == []
    (whole,) = parser.feed(packet[3:])
    assert isinstance(whole, ssi.SsiPacket)
    assert whole.data == bytes([ssi.BARCODE_TYPE_QR]) + b"abc"


@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_crash_the_parser(data: bytes) -> None:
    for item in ssi.SsiParser().feed(data):
        assert isinstance(item, ssi.SsiPacket | ssi.SsiChecksumError)


def test_one_shot_triggers_are_renewed_before_the_scanners_read_time_out() -> None:
    one_shot = {name for name, profile in PROFILES.items() if profile.one_shot}
    assert one_shot == {"honeywell", "zebra-ssi", "gm65"}
    for name in one_shot:
        profile = PROFILES[name]
        assert profile.rearm_s is not None and profile.read_timeout_s is not None
        assert 0 < profile.rearm_s < profile.read_timeout_s
    with pytest.raises(ValueError, match="below read_timeout_s"):
        replace(PROFILES["honeywell"], rearm_s=30.0)


def test_a_retransmission_is_recognised_only_as_a_copy_of_the_packet_before() -> None:
    first, second = (parsed(ssi.SsiParser(), p)[0] for p in ssi.decode_packets(b"x" * 300))
    copy = ssi.SsiPacket(first.opcode, first.source, first.status | ssi.STATUS_RETRANSMIT, first.data)
    assert copy.retransmits(first)
    assert not copy.retransmits(second)
    assert not copy.retransmits(None)
    assert not first.retransmits(first)  # without the retransmit bit it is a new packet
