"""Log redaction: personal data never reaches a log line in clear, whatever field carries it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from kiosk.logs import JsonFormatter, Redactor, configure_logging

ID_NUMBER = "11010519491231002X"  # the standard's own example number
PHONE = "13812345678"
NAME = "张三丰"


@pytest.fixture
def logfile(tmp_path: Path):
    redactor = Redactor()
    file = tmp_path / "logs" / "kiosk.log"
    handlers = configure_logging(level="DEBUG", file=file, redactor=redactor, stderr=False)
    yield file, redactor
    root = logging.getLogger()
    for handler in handlers:
        root.removeHandler(handler)
        handler.close()


def lines(file: Path) -> list[dict]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]


def test_id_number_is_masked_in_the_message_args_and_extra_fields(logfile) -> None:
    file, _ = logfile
    log = logging.getLogger("test.redaction")
    log.info("card read for %s", ID_NUMBER)
    log.info("applicant", extra={"applicant": {"id_number": ID_NUMBER, "ids": [ID_NUMBER.lower()]}})
    log.warning(f"inline {ID_NUMBER}, and once more:{ID_NUMBER}")
    text = file.read_text(encoding="utf-8")
    assert ID_NUMBER not in text and ID_NUMBER.lower() not in text
    records = lines(file)
    assert records[0]["msg"] == "card read for 110105********002X"
    assert records[1]["applicant"]["id_number"] == "110105********002X"
    assert records[1]["applicant"]["ids"] == ["110105********002x"]
    assert records[2]["msg"].count("110105********002X") == 2


def test_id_number_inside_an_exception_is_masked(logfile) -> None:
    file, _ = logfile
    try:
        raise ValueError(f"bad card {ID_NUMBER}")
    except ValueError:
        logging.getLogger("test.redaction").exception("read failed")
    record = lines(file)[-1]
    assert ID_NUMBER not in record["exc"]
    assert "110105********002X" in record["exc"]


def test_phone_numbers_and_name_fields_are_masked(logfile) -> None:
    file, _ = logfile
    applicant = {"name": NAME, "address": "驿城区解放路1号", "phone": PHONE}
    logging.getLogger("test").info("sms to %s", PHONE, extra={"applicant": applicant})
    record = lines(file)[-1]
    assert record["msg"] == "sms to 138****5678"
    assert record["applicant"]["name"] == "张**"
    assert record["applicant"]["address"].startswith("驿") and "解放路" not in record["applicant"]["address"]
    assert PHONE not in json.dumps(record, ensure_ascii=False)


def test_remembered_session_values_are_masked_until_forgotten(logfile) -> None:
    file, redactor = logfile
    log = logging.getLogger("test")
    redactor.remember(NAME)
    log.info(f"greeting {NAME} at the kiosk")
    redactor.forget_all()
    log.info(f"greeting {NAME} again")
    first, second = lines(file)[-2:]
    assert NAME not in first["msg"] and "张**" in first["msg"]
    assert NAME in second["msg"]  # forgotten: the redactor no longer holds the citizen's name


def test_bank_card_numbers_keep_only_their_first_six_and_last_four_digits(logfile) -> None:
    file, _ = logfile
    card = "6222020200112233445"
    logging.getLogger("test").info("refund to %s", card, extra={"form": {"bank_card_number": card}})
    record = lines(file)[-1]
    assert record["msg"] == "refund to 622202*********3445"
    assert record["form"]["bank_card_number"] == "6********"  # a personal field: masked whole
    assert card not in json.dumps(record)
    # An 18-digit ID number is still masked as one (first 6, last 4), not as a card.
    assert Redactor().text("411702195001010018") == "411702********0018"


def test_numbers_that_are_not_personal_data_pass_unchanged() -> None:
    redactor = Redactor()
    assert redactor.text("queue depth 12345, order 2026112800001") == "queue depth 12345, order 2026112800001"
    uuid = "uuid 0193f1a2-7c1d-7a2b-9c3e-123456789012"
    assert redactor.text(uuid) == uuid


def test_a_broken_format_string_still_gives_a_line_and_is_redacted() -> None:
    record = logging.makeLogRecord(
        {"msg": "%d items for %s", "args": ("many", ID_NUMBER), "levelname": "INFO"}
    )
    entry = json.loads(JsonFormatter(Redactor()).format(record))
    assert "items" in entry["msg"]
    assert ID_NUMBER not in entry["msg"]
