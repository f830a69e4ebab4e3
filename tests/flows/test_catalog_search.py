"""Catalogue data, pinyin search, strings, forms and receipts."""

from __future__ import annotations

import pytest

from kiosk.catalog import Catalog, CatalogError, ServiceItem, builtin_catalog, merge_items
from kiosk.forms import FieldSpec, FormError, display_value, keypad_accepts, prefilled, questions, validate
from kiosk.i18n import Strings
from kiosk.search import SearchIndex
from tests.support.fakes import LI_CODE, ZHANG


def codes(items) -> list[str]:
    return [i.code for i in items]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(builtin_catalog().items)


@pytest.mark.parametrize("query", ["公积金", "gongjijin", "gong ji jin", "gjj", "GJJ", "Gong'Ji'Jin"])
def test_search_finds_provident_fund_items_in_every_form(index, query) -> None:
    found = codes(index.search(query))
    assert {"HF-BALANCE", "HF-WITHDRAW-RETIRE", "HF-WITHDRAW-XPROV"} <= set(found)
    assert "HALL-APPOINTMENT" not in found


def test_search_ranks_name_prefix_first_and_handles_nonsense(index) -> None:
    assert codes(index.search("公积金"))[0] == "HF-BALANCE"
    assert index.search("") == []
    assert index.search("   ") == []
    assert index.search("zzzzqqq") == []
    assert codes(index.search("预约")) == ["HALL-APPOINTMENT"]
    assert "CN-HOIST-DEREG" in codes(index.search("qzsb"))  # 起重设备
    assert "HF-BALANCE" in codes(index.search("balance"))


def test_search_over_a_city_sized_catalogue() -> None:
    extra = [
        ServiceItem(f"X{n:04d}", f"测试事项{n}号", f"Test item {n}", "housing_fund") for n in range(1300)
    ]
    index = SearchIndex(merge_items(builtin_catalog(), extra).items)
    assert len(index) == len(builtin_catalog().items) + 1300
    assert len(index.search("cssx", limit=20)) == 20
    assert codes(index.search("gjj"))[:1] == ["HF-BALANCE"]


def test_catalog_from_dict_names_the_problem() -> None:
    with pytest.raises(CatalogError, match="'code' missing"):
        Catalog.from_dict({"items": [{"name_zh": "x"}]})
    with pytest.raises(CatalogError, match="kind"):
        Catalog.from_dict(
            {"items": [{"code": "A", "name_zh": "x", "name_en": "x", "department": "d", "kind": "teleport"}]}
        )
    with pytest.raises(CatalogError, match="duplicate"):
        Catalog.from_dict(
            {
                "items": [
                    {"code": "A", "name_zh": "x", "name_en": "x", "department": "d"},
                    {"code": "A", "name_zh": "y", "name_en": "y", "department": "d"},
                ]
            }
        )
    with pytest.raises(CatalogError, match="unknown department"):
        Catalog.from_dict(
            {
                "departments": [{"code": "d", "name_zh": "d", "name_en": "d"}],
                "items": [{"code": "A", "name_zh": "x", "name_en": "x", "department": "zz"}],
            }
        )
    with pytest.raises(CatalogError):
        Catalog.from_dict({"items": "nope"})


def test_every_string_exists_in_both_languages() -> None:
    zh, en = Strings("zh_CN"), Strings("en")
    assert zh.keys() == en.keys()
    for item in builtin_catalog().items:
        assert zh.has(f"action.begin.{item.kind}")
        for spec in item.form:
            assert spec.label_zh and spec.label_en


def test_placeholders_match_between_languages() -> None:
    import re

    zh, en = Strings("zh_CN").all(), Strings("en").all()
    for key, template in zh.items():
        assert set(re.findall(r"{(\w+)}", template)) == set(re.findall(r"{(\w+)}", en[key])), key


