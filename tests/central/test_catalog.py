"""The demo catalogue: the city's scale, realistic and complete items, ETag caching."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
import requests

from central.catalog_demo import build_demo_catalog
from kiosk.api_client import ApiClient, Catalog
from tests.support.central import CentralServer, running_central

CATALOG = build_demo_catalog()
ITEMS = CATALOG["items"]
FIELD_TYPES = {"text", "number", "amount", "phone", "date", "choice"}


def test_scale_matches_the_city() -> None:
    assert len(ITEMS) == 1324
    assert len({item["code"] for item in ITEMS}) == 1324
    assert sum(item["instant"] for item in ITEMS) == 39
    assert sum(item["cross_province"] for item in ITEMS) == 43
    assert len(CATALOG["appointment_zones"]) == 11
    assert {c["name_zh"] for c in CATALOG["partner_cities"]} == {"岳阳", "长治", "仙桃", "潜江"}
    assert Counter(item["kind"] for item in ITEMS).keys() == {"apply", "query", "appointment"}


def test_generation_is_deterministic() -> None:
    assert build_demo_catalog() == CATALOG


def test_names_are_real_sounding_and_unique_per_department() -> None:
    for item in ITEMS:
        assert not re.search(r"(事项|item)\s*\d", item["name_zh"] + item["name_en"], re.IGNORECASE)
        assert re.search(r"[\u4e00-\u9fff]", item["name_zh"])
        assert not re.search(r"[\u4e00-\u9fff]", item["name_en"])
    pairs = Counter((item["department"]["name_zh"], item["name_zh"]) for item in ITEMS)
    assert max(pairs.values()) == 1
    names = {item["name_zh"] for item in ITEMS}
    assert {"建筑起重设备注销备案", "住房公积金退休提取", "公积金余额一键查"} <= names


def test_every_item_has_what_the_kiosk_screens_need() -> None:
    elder_sections = {s["code"] for s in CATALOG["elder_sections"]}
    assert len(elder_sections) == 5
    partner_codes = {c["code"] for c in CATALOG["partner_cities"]}
    zones = {z["code"] for z in CATALOG["appointment_zones"]}
    for item in ITEMS:
        assert item["department"]["name_zh"] and item["department"]["name_en"]
        assert item["category"]["code"] and item["life_event"]["code"]
        assert item["elder_section"] in elder_sections | {None}
        assert set(item["partner_cities"]) <= partner_codes
        assert bool(item["partner_cities"]) == item["cross_province"]
        assert item["materials_zh"] and item["description_en"]
        assert isinstance(item["popularity_rank"], int)
        if item["kind"] == "appointment":
            assert item["appointment_zone"] in zones
        for field in item["form"]:
            assert field["type"] in FIELD_TYPES
            assert field["label_zh"] and field["label_en"]
            assert (field["type"] == "choice") == bool(field["choices"])
        if item["instant"]:
            assert "无需提交纸质材料" in item["materials_zh"]


def test_government_held_data_is_prefilled_not_asked() -> None:
    item = next(i for i in ITEMS if i["name_zh"] == "住房公积金退休提取")
    prefilled = {f["key"]: f["prefilled_from"] for f in item["form"] if f["prefilled_from"]}
    assert prefilled == {
        "applicant_name": "identity.name",
        "id_number": "identity.id_number",
        "phone": "identity.phone",
    }
    asked = [f["key"] for f in item["form"] if not f["prefilled_from"]]
    assert asked == ["withdrawal_amount", "bank_card_number"]


def test_every_elder_section_has_items() -> None:
    counts = Counter(item["elder_section"] for item in ITEMS if item["elder_section"])
    assert set(counts) == {"social_security", "pension", "medical", "provident_fund", "household"}
    assert min(counts.values()) >= 10


def test_most_used_items_come_first_by_rank() -> None:
    top = sorted(ITEMS, key=lambda i: i["popularity_rank"])[:3]
    assert [i["name_zh"] for i in top] == ["公积金余额一键查", "社保参保状态查询", "公积金缴存明细查询"]


@pytest.fixture(scope="module")
def server() -> Iterator[CentralServer]:
    with running_central() as running:
        yield running


def test_catalog_over_the_api_with_etag(server: CentralServer) -> None:
    with server.client() as client:
        catalog = client.get_catalog(None)
        assert isinstance(catalog, Catalog)
        assert len(catalog.items) == 1324
        assert catalog.etag.startswith('"')
        assert client.get_catalog(catalog.etag) is None
        assert client.get_catalog('"stale"') is not None
        item = catalog.item("411700-GJJ-0901")
        assert item is not None and item.instant and item.cross_province
        assert item.department_zh == "驻马店市住房公积金管理中心"
        assert [f.type for f in item.form] == ["text", "text", "phone", "amount", "number"]
        assert Catalog.from_json(catalog.raw, catalog.etag) == catalog


def test_rule_set_is_published_for_the_self_check(server: CentralServer) -> None:
    import requests

    from kiosk.api_client import KioskSigner

    response = requests.get(
        server.base_url + "/v1/rule-sets/411700-ZJ-0901",
        auth=KioskSigner(server.kiosk_id, server.secret),
        timeout=30,
    )
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["conditions"]][-1] == "equipment_dismantled"


def test_client_parses_items_it_is_given(server: CentralServer) -> None:
    with server.client() as client:
        assert isinstance(client, ApiClient)
        catalog = client.get_catalog(None)
    assert catalog is not None
    assert {s.code for s in catalog.elder_sections} == {
        "social_security",
        "pension",
        "medical",
        "provident_fund",
        "household",
    }


def test_every_demo_item_matches_the_published_item_schema() -> None:
    from central.schemas import CatalogItemDoc

    for item in ITEMS:
        assert CatalogItemDoc.model_validate(item).model_dump(mode="json") == item


def admin_put(server: CentralServer, path: str, body: object) -> requests.Response:
    return requests.put(server.base_url + path, json=body, headers=server.admin_headers(), timeout=30)


def test_catalogue_changes_while_kiosks_run(server: CentralServer) -> None:
    with server.client() as client:
        before = client.get_catalog(None)
        assert before is not None
        new_item = dict(next(i for i in ITEMS if i["code"] == "411700-MZ-0901"))
        new_item.update(
            code="411700-YQ-0001",
            name_zh="新冠疫苗接种登记",
            name_en="Vaccination registration",
            instant=False,
            popularity_rank=3,
        )
        response = admin_put(server, "/v1/admin/catalog/items/411700-YQ-0001", new_item)
        assert response.status_code == 200, response.text
        after = client.get_catalog(before.etag)  # the old ETag no longer matches
        assert after is not None and after.etag != before.etag
        added = after.item("411700-YQ-0001")
        assert added is not None and added.name_zh == "新冠疫苗接种登记"
        retired = requests.delete(
            server.base_url + "/v1/admin/catalog/items/411700-YQ-0001",
            headers=server.admin_headers(),
            timeout=30,
        )
        assert retired.status_code == 200
        final = client.get_catalog(after.etag)
        assert final is not None and final.item("411700-YQ-0001") is None
        assert len(final.items) == len(before.items)


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "lottery"},
        {"partner_cities": ["atlantis"], "cross_province": True},
        {"form": [{"key": "x", "label_zh": "甲", "label_en": "X", "type": "choice", "required": True}]},
    ],
)
def test_invalid_catalogue_items_are_refused(server: CentralServer, change: dict[str, object]) -> None:
    item = {**next(i for i in ITEMS if i["code"] == "411700-MZ-0901"), **change}
    response = admin_put(server, "/v1/admin/catalog/items/411700-MZ-0901", item)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"


def test_new_rule_set_version_decides_the_next_application(server: CentralServer) -> None:
    import uuid

    from central.rule_sets import OLD_AGE_ALLOWANCE
    from tests.support.central import person

    stricter = {**OLD_AGE_ALLOWANCE, "version": "2027.1"}
    stricter["conditions"] = [
        {**c, "check": {"ref": "derived.age", "op": "ge", "value": 90}} if c["id"] == "aged_80_or_over" else c
        for c in OLD_AGE_ALLOWANCE["conditions"]
    ]
    response = admin_put(server, "/v1/admin/rule-sets/411700-MZ-0901", stricter)
    assert response.status_code == 200, response.text
    elder = person("elder")
    body = {
        "item_code": "411700-MZ-0901",
        "applicant": {"name": elder.name, "id_number": elder.id_number, "phone": elder.phone},
        "form": {"bank_card_number": "6222020200112233445"},
    }
    with server.client() as client:
        decision = client.submit_application(str(uuid.uuid4()), body)
    assert (decision.outcome, decision.rule_set_version) == ("rejected", "2027.1")
    broken = admin_put(
        server, "/v1/admin/rule-sets/411700-MZ-0901", {"version": "x", "conditions": [{"id": "a"}]}
    )
    assert broken.status_code == 422
    assert broken.json()["type"].endswith("invalid-rule-set")


def test_the_kiosk_reads_every_bank_card_field_as_16_to_19_digits_with_a_check_digit() -> None:
    from kiosk.catalog import Catalog as KioskCatalog
    from kiosk.forms import validate

    document = {**CATALOG, "version": "demo"}  # as the service publishes it
    kiosk_catalog = KioskCatalog.from_api(Catalog.from_json(document, etag='"demo"'))
    cards = [f for item in kiosk_catalog.items for f in item.form if f.key == "bank_card_number"]
    assert len(cards) >= 3
    for card in cards:
        assert (card.min_length, card.max_length) == (16, 19)
        assert validate(card, "6222020200112243445") is None
        assert validate(card, "6") == "error.field.length"
        assert validate(card, "6222020200112243446") == "error.field.bank_card"


def _published_rule_set(server: CentralServer, item_code: str) -> dict[str, object]:
    from kiosk.api_client import KioskSigner

    response = requests.get(
        server.base_url + f"/v1/rule-sets/{item_code}",
        auth=KioskSigner(server.kiosk_id, server.secret),
        timeout=30,
    )
    assert response.status_code == 200
    document: dict[str, object] = response.json()
    return document


def test_a_published_rule_set_version_is_never_rewritten(server: CentralServer) -> None:
    import json

    from central.rule_sets import PROVIDENT_FUND_RETIREMENT

    path = "/v1/admin/rule-sets/411700-GJJ-0901"
    published = json.loads(json.dumps(PROVIDENT_FUND_RETIREMENT))
    assert _published_rule_set(server, "411700-GJJ-0901") == published
    trimmed = {**PROVIDENT_FUND_RETIREMENT, "conditions": PROVIDENT_FUND_RETIREMENT["conditions"][:1]}
    response = admin_put(server, path, trimmed)
    assert response.status_code == 409
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:civic-kiosk:problem:rule-set-version-exists"
    assert PROVIDENT_FUND_RETIREMENT["version"] in response.json()["detail"]
    # Decisions citing the version still point at the rules they were decided by.
    assert _published_rule_set(server, "411700-GJJ-0901") == published
    # Publishing the very same document again changes nothing and succeeds.
    again = admin_put(server, path, PROVIDENT_FUND_RETIREMENT)
    assert again.status_code == 200, again.text
    assert again.json() == {"item_code": "411700-GJJ-0901", "version": PROVIDENT_FUND_RETIREMENT["version"]}
    assert _published_rule_set(server, "411700-GJJ-0901") == published


ADULT = {
    "id": "adult",
    "check": {"ref": "derived.age", "op": "ge", "value": 18},
    "pass_zh": "已成年。",
    "pass_en": "Of age.",
    "fail_zh": "未成年。",
    "fail_en": "Under age.",
}


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"version": "b1", "conditions": [{**ADULT, "check": {**ADULT["check"], "op": "gte"}}]}, "'gte'"),
        ({"version": "b2", "conditions": [1]}, "condition 1 is not an object"),
        ({"version": "b3", "conditions": ["str"]}, "condition 1 is not an object"),
        ({"version": "b4", "conditions": [{**ADULT, "requires": 7}]}, "requires"),
        ({"version": "b5", "conditions": []}, "at least one condition"),
        ({"version": "b" * 41, "conditions": [ADULT]}, "40 characters"),
        (
            {"version": "b7", "conditions": [{**ADULT, "check": {"ref": "identiy.name", "op": "present"}}]},
            "'identiy.name'",
        ),
        ({"version": "b8", "conditions": [{**ADULT, "check": {"any": {"ref": "derived.age"}}}]}, "'any'"),
        ({"version": "b9", "conditions": [{**ADULT, "check": {"ref": "derived.age", "op": "ge"}}]}, "value"),
        ({"version": "b10", "conditions": [ADULT, ADULT]}, "'adult'"),
        ({"version": "b11", "conditions": [{**ADULT, "pass_en": 5}]}, "'pass_en'"),
    ],
    ids=[
        "unknown-operator",
        "number-condition",
        "string-condition",
        "requires-not-a-list",
        "no-conditions",
        "long-version",
        "unknown-reference",
        "any-not-a-list",
        "comparison-without-value",
        "duplicate-id",
        "reason-not-text",
    ],
)
def test_malformed_rule_sets_are_refused_and_nothing_changes(
    server: CentralServer, document: dict[str, object], named: str
) -> None:
    import uuid

    from tests.support.central import person

    before = _published_rule_set(server, "411700-MZ-0901")
    response = admin_put(server, "/v1/admin/rule-sets/411700-MZ-0901", document)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "urn:civic-kiosk:problem:invalid-rule-set"
    assert named in response.json()["detail"]
    assert _published_rule_set(server, "411700-MZ-0901") == before
    # Applications for the item are still decided by the rules in force.
    retiree = person("retiree")
    body = {
        "item_code": "411700-MZ-0901",
        "applicant": {"name": retiree.name, "id_number": retiree.id_number, "phone": retiree.phone},
        "form": {"bank_card_number": "6222020200112233445"},
    }
    with server.client() as client:
        decision = client.submit_application(str(uuid.uuid4()), body)
    assert (decision.outcome, decision.rule_set_version) == ("rejected", before["version"])
