"""The card as the application and the command line see it."""

import dataclasses
import json

import pytest

from devices.idcard.card import IdCard
from devices.idcard.samples import SAMPLE_CARDS, sample_card

JSON_KEYS = {
    "card_type", "name", "name_en", "sex", "nation", "nation_code", "birth_date", "address",
    "appended_address", "id_number", "issuer", "valid_from", "valid_to", "pass_number",
    "issue_count", "nationality", "id_number_valid", "problems",
}  # fmt: skip
# Masked by to_json(); nation_code, id_number and pass_number too, but as codes/numbers.
PERSONAL_TEXT = ["name", "name_en", "birth_date", "address", "appended_address", "issuer", "nation"]
# What a technician checks; to_json() leaves it in clear.
IN_CLEAR = ["card_type", "sex", "valid_from", "valid_to", "issue_count", "nationality", "id_number_valid"]


@pytest.mark.parametrize("name", list(SAMPLE_CARDS))
def test_json_has_every_key_and_round_trips(name: str) -> None:
    card = SAMPLE_CARDS[name]
    data = card.to_json(masked=False)
    assert set(data) == JSON_KEYS
    assert IdCard.from_json(json.loads(json.dumps(data))) == card


def test_json_is_masked_by_default() -> None:
    data = sample_card("hmt_permit").to_json()
    assert data["id_number"] == "810000********0022"
    assert data["pass_number"] == "*********"
    assert "19950505" not in json.dumps(data)


def test_dates_are_iso_and_long_term_is_spelled_out() -> None:
    data = sample_card("resident_elder").to_json(masked=False)
    assert data["birth_date"] == "1960-02-29"
    assert data["valid_to"] == "long-term"


@pytest.mark.parametrize("name", list(SAMPLE_CARDS))
def test_masked_json_shows_no_personal_value_in_clear(name: str) -> None:
    card = SAMPLE_CARDS[name]
    clear = card.to_json(masked=False)
    data = card.to_json()
    assert set(data) == JSON_KEYS
    text = json.dumps(data, ensure_ascii=False)
    for key in PERSONAL_TEXT:
        if clear[key] is not None:
            assert clear[key] not in text, key
    # Every field that was read is still there, as long as it was: the read visibly worked.
    for key in [*PERSONAL_TEXT, "nation_code", "id_number", "pass_number"]:
        assert (data[key] is None) == (clear[key] is None), key
        if clear[key] is not None:
            assert data[key] != clear[key] and len(data[key]) == len(clear[key]), key
    assert {key: data[key] for key in IN_CLEAR} == {key: clear[key] for key in IN_CLEAR}


def test_masked_json_keeps_a_surname_a_province_and_the_date_shape() -> None:
    data = sample_card("resident_elder").to_json()
    assert data["name"] == "李*"  # the second character is beyond the BMP: still one character
    assert data["address"] == "广东省" + "*" * 12
    assert data["appended_address"] == "广东省" + "*" * 12
    assert data["issuer"] == "深圳市" + "*" * 7
    assert data["birth_date"] == "****-**-**"
    assert data["nation"] == "*" and data["nation_code"] == "**"
    foreign = sample_card("foreign_2017").to_json()
    assert foreign["name_en"] == "S" + "*" * 17
    assert foreign["issuer"] == "****"  # too short to keep a prefix


def test_repr_never_shows_the_full_number_or_the_name() -> None:
    card = sample_card()
    text = repr(card) + str(card)
    assert card.id_number not in text
    assert card.name not in text


def test_photo_is_not_part_of_equality_or_json() -> None:
    from devices.idcard.card import Photo

    card = dataclasses.replace(sample_card(), photo=Photo(102, 126, b"\x00" * 10))
    assert card == sample_card()
    assert "photo" not in card.to_json()


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"card_type": "passport"}, "card_type"),
        ({"sex": "x"}, "sex"),
        ({"birth_date": "1990-13-01"}, "birth_date"),
        ({"issue_count": "2"}, "issue_count"),
        ({"shoe_size": 42}, "shoe_size"),
        ({"name": 5}, "name"),
    ],
)
def test_bad_card_files_name_the_offending_key(patch: dict[str, object], message: str) -> None:
    data = {**sample_card().to_json(masked=False), **patch}
    with pytest.raises(ValueError, match=message):
        IdCard.from_json(data)
