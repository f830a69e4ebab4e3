"""Elder mode on the real screens, offscreen: the five big sections, a section's list, lists that fit."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QAccessible

from kiosk.catalog import Catalog, Group, ServiceItem
from tests.ui.helpers import find, pump, tap, visible_items, wait_for

pytestmark = pytest.mark.ui

FIVE = ["social_security", "pension", "medical", "provident_fund", "household"]
ELDER_TARGET = 100  # px, accessibility criterion A6
ELDER_GAP = 12


def screen(kiosk) -> str:
    return str(kiosk.ui.adapter.view["screen"])


def scene_rect(item) -> QRectF:
    return item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))


def buttons_on_screen(window) -> list[tuple[str, QRectF]]:
    """(accessible name, scene rectangle) of every visible button of the current screen (not the bars)."""
    loader = find(window, "screenLoader")
    found = []
    for item in visible_items(loader):
        iface = QAccessible.queryAccessibleInterface(item)
        if iface is not None and iface.role() == QAccessible.Role.Button:
            found.append((iface.text(QAccessible.Text.Name), scene_rect(item)))
    return found


def elder_home(kiosk, language: str) -> None:
    kiosk.ui.session.set_language(language)
    kiosk.ui.session.set_elder_mode(True)
    kiosk.ui.adapter.act("start", "")
    pump(0.1)
    assert screen(kiosk) == "home"


@pytest.mark.parametrize(
    ("language", "names", "search", "track"),
    [
        ("zh_CN", ["社保", "养老", "医疗", "公积金", "户籍"], "搜索事项", "扫码查进度"),
        (
            "en",
            ["Social security", "Pension", "Medical", "Provident fund", "Household"],
            "Search",
            "Track an application",
        ),
    ],
)
def test_elder_home_shows_five_very_large_section_buttons_and_nothing_else(
    kiosk, language, names, search, track
) -> None:
    QAccessible.setActive(True)
    elder_home(kiosk, language)
    window = kiosk.ui.window
    sections = [find(window, f"sectionButton_{code}") for code in FIVE]
    assert all(s is not None and s.isVisible() for s in sections)
    assert [s.property("label") for s in sections] == names
    rects = [scene_rect(s) for s in sections]
    for rect in rects:
        # Well above the elder minimum (A6): at least twice it each way.
        assert rect.width() >= 2 * ELDER_TARGET and rect.height() >= 2 * ELDER_TARGET, rect
        assert window.contentItem().contains(rect.bottomRight())
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            gap = max(b.left() - a.right(), a.left() - b.right(), b.top() - a.bottom(), a.top() - b.bottom())
            assert gap >= ELDER_GAP, (a, b)
    # The screen's buttons are the five sections, search and tracking: nothing else competes.
    assert sorted(name for name, _ in buttons_on_screen(window)) == sorted([*names, search, track])


def test_tapping_a_section_in_elder_mode_lists_its_items(kiosk) -> None:
    elder_home(kiosk, "zh_CN")
    window = kiosk.ui.window
    tap(window, "sectionButton_provident_fund")
    assert wait_for(lambda: screen(kiosk) == "section")
    shown = {
        code: find(window, f"option_{code}")
        for code in ("HF-BALANCE", "HF-WITHDRAW-RETIRE", "HF-WITHDRAW-XPROV")
    }
    assert all(b is not None and b.isVisible() for b in shown.values())
    assert shown["HF-BALANCE"].property("label") == "公积金余额查询"
    assert find(window, "option_SS-PENSION-CERT") is None  # another section's item
    tap(window, "option_HF-WITHDRAW-RETIRE")
    assert wait_for(lambda: screen(kiosk) == "item")
    assert kiosk.ui.journey.state.item_code == "HF-WITHDRAW-RETIRE"


def test_standard_home_has_no_sections(kiosk) -> None:
    kiosk.ui.adapter.act("start", "")
    pump(0.1)
    assert not find(kiosk.ui.window, "elderSections").isVisible()
    assert find(kiosk.ui.window, "sectionButton_pension") is None


# As long as the longest names of the central catalogue, every one with a badge.
LONG_EN = "Allowance for veterans who served in wars and tests application {n}"
LONG_ZH = "国有建设用地使用权及房屋所有权转移登记{n}号"


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_elder_list_pages_fit_whole_without_scrolling(kiosk, language) -> None:
    items = tuple(
        ServiceItem(
            f"L{n}",
            LONG_ZH.format(n=n),
            LONG_EN.format(n=n),
            "d",
            instant=n % 2 == 0,
            partner_cities=() if n % 2 == 0 else ("qianjiang",),
            elder_section="pension",
        )
        for n in range(9)
    )
    catalog = Catalog(
        items, (Group("d", "部门", "Department"),), elder_sections=(Group("pension", "养老", "Pension"),)
    )
    kiosk.ui.journey.set_catalog(catalog)  # on the attract screen: taken at once
    elder_home(kiosk, language)
    window = kiosk.ui.window
    tap(window, "sectionButton_pension")
    assert wait_for(lambda: screen(kiosk) == "section")
    flick_bottom = scene_rect(find(window, "optionGrid").parentItem().parentItem()).bottom()
    for page in range(3):
        options = kiosk.ui.adapter.view["options"]
        assert options
        for option in options:
            button = find(window, f"option_{option['code']}")
            box = scene_rect(button)
            assert box.bottom() <= flick_bottom + 0.5, (page, option["code"])
            assert box.height() >= ELDER_TARGET
            label = next(i for i in visible_items(button) if i.objectName() == "buttonLabel")
            badge = next(i for i in visible_items(button) if i.objectName() == "buttonBadge")
            assert not label.property("truncated"), option["label"]
            assert scene_rect(badge).bottom() <= box.bottom(), option["badge"]
            assert scene_rect(label).top() >= box.top()
        if page < 2:
            kiosk.ui.adapter.act("page", "next")
            pump(0.1)
