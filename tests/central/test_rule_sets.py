"""Table tests of the written rule sets: decisions and the reasons a citizen would read."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from central.registry_demo import (
    build_demo_registries,
    demo_company_code,
    make_id_number,
    other_company_code,
    person,
)
from central.rule_sets import (
    FLEXIBLE_EMPLOYMENT_ENROLMENT,
    HOISTING_DEREGISTRATION,
    OLD_AGE_ALLOWANCE,
    PROVIDENT_FUND_RETIREMENT,
    SOCIAL_INSURANCE_CERTIFICATE,
    WRITTEN_RULE_SETS,
    baseline_rule_set,
)
from central.rules import EarlierDecision, RegistryUnavailable, RuleSetError, evaluate, validate_rule_set

TODAY = date(2026, 11, 28)
REGISTRIES = {(registry, key): record for registry, key, record in build_demo_registries()}


def read(registry: str, key: str) -> dict[str, Any] | None:
    return REGISTRIES.get((registry, key))


def identity(key: str) -> dict[str, Any]:
    citizen = person(key)
    return {"name": citizen.name, "id_number": citizen.id_number, "phone": citizen.phone}


def failed(decision: Any) -> list[str]:
    return [c.id for c in decision.conditions if not c.passed and not c.skipped]


@pytest.mark.parametrize("rule_set", WRITTEN_RULE_SETS, ids=lambda r: r["item_code"])
def test_written_rule_sets_are_well_formed(rule_set: dict[str, Any]) -> None:
    validate_rule_set(rule_set)
    assert len(rule_set["conditions"]) >= 3


HOISTING_CASES = [
    # who, equipment, company, outcome, failed conditions
    ("company_rep", "豫Q-T2019-0031", demo_company_code(), "approved", []),
    ("company_rep", "豫Q-T2020-0107", demo_company_code(), "rejected", ["equipment_dismantled"]),
    ("company_rep", "豫Q-T2016-0012", demo_company_code(), "rejected", ["not_already_deregistered"]),
    ("company_rep", "豫Q-T2021-0240", demo_company_code(), "rejected", ["equipment_owned_by_company"]),
    ("worker", "豫Q-T2019-0031", demo_company_code(), "rejected", ["applicant_authorised"]),
    ("company_rep", "豫Q-T9999-0000", demo_company_code(), "rejected", ["equipment_on_record"]),
    ("company_rep", "豫Q-T2019-0031", "91411702MA9EXAMPL0", "rejected", ["credit_code_valid"]),
    ("worker", "豫Q-T2021-0240", other_company_code(), "approved", []),
]


@pytest.mark.parametrize(("who", "equipment", "company", "outcome", "failures"), HOISTING_CASES)
def test_hoisting_equipment_deregistration(
    who: str, equipment: str, company: str, outcome: str, failures: list[str]
) -> None:
    form = {
        "company_credit_code": company,
        "equipment_record_number": equipment,
        "deregistration_reason": "scrapped",
    }
    decision = evaluate(HOISTING_DEREGISTRATION, identity(who), form, read, TODAY)
    assert decision.outcome == outcome
    assert failed(decision) == failures
    assert decision.rule_set_version == HOISTING_DEREGISTRATION["version"]


def test_hoisting_reasons_explain_the_refusal_in_both_languages() -> None:
    form = {"company_credit_code": demo_company_code(), "equipment_record_number": "豫Q-T2020-0107"}
    decision = evaluate(HOISTING_DEREGISTRATION, identity("company_rep"), form, read, TODAY)
    refused = next(c for c in decision.conditions if c.id == "equipment_dismantled")
    assert "拆卸" in refused.reason_zh
    assert "dismantl" in refused.reason_en


def test_checks_after_a_missing_record_are_skipped_not_failed() -> None:
    form = {"company_credit_code": demo_company_code(), "equipment_record_number": "豫Q-T9999-0000"}
    decision = evaluate(HOISTING_DEREGISTRATION, identity("company_rep"), form, read, TODAY)
    skipped = [c.id for c in decision.conditions if c.skipped]
    assert skipped == ["equipment_owned_by_company", "not_already_deregistered", "equipment_dismantled"]


FUND_CASES = [
    ("retiree", "86500.00", "approved", []),
    ("retiree", "86500.01", "rejected", ["amount_within_balance"]),
    ("retiree", "0", "rejected", ["amount_positive"]),
    ("worker", "1000.00", "rejected", ["applicant_retired"]),
    ("frozen", "1000.00", "manual_review", ["account_normal"]),
    ("qianjiang", "1000.00", "manual_review", ["account_held_here"]),
    ("elder", "1000.00", "rejected", ["account_found"]),
    ("company_rep", "1000.00", "rejected", ["applicant_retired", "no_outstanding_loan"]),
]


@pytest.mark.parametrize(("who", "amount", "outcome", "failures"), FUND_CASES)
def test_provident_fund_retirement_withdrawal(
    who: str, amount: str, outcome: str, failures: list[str]
) -> None:
    form = {"withdrawal_amount": amount, "bank_card_number": "6222020200112233445"}
    decision = evaluate(PROVIDENT_FUND_RETIREMENT, identity(who), form, read, TODAY)
    assert decision.outcome == outcome
    assert failed(decision) == failures


def test_retirement_age_counts_when_the_pension_record_is_missing() -> None:
    # Born 1960-03-15, no social-insurance record: 66 years old, above the retirement age.
    records = {k: v for k, v in REGISTRIES.items() if k[0] != "social_insurance"}
    decision = evaluate(
        PROVIDENT_FUND_RETIREMENT,
        identity("retiree"),
        {"withdrawal_amount": "10"},
        lambda r, k: records.get((r, k)),
        TODAY,
    )
    assert decision.outcome == "approved"


def test_an_employed_person_past_the_old_retirement_age_has_not_retired() -> None:
    # Born 1966-03-01, still employed: 60 on 2026-03-02, but still paying in through an employer.
    id_number = make_id_number("19660301", 21, "male")
    records = {
        ("provident_fund", id_number): {
            "status": "normal",
            "balance": "30000.00",
            "city": "411700",
            "loan_outstanding": False,
        },
        ("social_insurance", id_number): {"status": "employed", "months_paid": 420},
    }
    applicant = {"name": "吴十", "id_number": id_number}
    form = {"withdrawal_amount": "1000.00"}
    decision = evaluate(
        PROVIDENT_FUND_RETIREMENT, applicant, form, lambda r, k: records.get((r, k)), date(2026, 3, 2)
    )
    assert decision.outcome == "rejected"
    assert failed(decision) == ["applicant_retired"]
    # Once the pension record says retired, the withdrawal is approved.
    records[("social_insurance", id_number)] = {"status": "retired", "months_paid": 420}
    decision = evaluate(
        PROVIDENT_FUND_RETIREMENT, applicant, form, lambda r, k: records.get((r, k)), date(2026, 3, 2)
    )
    assert decision.outcome == "approved"


def earlier(*decisions: tuple[str, str, dict[str, Any]]) -> Any:
    """A reader of the applicant's earlier decisions on the item: (outcome, ISO day, form)."""
    found = [EarlierDecision(outcome, date.fromisoformat(day), form) for outcome, day, form in decisions]
    return lambda: found


