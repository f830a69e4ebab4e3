"""The masking function and the GB 11643 check, as a citizen's number would meet them."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from devices.idcard.idnumber import (
    check_character,
    check_id_number,
    id_number_birth_date,
    id_number_sex,
    mask_id_number,
)

# Fictional numbers built for the tests (the public GB 11643 worked example and variants).
EXAMPLE = "11010519491231002X"


def test_mask_keeps_first_six_and_last_four() -> None:
    assert mask_id_number(EXAMPLE) == "110105********002X"


def test_mask_hides_the_birth_date() -> None:
    assert "19491231" not in mask_id_number(EXAMPLE)


def test_mask_of_fifteen_characters_hides_five() -> None:
    assert mask_id_number("ABC123456789012") == "ABC123*****9012"


def test_short_values_are_masked_entirely() -> None:
    assert mask_id_number("1234567890") == "**********"
    assert mask_id_number("") == ""


@given(st.text(min_size=11, max_size=40))
def test_mask_never_reveals_the_middle(value: str) -> None:
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert masked[:6] == value[:6] and masked[-4:] == value[-4:]
    assert set(masked[6:-4]) == {"*"}


@given(st.text(max_size=10))
def test_mask_of_short_text_reveals_nothing(value: str) -> None:
    assert set(mask_id_number(value)) <= {"*"}


def test_the_published_example_is_valid() -> None:
    assert check_character("11010519491231002") == "X"
    assert check_id_number(EXAMPLE)
    assert check_id_number(EXAMPLE.lower())


def test_wrong_check_character_is_rejected() -> None:
    assert not check_id_number("110105194912310021")


def test_impossible_birth_date_is_rejected() -> None:
    first17 = "11010519490231002"  # 31 February
    assert not check_id_number(first17 + check_character(first17))


def test_wrong_length_and_letters_are_rejected() -> None:
    assert not check_id_number("11010519491231002")
    assert not check_id_number("1101051949123100２X")  # full-width digit
    assert not check_id_number("A1010519491231002X")


def test_birth_date_and_sex_come_from_the_number() -> None:
    assert id_number_birth_date(EXAMPLE) == dt.date(1949, 12, 31)
    assert id_number_sex(EXAMPLE) == "female"  # sequence digit 2 is even
    assert id_number_sex("110105194912310010") == "male"
    assert id_number_sex("short") is None


@given(st.text(max_size=30))
def test_check_never_raises_on_arbitrary_text(value: str) -> None:
    assert check_id_number(value) in (True, False)


@given(
    st.from_regex(
        r"[0-9]{6}(19[0-9]{2}|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}", fullmatch=True
    )
)
def test_every_number_with_its_computed_check_character_is_valid(first17: str) -> None:
    number = first17 + check_character(first17)
    assert check_id_number(number)
    wrong = "0" if number[17] != "0" else "1"
    assert not check_id_number(number[:17] + wrong)
