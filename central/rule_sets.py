"""The rule sets of the instant-approval items (data; loaded into the database by ``seed-demo``).

Five items have rules written out in full; the other instant items get the baseline rule set
(identity checked, household or company on record) until their own rules are written.

A published version is never changed: a change to a rule set below needs a new ``version``.
The registries are not updated by the service's own decisions, so the rules also look at the
applicant's earlier decisions: a one-off item (an allowance, an enrolment, a deregistration) is
approved once, and a withdrawal counts what earlier applications already took from the balance.
"""

from __future__ import annotations

from typing import Any

CITY = "411700"
RETIREMENT_AGE = {"by_sex": {"male": 60, "female": 55}}
# The social-insurance record says the person still works (and pays in) through an employer.
STILL_EMPLOYED = {
    "all": [
        {"lookup": "social_insurance", "key": "identity.id_number", "as": "insurance"},
        {"ref": "record.insurance.status", "op": "eq", "value": "employed"},
    ]
}


def _c(
    cid: str,
    check: dict[str, Any],
    pass_zh: str,
    pass_en: str,
    fail_zh: str,
    fail_en: str,
    *,
    on_fail: str = "reject",
    requires: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "id": cid,
        "check": check,
        "on_fail": on_fail,
        "requires": list(requires),
        "pass_zh": pass_zh,
        "pass_en": pass_en,
        "fail_zh": fail_zh,
        "fail_en": fail_en,
    }


def _once(what_zh: str, what_en: str, *, same: tuple[str, ...] = ()) -> dict[str, Any]:
    """The condition of a one-off item: no earlier approval (for the same ``same`` form values)."""
    return _c(
        "not_already_approved",
        {"not": {"earlier": ["approved"], "same": list(same)}},
        f"此前未批准过{what_zh}。",
        f"No {what_en} has been approved before.",
        f"{what_zh}已于 {{earlier.decided_on}} 批准，无需重复申请。",
        f"The {what_en} was already approved on {{earlier.decided_on}}; it is not granted twice.",
    )


ID_VALID = _c(
    "applicant_identity_valid",
    {"ref": "identity.id_number", "op": "valid_id_number"},
    "申请人身份证号码有效。",
    "The applicant's ID number is valid.",
    "申请人身份证号码无效。",
    "The applicant's ID number is not valid.",
)

HOISTING_DEREGISTRATION: dict[str, Any] = {
    "item_code": f"{CITY}-ZJ-0901",
    "version": "2026.4",
    "title_zh": "建筑起重设备注销备案",
    "conditions": [
        ID_VALID,
        _c(
            "credit_code_valid",
            {"ref": "form.company_credit_code", "op": "valid_credit_code"},
            "统一社会信用代码格式正确。",
            "The unified social credit code is well formed.",
            "统一社会信用代码有误，请核对营业执照。",
            "The unified social credit code is wrong; check the business licence.",
        ),
        _c(
            "company_registered",
            {"lookup": "companies", "key": "form.company_credit_code", "as": "company"},
            "企业登记信息已核验。",
            "The company is on the business register.",
            "未查到该企业的登记信息。",
            "The company is not on the business register.",
            requires=("credit_code_valid",),
        ),
        _c(
            "company_active",
            {"ref": "record.company.status", "op": "eq", "value": "active"},
            "企业处于存续状态。",
            "The company is active.",
            "企业已注销或被吊销，不能办理。",
            "The company is closed or its licence revoked.",
            requires=("company_registered",),
        ),
        _c(
            "applicant_authorised",
            {"ref": "record.company.authorised_agents", "op": "contains", "other": "identity.id_number"},
            "申请人是企业法定代表人或授权经办人。",
            "The applicant is the company's legal representative or authorised agent.",
            "申请人不是该企业的法定代表人或授权经办人。",
            "The applicant is not authorised to act for the company.",
            requires=("applicant_identity_valid", "company_registered"),
        ),
        _c(
            "equipment_on_record",
            {"lookup": "hoisting_equipment", "key": "form.equipment_record_number", "as": "equipment"},
            "设备备案信息已找到。",
            "The equipment record was found.",
            "未找到该设备备案编号。",
            "No equipment is on record under this number.",
        ),
        _c(
            "equipment_owned_by_company",
            {"ref": "record.equipment.owner", "op": "eq", "other": "form.company_credit_code"},
            "设备产权属于申请企业。",
            "The equipment belongs to the applying company.",
            "设备产权不属于申请企业。",
            "The equipment does not belong to the applying company.",
            requires=("equipment_on_record", "company_registered"),
        ),
        _c(
            "not_already_deregistered",
            {"ref": "record.equipment.status", "op": "ne", "value": "deregistered"},
            "设备尚未注销。",
            "The equipment has not been deregistered before.",
            "该设备已办理注销备案，无需重复办理。",
            "The equipment has already been deregistered.",
            requires=("equipment_on_record",),
        ),
        _once(
            "该设备的注销备案",
            "deregistration of this equipment",
            same=("form.equipment_record_number",),
        ),
        _c(
            "equipment_dismantled",
            {"ref": "record.equipment.status", "op": "eq", "value": "dismantled"},
            "设备已拆卸，不在使用中。",
            "The equipment has been dismantled and is not in use.",
            "设备仍处于安装使用状态，请先办理拆卸告知。",
            "The equipment is still installed; file its dismantling first.",
            requires=("not_already_deregistered",),
        ),
    ],
}