@pytest.mark.parametrize(
    ("history", "amount", "outcome"),
    [
        ([], "86500.00", "approved"),
        ([("approved", "2026-11-02", {"withdrawal_amount": "50000.00"})], "36500.00", "approved"),
        ([("approved", "2026-11-02", {"withdrawal_amount": "50000.00"})], "36500.01", "rejected"),
        ([("manual_review", "2026-11-02", {"withdrawal_amount": "86000.00"})], "600.00", "rejected"),
        # A refused or forwarded application paid nothing out.
        ([("rejected", "2026-11-02", {"withdrawal_amount": "86500.00"})], "86500.00", "approved"),
        ([("forwarded", "2026-11-02", {"withdrawal_amount": "86500.00"})], "86500.00", "approved"),
        (
            [
                ("approved", "2026-10-02", {"withdrawal_amount": "30000.00"}),
                ("approved", "2026-11-02", {"withdrawal_amount": "56500.00"}),
            ],
            "0.01",
            "rejected",
        ),
    ],
)
def test_withdrawals_count_what_was_already_approved_or_is_pending(
    history: list[tuple[str, str, dict[str, Any]]], amount: str, outcome: str
) -> None:
    form = {"withdrawal_amount": amount, "bank_card_number": "6222020200112233445"}
    decision = evaluate(PROVIDENT_FUND_RETIREMENT, identity("retiree"), form, read, TODAY, earlier(*history))
    assert decision.outcome == outcome
    assert failed(decision) == ([] if outcome == "approved" else ["amount_within_balance"])


def test_a_second_allowance_is_refused_with_the_date_of_the_first() -> None:
    history = earlier(("approved", "2026-11-03", {}))
    decision = evaluate(OLD_AGE_ALLOWANCE, identity("elder"), {}, read, TODAY, history)
    assert decision.outcome == "rejected"
    assert failed(decision) == ["not_already_approved"]
    refused = next(c for c in decision.conditions if c.id == "not_already_approved")
    assert "2026-11-03" in refused.reason_zh
    assert "already approved on 2026-11-03" in refused.reason_en
    # A refused earlier application does not stand in the way.
    again = evaluate(
        OLD_AGE_ALLOWANCE, identity("elder"), {}, read, TODAY, earlier(("rejected", "2026-11-03", {}))
    )
    assert again.outcome == "approved"


