"""Demo government registries: obviously fictional people, companies and records.

The registries are what the instant-approval rules look up instead of paper (companies, hoisting
equipment, provident-fund accounts, social insurance, household) plus the city app's identity codes.
Every name is a placeholder name (张三, 李四, ...), every ID number is a made-up number with a valid
check character and every phone number is in the fictional 138-0000-xxxx block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from central.idnumber import check_character

REGION = "411702"  # 驿城区


def make_id_number(birth: str, sequence: int, sex: str) -> str:
    """A well-formed fictional ID number: region, birth date (YYYYMMDD), sequence, check character."""
    third = (1 if sex == "male" else 0) + 2 * (sequence % 5)
    body = f"{REGION}{birth}{sequence // 10 % 10}{sequence % 10}{third}"
    return body + check_character(body)


@dataclass(frozen=True)
class DemoPerson:
    """One fictional resident."""

    key: str
    name: str
    sex: str
    birth: str
    sequence: int
    phone: str
    identity_token: str

    @property
    def id_number(self) -> str:
        """The person's fictional ID number."""
        return make_id_number(self.birth, self.sequence, self.sex)


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    # Retired, provident fund account in good order: the retirement withdrawal is approved.
    DemoPerson("retiree", "张三", "male", "19600315", 11, "13800000001", "demo-identity-retiree-zhangsan"),
    # Working age, employed: the retirement withdrawal is rejected.
    DemoPerson("worker", "李四", "female", "19900708", 12, "13800000002", "demo-identity-worker-lisi"),
    # 85 years old, household in the city: the old-age allowance is approved.
    DemoPerson("elder", "王五", "male", "19410120", 13, "13800000003", "demo-identity-elder-wangwu"),
    # Retired; provident fund account held in 潜江 (cross-province).
    DemoPerson(
        "qianjiang", "赵六", "female", "19581102", 14, "13800000004", "demo-identity-qianjiang-zhaoliu"
    ),
    # Legal representative of the demo construction equipment company.
    DemoPerson("company_rep", "钱七", "male", "19850905", 15, "13800000005", "demo-identity-company-qianqi"),
    # Young, no social insurance yet: flexible employment enrolment is approved.
    DemoPerson(
        "freelancer", "孙八", "female", "19990412", 16, "13800000006", "demo-identity-freelancer-sunba"
    ),
    # Provident fund account frozen by a court order: withdrawal goes to manual review.
    DemoPerson("frozen", "周九", "male", "19600101", 17, "13800000007", "demo-identity-frozen-zhoujiu"),
)

EXPIRED_IDENTITY_TOKEN = "demo-identity-expired-000000"  # noqa: S105 - a demo fixture, not a secret

DEMO_COMPANY_CODE = "91411702MA9EXAMPL0"  # check character fixed up below
OTHER_COMPANY_CODE = "91411702MA9OTHERC0"

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    """GB 32100 check character of a unified social credit code."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def is_valid_uscc(value: str) -> bool:
    """True for an 18-character unified social credit code with a correct check character."""
    if len(value) != 18 or any(c not in _USCC_CHARS for c in value):
        return False
    return uscc_check_character(value[:17]) == value[17]


def _uscc(draft: str) -> str:
    body = (
        draft[:17].replace("I", "1").replace("O", "0").replace("S", "5").replace("V", "U").replace("Z", "2")
    )
    return body + uscc_check_character(body)


def demo_company_code() -> str:
    """The demo construction equipment company's credit code."""
    return _uscc(DEMO_COMPANY_CODE)


def other_company_code() -> str:
    """A second company that owns none of the demo equipment."""
    return _uscc(OTHER_COMPANY_CODE)


def person(key: str) -> DemoPerson:
    """A demo person by key."""
    for candidate in DEMO_PEOPLE:
        if candidate.key == key:
            return candidate
    raise KeyError(key)


