from __future__ import annotations

from dataclasses import dataclass

import pytest

from kiosk.flows.journey import Journey
from tests.support.fakes import FakeApplications, FakePrinter, FakeServices, make_journey


@dataclass
class Rig:
    journey: Journey
    applications: FakeApplications
    services: FakeServices
    printer: FakePrinter

    def act(self, action: str, value: str = "") -> str:
        self.journey.act(action, value)
        return self.journey.state.step

    def type(self, text: str) -> None:
        for ch in text:
            self.journey.act("key", ch)


@pytest.fixture
def rig() -> Rig:
    applications, services, printer = FakeApplications(), FakeServices(), FakePrinter()
    journey = make_journey(applications=applications, services=services, printer=printer)
    return Rig(journey, applications, services, printer)