def test_deregistering_one_crane_does_not_block_another() -> None:
    form = {"company_credit_code": demo_company_code(), "equipment_record_number": "豫Q-T2019-0031"}
    other_crane = earlier(("approved", "2026-11-03", {**form, "equipment_record_number": "豫Q-T2018-0001"}))
    same_crane = earlier(("approved", "2026-11-03", {**form, "equipment_record_number": " 豫Q-T2019-0031 "}))
    assert evaluate(
        HOISTING_DEREGISTRATION, identity("company_rep"), form, read, TODAY, other_crane
    ).outcome == ("approved")
    decision = evaluate(HOISTING_DEREGISTRATION, identity("company_rep"), form, read, TODAY, same_crane)
    assert (decision.outcome, failed(decision)) == ("rejected", ["not_already_approved"])


SOCIAL_CERT_CASES = [
    ("worker", "approved", []),
    ("retiree", "approved", []),
    ("freelancer", "rejected", ["insured_person_found"]),
]


@pytest.mark.parametrize(("who", "outcome", "failures"), SOCIAL_CERT_CASES)
def test_social_insurance_certificate(who: str, outcome: str, failures: list[str]) -> None:
    decision = evaluate(
        SOCIAL_INSURANCE_CERTIFICATE, identity(who), {"insurance_type": "pension"}, read, TODAY
    )
    assert decision.outcome == outcome
    assert failed(decision) == failures


ALLOWANCE_CASES = [
    ("elder", TODAY, "approved", []),
    ("retiree", TODAY, "rejected", ["aged_80_or_over"]),
    # Born 1941-01-20: turned 80 on 2021-01-20, not the day before.
    ("elder", date(2021, 1, 19), "rejected", ["aged_80_or_over"]),
    ("elder", date(2021, 1, 20), "approved", []),
]


@pytest.mark.parametrize(("who", "today", "outcome", "failures"), ALLOWANCE_CASES)
def test_old_age_allowance(who: str, today: date, outcome: str, failures: list[str]) -> None:
    decision = evaluate(OLD_AGE_ALLOWANCE, identity(who), {}, read, today)
    assert decision.outcome == outcome
    assert failed(decision) == failures


def test_old_age_allowance_not_paid_twice() -> None:
    records = dict(REGISTRIES)
    records[("allowances", person("elder").id_number)] = {"old_age_allowance": True}
    decision = evaluate(OLD_AGE_ALLOWANCE, identity("elder"), {}, lambda r, k: records.get((r, k)), TODAY)
    assert decision.outcome == "rejected"
    assert failed(decision) == ["not_already_receiving"]


FLEXIBLE_CASES = [
    ("freelancer", "approved", []),
    ("worker", "rejected", ["not_insured_elsewhere"]),
    ("retiree", "rejected", ["working_age", "not_insured_elsewhere"]),
]


@pytest.mark.parametrize(("who", "outcome", "failures"), FLEXIBLE_CASES)
def test_flexible_employment_enrolment(who: str, outcome: str, failures: list[str]) -> None:
    form = {"contribution_base": "60", "start_date": "2026-12-01"}
    decision = evaluate(FLEXIBLE_EMPLOYMENT_ENROLMENT, identity(who), form, read, TODAY)
    assert decision.outcome == outcome
    assert failed(decision) == failures


def test_invalid_id_number_is_rejected_with_its_reason() -> None:
    bad = {"name": "张三", "id_number": "411702196003151135"}
    decision = evaluate(OLD_AGE_ALLOWANCE, bad, {}, read, TODAY)
    assert decision.outcome == "rejected"
    assert failed(decision) == ["applicant_identity_valid"]


def test_unreadable_registry_sends_the_application_to_staff() -> None:
    def broken(_registry: str, _key: str) -> dict[str, Any] | None:
        raise RegistryUnavailable("down")

    decision = evaluate(SOCIAL_INSURANCE_CERTIFICATE, identity("worker"), {}, broken, TODAY)
    assert decision.outcome == "manual_review"


@pytest.mark.parametrize("audience", ["citizen", "company"])
def test_baseline_rule_sets_are_well_formed(audience: str) -> None:
    validate_rule_set(baseline_rule_set("411700-XX-0001", audience))


def test_malformed_rule_set_is_refused() -> None:
    broken = {"version": "1", "conditions": [{"id": "a", "check": {}, "requires": ["later"]}]}
    with pytest.raises(RuleSetError):
        validate_rule_set(broken)
