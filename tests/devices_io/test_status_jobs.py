"""DLE EOT status parsing (with "unknown" for silence) and the print-job ledger."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devices.printer import commands
from devices.printer.jobs import JobKeyError, JobLedger, check_job_key
from devices.printer.status import PrinterStatus, read_status

ONLINE = 0x12
PAPER_OK = 0x12


def answers(mapping: dict[bytes, int | None]) -> Callable[[bytes], int | None]:
    def query(request: bytes) -> int | None:
        return mapping.get(request)

    return query


def test_all_fine() -> None:
    status = read_status(
        answers(
            {commands.STATUS_PRINTER: 0x12, commands.STATUS_OFFLINE_CAUSE: 0x12, commands.STATUS_PAPER: 0x12}
        )
    )
    assert status == PrinterStatus(online="true", cover="closed", paper="ok", error="false")


def test_silent_printer_is_unknown_never_paper_ok() -> None:
    status = read_status(lambda request: None)
    assert status.as_dict() == {
        "online": "unknown",
        "cover": "unknown",
        "paper": "unknown",
        "error": "unknown",
    }
    assert not status.answered


@pytest.mark.parametrize(
    ("printer", "cause", "paper", "expected"),
    [
        (0x12, 0x12, 0x1E, {"online": "true", "paper": "near_end"}),
        (0x1A, 0x32, 0x72, {"online": "false", "paper": "out"}),
        (0x1A, 0x16, 0x12, {"online": "false", "cover": "open"}),
        (0x1A, 0x52, 0x12, {"online": "false", "error": "true"}),
        (0x1A, 0x32, None, {"paper": "out"}),  # paper sensor silent, offline cause says paper end
        (0xFF, 0x00, 0x80, {"online": "unknown", "cover": "unknown", "paper": "unknown"}),  # not status bytes
    ],
)
def test_scripted_states(printer: int, cause: int, paper: int | None, expected: dict[str, str]) -> None:
    mapping = {
        commands.STATUS_PRINTER: printer,
        commands.STATUS_OFFLINE_CAUSE: cause,
        commands.STATUS_PAPER: paper,
    }
    status = read_status(lambda request: mapping.get(request)).as_dict()
    for key, value in expected.items():
        assert status[key] == value


def test_ledger_remembers_recent_keys_only() -> None:
    ledger = JobLedger(capacity=2)
    ledger.record("a")
    ledger.record("b")
    assert ledger.printed("a")  # touching "a" makes "b" the oldest
    ledger.record("c")
    assert ledger.printed("a") and ledger.printed("c") and not ledger.printed("b")


@pytest.mark.parametrize("key", ["", "   ", "x" * 201, None, 5])
def test_bad_job_keys_are_typed_errors(key: object) -> None:
    with pytest.raises(JobKeyError):
        check_job_key(key)
