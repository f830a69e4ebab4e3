"""Scanner payload checks: recognised forms, typed rejections, and no crash on arbitrary input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.scanner.payload import (
    MAX_PAYLOAD_BYTES,
    PayloadRejected,
    ScannedCode,
    parse_payload,
    tracking_code,
)

APPLICATION_ID = "0190a6c2-7d3e-7abc-8def-0123456789ab"
TOKEN = "AbCdEfGhIjKlMnOp_-0123456789"


def test_identity_code_yields_token() -> None:
    code = parse_payload(f"cityapp:identity:v1:{TOKEN}".encode())
    assert code == ScannedCode("identity", f"cityapp:identity:v1:{TOKEN}", TOKEN)


def test_tracking_code_yields_application_id_lowercased() -> None:
    code = parse_payload(f"cityapp:track:v1:{APPLICATION_ID.upper()}\r\n".encode())
    assert code.kind == "tracking"
    assert code.value == APPLICATION_ID


def test_tracking_code_round_trips_through_the_receipt_helper() -> None:
    assert parse_payload(tracking_code(APPLICATION_ID)).value == APPLICATION_ID


def test_https_url_is_recognised() -> None:
    url = "https://service.example.gov.cn/apply?item=1203&lang=zh#top"
    assert parse_payload(url) == ScannedCode("url", url, url)


def test_utf8_bom_is_ignored() -> None:
    assert parse_payload(b"\xef\xbb\xbfhttps://example.org/").kind == "url"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"\r\n", "empty"),
        (b"\xff\xfe", "not_utf8"),
        (b"https://example.org/\x1b[2J", "control_characters"),
        (b"cityapp:identity:v1:\x00" + b"A" * 20, "control_characters"),
        (b"A" * (MAX_PAYLOAD_BYTES + 1), "too_large"),
        (b"http://example.org/", "unknown_form"),
        (b"cityapp:identity:v1:short", "unknown_form"),
        (b"cityapp:identity:v1:" + b"A" * 129, "unknown_form"),
        (b"cityapp:identity:v1:" + b"A" * 15 + b"!", "unknown_form"),
        (b"cityapp:track:v1:not-a-uuid", "unknown_form"),
        (b"cityapp:track:v1:{0190a6c2-7d3e-7abc-8def-0123456789ab}", "unknown_form"),
        ("https://例子.cn/".encode(), "unknown_form"),
        (b"https://example.org/a b", "unknown_form"),
        ("张三 110105194912310021".encode(), "unknown_form"),
    ],
)
def test_rejections_are_typed_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(PayloadRejected) as caught:
        parse_payload(raw)
    assert caught.value.reason == reason
    assert caught.value.code == "unrecognised_code"


def test_rejection_message_never_repeats_the_payload() -> None:
    secret = "110105194912310021"
    with pytest.raises(PayloadRejected) as caught:
        parse_payload(secret)
    assert secret not in str(caught.value)


def test_line_breaks_inside_a_payload_are_allowed_but_the_form_still_decides() -> None:
    with pytest.raises(PayloadRejected) as caught:
        parse_payload(b"line one\r\nline two")
    assert caught.value.reason == "unknown_form"


def test_lone_surrogate_text_is_rejected_as_not_utf8() -> None:
    with pytest.raises(PayloadRejected) as caught:
        parse_payload("https://example.org/\ud800")
    assert caught.value.reason == "not_utf8"


@given(st.binary(max_size=4000))
def test_arbitrary_bytes_give_a_code_or_a_typed_rejection(raw: bytes) -> None:
    try:
        code = parse_payload(raw)
    except PayloadRejected as exc:
        assert exc.reason in ("empty", "too_large", "not_utf8", "control_characters", "unknown_form")
    else:
        assert code.kind in ("identity", "tracking", "url")
        assert code.value in code.text


@given(st.text(max_size=300))
def test_arbitrary_text_gives_a_code_or_a_typed_rejection(text: str) -> None:
    try:
        code = parse_payload(text)
    except PayloadRejected as exc:
        assert exc.message
    else:
        assert code.text == text.strip("\r\n")
