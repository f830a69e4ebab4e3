"""Serial framing: suffix plus quiet, idle gap without suffix, payloads containing line breaks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from devices.scanner.framing import Frame, SerialFramer


def test_suffix_followed_by_quiet_ends_a_frame() -> None:
    framer = SerialFramer(suffix=b"\r", suffix_gap_s=0.02, idle_gap_s=0.08)
    assert framer.feed(b"cityapp:track\r", now=0.0) == []
    assert framer.poll(now=0.01) == []
    assert framer.poll(now=0.03) == [Frame(b"cityapp:track")]
    assert framer.deadline() is None


def test_line_break_inside_a_payload_does_not_split_it() -> None:
    framer = SerialFramer(suffix=b"\r\n", suffix_gap_s=0.02, idle_gap_s=0.08)
    # The scanner streams "one\r\ntwo\r\n" at wire speed: the inner CR LF is followed at once by more.
    assert framer.feed(b"one\r\n", now=0.000) == []
    assert framer.feed(b"two\r\n", now=0.001) == []
    assert framer.poll(now=0.05) == [Frame(b"one\r\ntwo")]


def test_without_suffix_the_idle_gap_ends_a_frame() -> None:
    framer = SerialFramer(suffix=b"", idle_gap_s=0.08)
    framer.feed(b"https://example.org/", now=1.0)
    assert framer.poll(now=1.05) == []
    assert framer.poll(now=1.09) == [Frame(b"https://example.org/")]


def test_suffix_switched_off_on_the_scanner_still_frames_on_idle() -> None:
    framer = SerialFramer(suffix=b"\r", suffix_gap_s=0.02, idle_gap_s=0.08)
    framer.feed(b"no-suffix", now=0.0)
    assert framer.poll(now=0.03) == []
    assert framer.poll(now=0.09) == [Frame(b"no-suffix")]


def test_next_burst_after_a_gap_closes_the_previous_frame() -> None:
    framer = SerialFramer(suffix=b"\r", suffix_gap_s=0.02, idle_gap_s=0.08)
    framer.feed(b"first\r", now=0.0)
    assert framer.feed(b"second\r", now=0.5) == [Frame(b"first")]
    assert framer.poll(now=0.6) == [Frame(b"second")]


def test_oversize_burst_is_cut_and_flagged() -> None:
    framer = SerialFramer(suffix=b"\r", max_frame_bytes=10)
    framer.feed(b"0123456789abcdef\r", now=0.0)
    (frame,) = framer.poll(now=1.0)
    assert frame.oversize
    assert frame.data == b"0123456789"


def test_reset_drops_pending_bytes() -> None:
    framer = SerialFramer()
    framer.feed(b"half a co", now=0.0)
    framer.reset()
    assert framer.poll(now=5.0) == []


@given(st.lists(st.tuples(st.binary(min_size=1, max_size=64), st.floats(0, 0.2)), max_size=30))
def test_no_byte_is_lost_or_invented(chunks: list[tuple[bytes, float]]) -> None:
    framer = SerialFramer(suffix=b"", idle_gap_s=0.08)
    now = 0.0
    frames: list[Frame] = []
    for data, delay in chunks:
        now += delay
        frames += framer.feed(data, now)
    frames += framer.poll(now + 1.0)
    assert b"".join(f.data for f in frames) == b"".join(d for d, _ in chunks)
