"""The attract screen drawn before the flows load is the one the flows then show."""

from __future__ import annotations

import pytest

from kiosk.catalog import Catalog, builtin_catalog
from kiosk.flows.first_view import first_view
from kiosk.flows.steps import FlowState
from kiosk.flows.views import build_view
from kiosk.i18n import LANGUAGES, Language, Strings
from kiosk.search import SearchIndex


@pytest.mark.parametrize("elder", [False, True])
@pytest.mark.parametrize("language", LANGUAGES)
def test_first_frame_is_the_attract_screen_the_flows_show_without_a_catalogue(
    language: Language, elder: bool
) -> None:
    s = Strings(language)
    attached = build_view(
        FlowState(), Catalog(items=()), SearchIndex(()), s, online=True, can_back=False, elder=elder
    )
    assert first_view(s) == attached
    assert first_view(s)["title"] == s.text("screen.attract.title")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_only_adds_the_most_used_services(language: Language) -> None:
    s = Strings(language)
    early = first_view(s)
    attached = build_view(FlowState(), builtin_catalog(), SearchIndex(()), s, online=True, can_back=False)
    assert early["lines"] == [] and len(attached["lines"]) == 4
    assert {k: v for k, v in early.items() if k != "lines"} == {
        k: v for k, v in attached.items() if k != "lines"
    }