FIELDS = {
    spec.key: spec
    for spec in (
        FieldSpec.from_dict({"key": "phone", "type": "phone", "prefilled_from": "identity.phone"}),
        FieldSpec.from_dict({"key": "bank_account", "type": "number", "min_length": 16, "max_length": 19}),
        FieldSpec.from_dict({"key": "amount", "type": "amount", "max_length": 10}),
        FieldSpec.from_dict({"key": "agent_id_number", "type": "id_number"}),
        FieldSpec.from_dict({"key": "record", "type": "text"}),
        FieldSpec.from_dict({"key": "born", "type": "date"}),
        FieldSpec.from_dict({"key": "note", "type": "text", "required": False}),
        FieldSpec.from_dict(
            {
                "key": "reason",
                "type": "choice",
                "choices": [{"value": "sold", "label_zh": "转让", "label_en": "Sold"}],
            }
        ),
    )
}


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ("phone", "13800000000", None),
        ("phone", "1380000000", "error.field.phone"),
        ("phone", "", "error.field.required"),
        ("bank_account", "6222020200112233445", None),
        ("bank_account", "62220", "error.field.length"),
        ("bank_account", "62220２0200112233445", "error.field.digits"),
        ("amount", "1200.50", None),
        ("amount", "1200.505", "error.field.amount"),
        ("amount", "0", "error.field.amount"),
        ("amount", "abc", "error.field.amount"),
        ("amount", "NaN", "error.field.amount"),
        ("agent_id_number", "411702195001010018", None),
        ("agent_id_number", "411702195001010013", "error.field.id_number"),
        ("record", "T2019-0031", None),
        ("record", "豫Q-T2019-0031", None),
        ("record", "T2019\x1b0031", "error.field.text"),
        ("born", "19500101", None),
        ("born", "19501301", "error.field.date"),
        ("note", "", None),
        ("reason", "sold", None),
        ("reason", "stolen", "error.field.choice"),
    ],
)
def test_field_validation(key, value, error) -> None:
    assert validate(FIELDS[key], value) == error


def test_malformed_field_definitions_are_named() -> None:
    with pytest.raises(FormError, match="key"):
        FieldSpec.from_dict({"type": "text"})
    with pytest.raises(FormError, match=r"'x'.*unknown type"):
        FieldSpec.from_dict({"key": "x", "type": "colour"})
    with pytest.raises(FormError, match="without options"):
        FieldSpec.from_dict({"key": "x", "type": "choice"})


def test_only_what_the_government_does_not_hold_is_asked() -> None:
    form = builtin_catalog().item("HF-WITHDRAW-RETIRE").form
    assert [f.key for f in questions(form, ZHANG)] == ["bank_card_number", "phone"]  # the card has no phone
    assert [f.key for f in questions(form, LI_CODE)] == ["bank_card_number"]  # the app knows the phone
    assert prefilled(form, LI_CODE) == {
        "applicant_name": "李小梅",
        "id_number": LI_CODE.id_number,
        "phone": "13800000000",
    }


def test_keypad_keeps_input_well_formed() -> None:
    amount, idn, phone, text = FIELDS["amount"], FIELDS["agent_id_number"], FIELDS["phone"], FIELDS["record"]
    assert not keypad_accepts(amount, "", ".")
    assert keypad_accepts(amount, "12", ".")
    assert not keypad_accepts(amount, "12.", ".")
    assert not keypad_accepts(amount, "12.34", "5")
    assert not keypad_accepts(idn, "4117", "X")
    assert keypad_accepts(idn, "41170219500101001", "X")
    assert not keypad_accepts(phone, "13800000000", "1")
    assert not keypad_accepts(phone, "", "a")
    assert keypad_accepts(text, "T", "-") and not keypad_accepts(text, "T", "豫")


def test_display_values_hide_the_middle() -> None:
    assert display_value(FIELDS["bank_account"], "6222020200112233445") == "6222 **** 3445"
    assert display_value(FIELDS["phone"], "13800000000") == "138****0000"
    assert display_value(FIELDS["agent_id_number"], "411702195001010018") == "411702********0018"
    assert display_value(FIELDS["reason"], "sold", "en") == "Sold"
    assert display_value(FIELDS["born"], "19500101") == "1950-01-01"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("6222020200112243445", None),  # 19 digits, check digit right
        ("4111111111111111", None),  # 16 digits
        ("6", "error.field.length"),
        ("622202020011224", "error.field.length"),  # 15 digits
        ("62220202001122434450", "error.field.length"),  # 20 digits
        ("6222020200112243446", "error.field.bank_card"),  # last digit mistyped
        ("6222020200121243445", "error.field.bank_card"),  # two neighbouring digits swapped
    ],
)
def test_the_builtin_bank_card_field_takes_16_to_19_digits_with_a_check_digit(value, error) -> None:
    card = next(f for f in builtin_catalog().item("HF-WITHDRAW-RETIRE").form if f.key == "bank_card_number")
    assert (card.min_length, card.max_length) == (16, 19)
    assert validate(card, value) == error
    assert not keypad_accepts(card, "6222020200112243445", "1")  # a 20th digit is not taken
    assert Strings("zh_CN").has("error.field.bank_card") and Strings("en").has("error.field.bank_card")
