from __future__ import annotations

from dataclasses import dataclass

import pytest

from kiosk.catalog import builtin_catalog
from kiosk.flows.journey import Journey
from tests.support.fakes import FakeApplications, FakePrinter, FakeServices, SyncRunner, receipt_context


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
    journey = Journey(
        builtin_catalog(),
        applications=applications,
        services=services,
        printer=printer,
        runner=SyncRunner(),
        receipt_context=receipt_context,
    )
    return Rig(journey, applications, services, printer)