PROVIDENT_FUND_RETIREMENT: dict[str, Any] = {
    "item_code": f"{CITY}-GJJ-0901",
    "version": "2026.3",
    "title_zh": "住房公积金退休提取",
    "conditions": [
        ID_VALID,
        _c(
            "account_found",
            {"lookup": "provident_fund", "key": "identity.id_number", "as": "fund"},
            "已查到申请人的住房公积金账户。",
            "The applicant's provident fund account was found.",
            "未查到申请人的住房公积金账户。",
            "No provident fund account was found for the applicant.",
            requires=("applicant_identity_valid",),
        ),
        _c(
            "account_held_here",
            {"ref": "record.fund.city", "op": "eq", "value": CITY},
            "账户由本市管理。",
            "The account is managed in this city.",
            "账户不在本市，请选择跨省通办，由缴存地办理。",
            "The account is held in another city; apply through cross-province handling.",
            on_fail="manual_review",
            requires=("account_found",),
        ),
        _c(
            "account_normal",
            {"ref": "record.fund.status", "op": "eq", "value": "normal"},
            "账户状态正常。",
            "The account is in good standing.",
            "账户处于冻结或异常状态，转人工审核。",
            "The account is frozen or irregular; sent to staff review.",
            on_fail="manual_review",
            requires=("account_found",),
        ),
        _c(
            "applicant_retired",
            {
                "any": [
                    {
                        "all": [
                            {"lookup": "social_insurance", "key": "identity.id_number", "as": "insurance"},
                            {"ref": "record.insurance.status", "op": "eq", "value": "retired"},
                        ]
                    },
                    # The age stands in for a missing pension record, never against one that says
                    # the person still works (retirement is being deferred, and may be by choice).
                    {
                        "all": [
                            {"ref": "derived.age", "op": "ge", "value": RETIREMENT_AGE},
                            {"not": STILL_EMPLOYED},
                        ]
                    },
                ]
            },
            "申请人已办理退休或达到法定退休年龄。",
            "The applicant has retired or reached the statutory retirement age.",
            "申请人未退休且未达到法定退休年龄。",
            "The applicant has not retired and is below the retirement age.",
            requires=("applicant_identity_valid",),
        ),
        _c(
            "no_outstanding_loan",
            {"ref": "record.fund.loan_outstanding", "op": "eq", "value": False},
            "无未结清的公积金贷款。",
            "No provident fund loan is outstanding.",
            "尚有未结清的公积金贷款，请先结清贷款。",
            "A provident fund loan is outstanding; repay it first.",
            requires=("account_found",),
        ),
        _c(
            "amount_positive",
            {"ref": "form.withdrawal_amount", "op": "gt", "value": 0},
            "提取金额大于零。",
            "The amount is above zero.",
            "提取金额必须大于零。",
            "The amount must be above zero.",
        ),
        _c(
            "amount_within_balance",
            {
                # Earlier withdrawals, approved or awaiting staff, are not yet off the registry's balance.
                "ref": "form.withdrawal_amount",
                "plus": "earlier.sum.withdrawal_amount",
                "op": "le",
                "other": "record.fund.balance",
            },
            "提取金额不超过账户可提取余额。",
            "The amount does not exceed the balance available.",
            "提取金额超过账户可提取余额（此前已批准或待审核的提取共 {earlier.sum.withdrawal_amount} 元）。",
            "The amount exceeds the balance available "
            "({earlier.sum.withdrawal_amount} yuan already approved or awaiting review).",
            requires=("account_found", "amount_positive"),
        ),
    ],
}

