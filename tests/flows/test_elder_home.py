"""Elder mode's home: the catalogue's five big sections, each opening the paged list of its items."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.api_client import Catalog as ApiCatalog
from kiosk.catalog import Catalog, CatalogError, Group, ServiceItem, builtin_catalog
from kiosk.flows.views import build_view
from kiosk.i18n import Strings
from kiosk.search import SearchIndex

FIVE = ["social_security", "pension", "medical", "provident_fund", "household"]
FIVE_ZH = ["社保", "养老", "医疗", "公积金", "户籍"]
FIVE_EN = ["Social security", "Pension", "Medical", "Provident fund", "Household"]


def view_of(rig, language: str = "zh_CN", *, elder: bool = True, page_size: int = 4) -> dict[str, Any]:
    j = rig.journey
    return build_view(
        j.state,
        j.catalog,
        SearchIndex(j.catalog.items),
        Strings(language),  # type: ignore[arg-type]
        online=True,
        can_back=j.can_go_back,
        page_size=page_size,
        elder=elder,
    )


def shown_codes(view: dict[str, Any]) -> list[str]:
    return [o["code"] for o in view["options"]]


def test_elder_home_is_the_five_sections_with_search_and_tracking(rig) -> None:
    rig.act("start")
    for language, names in (("zh_CN", FIVE_ZH), ("en", FIVE_EN)):
        home = view_of(rig, language)
        assert [s["code"] for s in home["sections"]] == FIVE
        assert [s["label"] for s in home["sections"]] == names
        assert [a["action"] for a in home["actions"]] == ["search", "track"]
        # Nothing else competes with the five sections.
        assert not home.get("popular") and not home.get("departments") and not home.get("lifeEvents")
        # Voice guidance names every section.
        assert all(name in home["speech"] for name in names)
        assert "?." not in home["speech"]  # the title's question mark ends its sentence


def test_standard_home_is_unchanged(rig) -> None:
    rig.act("start")
    home = view_of(rig, elder=False, page_size=9)
    assert "sections" not in home
    assert home["popular"] and home["departments"] and home["lifeEvents"]
    assert [a["action"] for a in home["actions"]] == ["search", "track"]


def test_choosing_a_section_lists_only_its_items_most_used_first(rig) -> None:
    catalog = rig.journey.catalog
    for code in FIVE:
        rig.act("start")
        assert rig.act("section", code) == "section"
        listed = view_of(rig, page_size=100)
        expected = [i for i in catalog.items if i.elder_section == code]
        assert expected, code
        assert set(shown_codes(listed)) == {i.code for i in expected}
        popularity = [catalog.item(c).popularity for c in shown_codes(listed)]
        assert popularity == sorted(popularity, reverse=True)
        rig.journey.reset()
    rig.act("start")
    rig.act("section", "provident_fund")
    listed = view_of(rig, "en")
    assert listed["title"] == "Provident fund"
    assert shown_codes(listed) == ["HF-BALANCE", "HF-WITHDRAW-RETIRE", "HF-WITHDRAW-XPROV"]
    assert listed["options"][1]["badge"] == "Instant"
    assert rig.act("item", "HF-WITHDRAW-RETIRE") == "item"
    assert rig.act("back") == "section"
    assert rig.act("back") == "home"


def test_a_section_is_not_the_department_with_the_same_code(rig) -> None:
    rig.act("start")
    rig.act("section", "social_security")
    assert shown_codes(view_of(rig, page_size=100)) == ["SS-INSURANCE-STATUS"]
    rig.act("home")
    rig.act("group", "social_security")
    assert set(shown_codes(view_of(rig, page_size=100))) == {"SS-PENSION-CERT", "SS-INSURANCE-STATUS"}


def test_unknown_section_or_a_section_away_from_home_is_ignored(rig) -> None:
    rig.act("start")
    assert rig.act("section", "no-such-section") == "home"
    assert rig.act("search") == "search"
    assert rig.act("section", "pension") == "search"


def test_long_sections_are_paged_and_back_returns_to_the_same_page(rig) -> None:
    # Listed in the catalogue least used first: the section shows the most used first.
    items = tuple(
        ServiceItem(
            f"P{n:02d}", f"养老事项{n}", f"Pension item {n}", "d", popularity=100 - n, elder_section="pension"
        )
        for n in reversed(range(10))
    )
    sections = (Group("pension", "养老", "Pension"),)
    rig.journey.set_catalog(Catalog(items, (Group("d", "部门", "Dept"),), elder_sections=sections))
    rig.act("start")
    assert [s["code"] for s in view_of(rig)["sections"]] == ["pension"]
    rig.act("section", "pension")
    first = view_of(rig)
    assert shown_codes(first) == ["P00", "P01", "P02", "P03"]
    assert first["pageText"] == "第 1 页 / 共 3 页" and first["pageSize"] == 4
    assert [a["value"] for a in first["actions"]] == ["next"]
    rig.act("page", "next")
    rig.act("page", "next")
    last = view_of(rig, "en")
    assert shown_codes(last) == ["P08", "P09"]
    assert last["pageText"] == "Page 3 of 3"
    assert [a["value"] for a in last["actions"]] == ["prev"]
    assert rig.act("item", "P09") == "item"
    assert rig.act("back") == "section"
    assert shown_codes(view_of(rig)) == ["P08", "P09"]
    rig.act("page", "prev")
    assert shown_codes(view_of(rig)) == ["P04", "P05", "P06", "P07"]


def test_empty_sections_are_not_offered_and_without_sections_elder_home_keeps_its_groups(rig) -> None:
    item = ServiceItem("A", "事项", "Item", "d", elder_section="medical")
    sections = (Group("pension", "养老", "Pension"), Group("medical", "医疗", "Medical"))
    rig.journey.set_catalog(Catalog((item,), (Group("d", "部门", "Dept"),), elder_sections=sections))
    rig.act("start")
    assert [s["code"] for s in view_of(rig)["sections"]] == ["medical"]
    rig.journey.reset()
    rig.journey.set_catalog(Catalog((item,), (Group("d", "部门", "Dept"),)))
    rig.act("start")
    home = view_of(rig)
    assert "sections" not in home and home["popular"]


def test_the_central_catalogue_maps_to_five_sections_of_everyday_needs() -> None:
    from central.catalog_demo import build_demo_catalog

    document = {**build_demo_catalog(), "version": "demo-1"}
    catalog = Catalog.from_api(ApiCatalog.from_json(document, etag='"demo"'))
    assert [s.code for s in catalog.elder_sections] == FIVE
    assert [s.name("zh_CN") for s in catalog.elder_sections] == FIVE_ZH
    assert [s.name("en") for s in catalog.elder_sections] == FIVE_EN
    for code in FIVE:
        listed = catalog.in_elder_section(code)
        # Older people's everyday needs, three pages of four at most: not every licence of a department.
        assert 4 <= len(listed) <= 12, code
        assert not any("许可" in item.name("zh_CN") for item in listed), code
    by_code = {raw["code"]: raw for raw in document["items"]}
    for item in catalog.items:
        assert item.elder_section == (by_code[item.code]["elder_section"] or "")


def test_builtin_catalogue_has_the_five_sections_and_each_has_items() -> None:
    catalog = builtin_catalog()
    assert [s.code for s in catalog.elder_sections] == FIVE
    assert all(catalog.in_elder_section(code) for code in FIVE)


def test_catalogue_sections_are_checked() -> None:
    def doc(**item: Any) -> dict[str, Any]:
        return {
            "elder_sections": [{"code": "pension", "name_zh": "养老", "name_en": "Pension"}],
            "items": [{"code": "A", "name_zh": "x", "name_en": "x", "department": "d", **item}],
        }

    assert Catalog.from_dict(doc(elder_section="pension")).item("A").elder_section == "pension"
    assert Catalog.from_dict(doc(elder_section=None)).item("A").elder_section == ""
    with pytest.raises(CatalogError, match="unknown elder section 'pensions'"):
        Catalog.from_dict(doc(elder_section="pensions"))
    with pytest.raises(CatalogError, match="elder_section"):
        Catalog.from_dict(doc(elder_section=["pension"]))
    twice = doc()
    twice["elder_sections"] *= 2
    with pytest.raises(CatalogError, match="duplicate elder section"):
        Catalog.from_dict(twice)
