"""Decoding the card text block: all four card types, and cards that fail their own checks."""

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.idcard.card import LONG_TERM, IdCard
from devices.idcard.idnumber import check_id_number
from devices.idcard.nations import NATIONS
from devices.idcard.samples import SAMPLE_CARDS, sample_card
from devices.idcard.textblock import (
    TEXT_BLOCK_SIZE,
    CardDecodeError,
    decode_text_block,
    encode_text_block,
)


@pytest.mark.parametrize("name", list(SAMPLE_CARDS))
def test_every_sample_survives_encode_then_decode(name: str) -> None:
    card = SAMPLE_CARDS[name]
    decoded = decode_text_block(encode_text_block(card), appended_address=card.appended_address)
    assert decoded == card
    assert decoded.problems == ()


@pytest.mark.parametrize("name", list(SAMPLE_CARDS))
def test_sample_numbers_are_valid_so_the_samples_are_honest(name: str) -> None:
    card = SAMPLE_CARDS[name]
    assert card.id_number_valid
    if card.card_type != "foreign_2017":
        assert check_id_number(card.id_number)


def _block_from_text(text: str) -> bytes:
    return text.ljust(TEXT_BLOCK_SIZE // 2).encode("utf-16-le")


def test_resident_layout_offsets_from_the_protocol_notes() -> None:
    # Built by hand, field by field, independently of encode_text_block.
    fields = [
        ("王小明", 15),
        ("1", 1),
        ("01", 2),
        ("19900101", 8),
        ("北京市东城区示例路1号", 35),
        ("110101199001010015", 18),
        ("北京市公安局东城分局", 15),
        ("20200501", 8),
        ("长期", 8),
    ]
    text = "".join(value.ljust(width) for value, width in fields)
    card = decode_text_block(_block_from_text(text))
    assert card.card_type == "resident"
    assert card.name == "王小明"
    assert card.sex == "male"
    assert (card.nation_code, card.nation) == ("01", "汉")
    assert card.birth_date == dt.date(1990, 1, 1)
    assert card.valid_to == LONG_TERM
    assert card.id_number_valid and card.problems == ()


def test_name_beyond_the_bmp_is_decoded_from_surrogate_pairs() -> None:
    card = sample_card("resident_elder")
    block = encode_text_block(card)
    assert "𠮷".encode("utf-16-le") == b"\x42\xd8\xb7\xdf"
    assert b"\x42\xd8\xb7\xdf" in block[:30]
    assert decode_text_block(block).name == "李𠮷"


def test_card_type_flag_selects_the_layout() -> None:
    for name, flag in [("hmt_permit", "J"), ("foreign_2017", "I"), ("foreign_2023", "Y")]:
        block = encode_text_block(SAMPLE_CARDS[name])
        assert block[248:250] == flag.encode("utf-16-le")
        assert decode_text_block(block).card_type == name


def test_hmt_permit_has_pass_number_and_issue_count_but_no_nation() -> None:
    card = decode_text_block(encode_text_block(sample_card("hmt_permit")))
    assert card.pass_number == "H12345678"
    assert card.issue_count == 1
    assert card.nation is None and card.nation_code is None
    assert card.id_number.startswith("81")


def test_foreign_2017_uses_its_own_number_format() -> None:
    card = decode_text_block(encode_text_block(sample_card("foreign_2017")))
    assert card.nationality == "USA"
    assert card.name_en == "SMITH, JOHN SAMPLE"
    assert card.id_number_valid
    bad = dataclasses.replace(sample_card("foreign_2017"), id_number="US1110080010100")
    decoded = decode_text_block(encode_text_block(bad))
    assert not decoded.id_number_valid
    assert "id_number_format" in decoded.problems


def test_foreign_2023_english_name_spans_two_fields() -> None:
    long_name = "EXAMPLE-SAMPLEWORTH, MARY ANNE ELIZABETH"  # longer than the first field
    card = dataclasses.replace(sample_card("foreign_2023"), name_en=long_name)
    block = encode_text_block(card)
    assert decode_text_block(block).name_en == long_name


def test_a_wrong_check_digit_is_reported_not_accepted() -> None:
    card = dataclasses.replace(sample_card(), id_number="110101199001010016")
    decoded = decode_text_block(encode_text_block(card))
    assert not decoded.id_number_valid
    assert "id_number_check_failed" in decoded.problems


def test_sex_disagreeing_with_the_number_is_reported() -> None:
    card = dataclasses.replace(sample_card(), sex="female")  # number says male
    decoded = decode_text_block(encode_text_block(card))
    assert decoded.id_number_valid
    assert "sex_mismatch" in decoded.problems


def test_birth_date_disagreeing_with_the_number_is_reported() -> None:
    card = dataclasses.replace(sample_card(), birth_date=dt.date(1990, 1, 2))
    decoded = decode_text_block(encode_text_block(card))
    assert "birth_date_mismatch" in decoded.problems


def test_unknown_nation_code_and_impossible_dates_are_reported() -> None:
    text = _block_from_text("")
    block = bytearray(encode_text_block(sample_card()))
    block[32:36] = "77".encode("utf-16-le")
    block[188:204] = "20200231".encode("utf-16-le")
    decoded = decode_text_block(bytes(block))
    assert decoded.nation is None and decoded.nation_code == "77"
    assert decoded.valid_from is None
    assert {"unknown_nation_code", "bad_date:valid_from"} <= set(decoded.problems)
    assert len(text) == TEXT_BLOCK_SIZE


def test_a_lone_surrogate_is_reported_as_undecodable() -> None:
    block = bytearray(encode_text_block(sample_card()))
    block[0:2] = b"\x42\xd8"  # high surrogate followed by an ordinary character
    decoded = decode_text_block(bytes(block))
    assert "undecodable:name" in decoded.problems


def test_unknown_flag_and_wrong_size_are_typed_errors() -> None:
    block = bytearray(encode_text_block(sample_card()))
    block[248:250] = "Z".encode("utf-16-le")
    with pytest.raises(CardDecodeError) as error:
        decode_text_block(bytes(block))
    assert error.value.code == "unsupported_card"
    with pytest.raises(CardDecodeError):
        decode_text_block(bytes(255))


def test_the_nation_table_is_complete() -> None:
    assert len(NATIONS) == 58
    assert NATIONS["56"] == "基诺" and NATIONS["98"] == "外国血统中国籍人士"


def test_a_value_too_long_for_its_field_cannot_be_encoded() -> None:
    with pytest.raises(ValueError):
        encode_text_block(dataclasses.replace(sample_card(), name="名" * 16))


@given(st.binary(min_size=TEXT_BLOCK_SIZE, max_size=TEXT_BLOCK_SIZE))
def test_any_block_decodes_to_a_card_or_a_typed_error(block: bytes) -> None:
    try:
        card = decode_text_block(block)
    except CardDecodeError:
        return
    assert isinstance(card, IdCard)
    assert isinstance(card.problems, tuple)


@given(st.sampled_from(list(SAMPLE_CARDS)), st.integers(0, 247), st.integers(1, 255))
def test_a_corrupted_block_never_decodes_as_a_clean_card_with_another_number(
    name: str, position: int, flip: int
) -> None:
    block = bytearray(encode_text_block(SAMPLE_CARDS[name]))
    block[position] ^= flip
    try:
        card = decode_text_block(bytes(block))
    except CardDecodeError:
        return
    if card.id_number != SAMPLE_CARDS[name].id_number and card.card_type != "foreign_2017":
        assert not card.id_number_valid or card.problems


def test_foreign_2023_english_name_cut_just_before_a_space_keeps_the_space() -> None:
    long_name = "A" * 35 + " BETH"  # the second field starts with the space
    card = dataclasses.replace(sample_card("foreign_2023"), name_en=long_name)
    assert decode_text_block(encode_text_block(card)).name_en == long_name