SOCIAL_INSURANCE_CERTIFICATE: dict[str, Any] = {
    "item_code": f"{CITY}-RS-0901",
    "version": "2026.1",
    "title_zh": "社会保险参保证明开具",
    "conditions": [
        ID_VALID,
        _c(
            "insured_person_found",
            {"lookup": "social_insurance", "key": "identity.id_number", "as": "insurance"},
            "已查到申请人的参保记录。",
            "The applicant's social insurance record was found.",
            "未查到申请人的参保记录。",
            "No social insurance record was found for the applicant.",
            requires=("applicant_identity_valid",),
        ),
        _c(
            "has_contributions",
            {"ref": "record.insurance.months_paid", "op": "gt", "value": 0},
            "有缴费记录，可出具证明。",
            "Contributions are on record; the certificate can be issued.",
            "没有缴费记录，无法出具参保证明。",
            "No contributions are on record.",
            requires=("insured_person_found",),
        ),
    ],
}

OLD_AGE_ALLOWANCE: dict[str, Any] = {
    "item_code": f"{CITY}-MZ-0901",
    "version": "2026.2",
    "title_zh": "高龄津贴申领",
    "conditions": [
        ID_VALID,
        _c(
            "aged_80_or_over",
            {"ref": "derived.age", "op": "ge", "value": 80},
            "申请人已年满 80 周岁。",
            "The applicant is 80 or older.",
            "申请人未满 80 周岁。",
            "The applicant is under 80.",
            requires=("applicant_identity_valid",),
        ),
        _c(
            "household_found",
            {"lookup": "household", "key": "identity.id_number", "as": "household"},
            "已查到户籍信息。",
            "The household registration was found.",
            "未查到户籍信息。",
            "No household registration was found.",
            requires=("applicant_identity_valid",),
        ),
        _c(
            "household_in_city",
            {"ref": "record.household.city", "op": "eq", "value": CITY},
            "户籍在本市。",
            "The household is registered in this city.",
            "户籍不在本市，请向户籍地申请。",
            "The household is registered elsewhere; apply there.",
            requires=("household_found",),
        ),
        _c(
            "household_status_normal",
            {"ref": "record.household.status", "op": "eq", "value": "normal"},
            "户籍状态正常。",
            "The household record is in normal status.",
            "户籍状态异常，转人工审核。",
            "The household record is irregular; sent to staff review.",
            on_fail="manual_review",
            requires=("household_found",),
        ),
        _c(
            "not_already_receiving",
            {
                "not": {
                    "all": [
                        {"lookup": "allowances", "key": "identity.id_number", "as": "allowance"},
                        {"ref": "record.allowance.old_age_allowance", "op": "eq", "value": True},
                    ]
                }
            },
            "目前未领取高龄津贴。",
            "The applicant does not already receive the allowance.",
            "已在领取高龄津贴，无需重复申请。",
            "The allowance is already being paid.",
            requires=("applicant_identity_valid",),
        ),
        _once("高龄津贴申领", "allowance application"),
    ],
}