def build_demo_registries() -> list[tuple[str, str, dict[str, Any]]]:
    """(registry, key, record) triples for the demo registries."""
    records: list[tuple[str, str, dict[str, Any]]] = []
    by_key = {p.key: p for p in DEMO_PEOPLE}
    for p in DEMO_PEOPLE:
        records.append(
            (
                "identity_codes",
                p.identity_token,
                {"person": p.id_number, "expires_at": "2099-12-31T23:59:59+00:00"},
            )
        )
        records.append(("people", p.id_number, {"name": p.name, "sex": p.sex, "phone": p.phone}))
        records.append(
            ("household", p.id_number, {"status": "normal", "city": "411700", "address_district": "驿城区"})
        )
    records.append(
        (
            "identity_codes",
            EXPIRED_IDENTITY_TOKEN,
            {"person": by_key["worker"].id_number, "expires_at": "2020-01-01T00:00:00+00:00"},
        )
    )
    social: dict[str, dict[str, Any]] = {
        "retiree": {
            "status": "retired",
            "pension_monthly": "3268.50",
            "since": "2020-04",
            "months_paid": 408,
        },
        "worker": {"status": "employed", "employer": "驻马店市示例商贸有限公司", "months_paid": 96},
        "elder": {"status": "retired", "pension_monthly": "2150.00", "since": "2001-02", "months_paid": 372},
        "qianjiang": {
            "status": "retired",
            "pension_monthly": "2876.20",
            "since": "2013-12",
            "months_paid": 360,
        },
        "company_rep": {
            "status": "employed",
            "employer": "驻马店市示例建筑机械租赁有限公司",
            "months_paid": 180,
        },
        "frozen": {"status": "retired", "pension_monthly": "3011.00", "since": "2020-02", "months_paid": 400},
    }
    for key, record in social.items():
        records.append(("social_insurance", by_key[key].id_number, record))
    fund: dict[str, dict[str, Any]] = {
        "retiree": {
            "status": "normal",
            "balance": "86500.00",
            "city": "411700",
            "loan_outstanding": False,
            "monthly_contribution": "0.00",
            "last_contribution": "2020-03",
        },
        "worker": {
            "status": "normal",
            "balance": "23410.35",
            "city": "411700",
            "loan_outstanding": False,
            "monthly_contribution": "864.00",
            "last_contribution": "2026-10",
        },
        "qianjiang": {
            "status": "normal",
            "balance": "52800.00",
            "city": "qianjiang",
            "loan_outstanding": False,
            "monthly_contribution": "0.00",
            "last_contribution": "2013-11",
        },
        "company_rep": {
            "status": "normal",
            "balance": "40320.00",
            "city": "411700",
            "loan_outstanding": True,
            "monthly_contribution": "1120.00",
            "last_contribution": "2026-10",
        },
        "frozen": {
            "status": "frozen",
            "balance": "61200.00",
            "city": "411700",
            "loan_outstanding": False,
            "monthly_contribution": "0.00",
            "last_contribution": "2020-01",
        },
    }
    for key, record in fund.items():
        records.append(("provident_fund", by_key[key].id_number, record))
    allowances: dict[str, dict[str, Any]] = {"elder": {"old_age_allowance": False}}
    for key, record in allowances.items():
        records.append(("allowances", by_key[key].id_number, record))
    company = demo_company_code()
    records.append(
        (
            "companies",
            company,
            {
                "name": "驻马店市示例建筑机械租赁有限公司",
                "status": "active",
                "legal_representative": by_key["company_rep"].id_number,
                "authorised_agents": [by_key["company_rep"].id_number],
            },
        )
    )
    records.append(
        (
            "companies",
            other_company_code(),
            {
                "name": "驻马店市示例商贸有限公司",
                "status": "active",
                "legal_representative": by_key["worker"].id_number,
                "authorised_agents": [by_key["worker"].id_number],
            },
        )
    )
    equipment: dict[str, dict[str, Any]] = {
        "豫Q-T2019-0031": {"owner": company, "type": "塔式起重机", "status": "dismantled"},
        "豫Q-T2020-0107": {"owner": company, "type": "施工升降机", "status": "installed"},
        "豫Q-T2016-0012": {"owner": company, "type": "塔式起重机", "status": "deregistered"},
        "豫Q-T2021-0240": {"owner": other_company_code(), "type": "塔式起重机", "status": "dismantled"},
    }
    for number, record in equipment.items():
        records.append(("hoisting_equipment", number, record))
    return records