FLEXIBLE_EMPLOYMENT_ENROLMENT: dict[str, Any] = {
    "item_code": f"{CITY}-RS-0902",
    "version": "2026.2",
    "title_zh": "灵活就业人员参保登记",
    "conditions": [
        ID_VALID,
        _c(
            "working_age",
            {
                "all": [
                    {"ref": "derived.age", "op": "ge", "value": 16},
                    {"ref": "derived.age", "op": "lt", "value": RETIREMENT_AGE},
                ]
            },
            "申请人处于法定劳动年龄。",
            "The applicant is of working age.",
            "申请人不在法定劳动年龄内（16 周岁至法定退休年龄）。",
            "The applicant is not of working age (16 to the statutory retirement age).",
            requires=("applicant_identity_valid",),
        ),
        _c(
            "household_in_city",
            {
                "all": [
                    {"lookup": "household", "key": "identity.id_number", "as": "household"},
                    {"ref": "record.household.city", "op": "eq", "value": CITY},
                ]
            },
            "户籍在本市。",
            "The household is registered in this city.",
            "户籍不在本市，请持居住证到窗口办理。",
            "The household is registered elsewhere; apply at the counter with a residence permit.",
            on_fail="manual_review",
            requires=("applicant_identity_valid",),
        ),
        _c(
            "not_insured_elsewhere",
            {
                "not": {
                    "all": [
                        {"lookup": "social_insurance", "key": "identity.id_number", "as": "insurance"},
                        {"ref": "record.insurance.status", "op": "in", "value": ["employed", "retired"]},
                    ]
                }
            },
            "目前没有单位参保记录。",
            "The applicant is not insured through an employer.",
            "已通过单位参保或已退休，不能以灵活就业身份参保。",
            "Already insured through an employer or retired; flexible enrolment is not possible.",
            requires=("applicant_identity_valid",),
        ),
        _once("灵活就业参保登记", "flexible employment enrolment"),
    ],
}

WRITTEN_RULE_SETS: tuple[dict[str, Any], ...] = (
    HOISTING_DEREGISTRATION,
    PROVIDENT_FUND_RETIREMENT,
    SOCIAL_INSURANCE_CERTIFICATE,
    OLD_AGE_ALLOWANCE,
    FLEXIBLE_EMPLOYMENT_ENROLMENT,
)


def baseline_rule_set(item_code: str, audience: str) -> dict[str, Any]:
    """Identity and registration checks for an instant item whose own rules are not written yet."""
    if audience == "company":
        conditions = [
            ID_VALID,
            _c(
                "credit_code_valid",
                {"ref": "form.company_credit_code", "op": "valid_credit_code"},
                "统一社会信用代码格式正确。",
                "The unified social credit code is well formed.",
                "统一社会信用代码有误。",
                "The unified social credit code is wrong.",
            ),
            _c(
                "company_active",
                {
                    "all": [
                        {"lookup": "companies", "key": "form.company_credit_code", "as": "company"},
                        {"ref": "record.company.status", "op": "eq", "value": "active"},
                    ]
                },
                "企业处于存续状态。",
                "The company is registered and active.",
                "未查到存续的企业登记信息。",
                "No active company is registered under this code.",
                requires=("credit_code_valid",),
            ),
            _c(
                "applicant_authorised",
                {"ref": "record.company.authorised_agents", "op": "contains", "other": "identity.id_number"},
                "申请人已获企业授权。",
                "The applicant is authorised by the company.",
                "申请人未获企业授权。",
                "The applicant is not authorised by the company.",
                requires=("company_active", "applicant_identity_valid"),
            ),
        ]
    else:
        conditions = [
            ID_VALID,
            _c(
                "household_found",
                {"lookup": "household", "key": "identity.id_number", "as": "household"},
                "已核验户籍信息。",
                "The household registration was checked.",
                "未查到户籍信息，转人工审核。",
                "No household registration was found; sent to staff review.",
                on_fail="manual_review",
                requires=("applicant_identity_valid",),
            ),
        ]
    return {"item_code": item_code, "version": "2026.1-baseline", "conditions": conditions}
