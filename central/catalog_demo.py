"""Deterministic demo catalogue at the city's scale.

1,324 items (the number of items the city app moved from counters to the phone): every subject
of every department with the actions its kind allows, the county-level twins of those items, the
39 instant-approval items, the everyday queries and one appointment item per acceptance zone.
43 items are marked for cross-province handling with the four partner cities. The same call
always returns the same catalogue (no randomness, no clock).
"""

from __future__ import annotations

import hashlib
from typing import Any

from central.catalog_vocabulary import (
    ACTIONS,
    APPOINTMENT_ZONES,
    CATEGORIES,
    DEPARTMENTS,
    ELDER_SECTIONS,
    LIFE_EVENTS,
    PARTNER_CITIES,
)

CATALOG_SIZE = 1324

# Besides its instant-approval and query items, what each elder-mode section offers: the everyday
# needs of older people (twelve items a section, three pages of four big buttons).
ELDER_EVERYDAY_ITEMS: dict[str, tuple[str, ...]] = {
    "provident_fund": (
        "住房公积金大病提取",
        "住房公积金销户提取",
        "住房公积金偿还贷款提取",
        "住房公积金贷款结清证明",
        "住房公积金异地转移接续",
    ),
    "social_security": (
        "个人权益记录查询打印",
        "社会保障卡（新办）",
        "社会保障卡（遗失补办）",
        "社会保障卡（变更）",
        "企业职工基本养老保险关系转移接续",
    ),
    "pension": (
        "企业职工基本养老金申领",
        "城乡居民养老保险待遇申领",
        "养老金发放银行账户变更",
        "退休人员基本信息变更",
        "经济困难老年人服务补贴申领",
        "重度残疾人护理补贴申领",
        "丧葬补助金申领",
    ),
    "medical": ("门诊慢特病待遇认定", "医疗费用手工报销", "长期护理保险待遇申领", "医疗救助申领"),
    "household": (
        "居民身份证换领",
        "居民身份证补领",
        "临时居民身份证办理",
        "居民户口簿补领",
        "户籍信息更正",
        "户口迁移（市内）",
        "户口迁入（投靠直系亲属）",
        "死亡人员户口注销",
    ),
}
CROSS_PROVINCE_COUNT = 43
CITY_CODE = "411700"

COUNTIES: tuple[tuple[str, str], ...] = (
    ("驿城区", "Yicheng District"),
    ("西平县", "Xiping County"),
    ("上蔡县", "Shangcai County"),
    ("平舆县", "Pingyu County"),
    ("正阳县", "Zhengyang County"),
    ("确山县", "Queshan County"),
    ("泌阳县", "Biyang County"),
    ("汝南县", "Runan County"),
    ("遂平县", "Suiping County"),
    ("新蔡县", "Xincai County"),
)

Field = dict[str, Any]


def field(
    key: str,
    label_zh: str,
    label_en: str,
    type_: str,
    *,
    required: bool = True,
    prefilled_from: str | None = None,
    choices: tuple[tuple[str, str, str], ...] = (),
    hint_zh: str = "",
    hint_en: str = "",
) -> Field:
    """A form field document."""
    return {
        "key": key,
        "label_zh": label_zh,
        "label_en": label_en,
        "type": type_,
        "required": required,
        "prefilled_from": prefilled_from,
        "choices": [{"value": v, "label_zh": zh, "label_en": en} for v, zh, en in choices],
        "hint_zh": hint_zh,
        "hint_en": hint_en,
    }


def _applicant_fields() -> list[Field]:
    # The government already holds these: shown for confirmation, never asked.
    return [
        field("applicant_name", "申请人姓名", "Applicant name", "text", prefilled_from="identity.name"),
        field("id_number", "身份证号码", "ID number", "text", prefilled_from="identity.id_number"),
        field("phone", "手机号码", "Mobile phone", "phone", prefilled_from="identity.phone"),
    ]


def _company_fields() -> list[Field]:
    return [
        field(
            "company_credit_code",
            "统一社会信用代码",
            "Unified social credit code",
            "text",
            hint_zh="18 位，见营业执照",
            hint_en="18 characters, on the business licence",
        ),
        field("company_name", "单位名称", "Company name", "text", prefilled_from="registry.companies.name"),
    ]


BANK_CARD = field(
    "bank_card_number",
    "本人银行卡号",
    "Your bank card number",
    "number",
    hint_zh="16-19 位数字",
    hint_en="16-19 digits",
)

# The instant-approval items: code suffix, department, zh, en, elder section, cross-province, form.
INSTANT_ITEMS: tuple[tuple[str, str, str, str, str | None, bool, list[Field]], ...] = (
    (
        "ZJ-0901",
        "ZJ",
        "建筑起重设备注销备案",
        "Deregistration filing of construction hoisting equipment",
        None,
        False,
        [
            *_company_fields(),
            field(
                "equipment_record_number",
                "设备备案编号",
                "Equipment record number",
                "text",
                hint_zh="如 豫Q-T2019-0031",
                hint_en="e.g. 豫Q-T2019-0031",
            ),
            field(
                "deregistration_reason",
                "注销原因",
                "Reason for deregistration",
                "choice",
                choices=(
                    ("scrapped", "报废", "Scrapped"),
                    ("transferred", "转让出本省", "Sold out of the province"),
                    ("lost", "灭失", "Lost or destroyed"),
                ),
            ),
            field("phone", "联系电话", "Contact phone", "phone", prefilled_from="identity.phone"),
        ],
    ),
    (
        "GJJ-0901",
        "GJJ",
        "住房公积金退休提取",
        "Housing provident fund withdrawal on retirement",
        "provident_fund",
        True,
        [
            *_applicant_fields(),
            field(
                "withdrawal_amount",
                "提取金额（元）",
                "Amount to withdraw (yuan)",
                "amount",
                hint_zh="不超过账户余额",
                hint_en="At most the account balance",
            ),
            BANK_CARD,
        ],
    ),
    (
        "RS-0901",
        "RS",
        "社会保险参保证明开具",
        "Social insurance enrolment certificate",
        "social_security",
        True,
        [
            *_applicant_fields(),
            field(
                "insurance_type",
                "险种",
                "Insurance type",
                "choice",
                choices=(
                    ("pension", "养老保险", "Pension"),
                    ("medical", "医疗保险", "Medical"),
                    ("unemployment", "失业保险", "Unemployment"),
                    ("work_injury", "工伤保险", "Work injury"),
                ),
            ),
            field(
                "purpose",
                "用途",
                "Purpose",
                "choice",
                choices=(
                    ("housing", "购房", "House purchase"),
                    ("school", "子女入学", "School enrolment"),
                    ("other", "其他", "Other"),
                ),
            ),
        ],
    ),
    (
        "MZ-0901",
        "MZ",
        "高龄津贴申领",
        "Old-age allowance for people aged 80 and over",
        "pension",
        False,
        [*_applicant_fields(), BANK_CARD],
    ),
    (
        "RS-0902",
        "RS",
        "灵活就业人员参保登记",
        "Social insurance enrolment for flexibly employed people",
        "social_security",
        True,
        [
            *_applicant_fields(),
            field(
                "contribution_base",
                "缴费档次",
                "Contribution level",
                "choice",
                choices=(
                    ("60", "60%", "60%"),
                    ("100", "100%", "100%"),
                    ("200", "200%", "200%"),
                    ("300", "300%", "300%"),
                ),
            ),
            field("start_date", "参保起始日期", "Start date", "date"),
        ],
    ),
    (
        "ZJ-0902",
        "ZJ",
        "建筑起重设备产权备案",
        "Ownership filing of construction hoisting equipment",
        None,
        False,
        [],
    ),
    (
        "ZJ-0903",
        "ZJ",
        "建筑起重设备使用登记",
        "Use registration of construction hoisting equipment",
        None,
        False,
        [],
    ),
    (
        "ZJ-0904",
        "ZJ",
        "建筑施工企业安全生产许可证变更（法定代表人）",
        "Construction safety production licence change (legal representative)",
        None,
        False,
        [],
    ),
    (
        "GJJ-0902",
        "GJJ",
        "住房公积金缴存基数调整",
        "Provident fund contribution base adjustment",
        "provident_fund",
        False,
        [],
    ),
    (
        "GJJ-0903",
        "GJJ",
        "住房公积金租房提取",
        "Provident fund withdrawal for rent",
        "provident_fund",
        True,
        [],
    ),
    (
        "GJJ-0904",
        "GJJ",
        "住房公积金缴存证明开具",
        "Provident fund contribution certificate",
        "provident_fund",
        True,
        [],
    ),
    (
        "GJJ-0905",
        "GJJ",
        "住房公积金个人账户合并",
        "Provident fund personal account merger",
        "provident_fund",
        False,
        [],
    ),
    (
        "RS-0903",
        "RS",
        "城乡居民基本养老保险参保登记（即时办）",
        "Residents' pension enrolment (instant)",
        "pension",
        True,
        [],
    ),
    ("RS-0904", "RS", "失业保险金申领", "Unemployment benefit application", "social_security", True, []),
    ("RS-0905", "RS", "职工参保信息变更", "Insured employee details change", "social_security", False, []),
    (
        "YL-0901",
        "YL",
        "养老保险待遇资格认证（即时办）",
        "Pension eligibility certification (instant)",
        "pension",
        True,
        [],
    ),
    (
        "YB-0901",
        "YB",
        "城乡居民医保参保登记（即时办）",
        "Residents' medical insurance enrolment (instant)",
        "medical",
        True,
        [],
    ),
    (
        "YB-0902",
        "YB",
        "异地就医备案（即时办）",
        "Medical treatment elsewhere filing (instant)",
        "medical",
        True,
        [],
    ),
    (
        "YB-0903",
        "YB",
        "医保关系转移接续（即时办）",
        "Medical insurance transfer (instant)",
        "medical",
        True,
        [],
    ),
    (
        "YB-0904",
        "YB",
        "医保个人账户家庭共济备案",
        "Medical account family sharing filing",
        "medical",
        False,
        [],
    ),
    ("GA-0901", "GA", "户籍证明开具", "Household registration certificate", "household", True, []),
    ("GA-0902", "GA", "无犯罪记录证明开具", "Certificate of no criminal record", "household", True, []),
    ("GA-0903", "GA", "居住证签注", "Residence permit endorsement", "household", False, []),
    ("JJ-0901", "JJ", "机动车驾驶证期满换证", "Driving licence renewal on expiry", None, True, []),
    ("JJ-0902", "JJ", "机动车检验标志核发", "Vehicle inspection mark issue", None, False, []),
    (
        "GT-0901",
        "GT",
        "个体工商户注销登记（简易）",
        "Individual business deregistration (simplified)",
        None,
        False,
        [],
    ),
    (
        "GT-0902",
        "GT",
        "个体工商户变更登记（经营者住所）",
        "Individual business change (operator address)",
        None,
        False,
        [],
    ),
    ("SJ-0901", "SJ", "食品经营许可证注销", "Food business licence cancellation", None, False, []),
    ("SJ-0902", "SJ", "企业名称自主申报", "Company name self-declaration", None, False, []),
    (
        "SJ-0903",
        "SJ",
        "小微企业设立登记（一网通办）",
        "Small business incorporation (one-stop)",
        None,
        True,
        [],
    ),
    ("CL-0901", "CL", "残疾人两项补贴申领", "Two allowances for disabled people", "medical", False, []),
    (
        "MZ-0902",
        "MZ",
        "婚姻登记记录证明开具（即时办）",
        "Marriage record certificate (instant)",
        None,
        True,
        [],
    ),
    ("MZ-0903", "MZ", "老年人优待证办理", "Senior citizen preferential card", "pension", False, []),
    ("TY-0901", "TY", "退役军人优待证申领（即时办）", "Veteran preferential card (instant)", None, False, []),
    ("SW-0901", "SW", "纳税证明开具", "Tax payment certificate", None, True, []),
    ("SW-0902", "SW", "个人所得税完税证明开具", "Individual income tax payment certificate", None, True, []),
    (
        "BDC-0901",
        "BDC",
        "不动产登记信息查询证明开具",
        "Real estate registration information certificate",
        None,
        True,
        [],
    ),
    (
        "JT-0901",
        "JT",
        "道路运输从业人员从业资格证补发",
        "Road transport worker qualification reissue",
        None,
        False,
        [],
    ),
    (
        "JT-0902",
        "JT",
        "出租汽车驾驶员从业资格证注销",
        "Taxi driver qualification cancellation",
        None,
        False,
        [],
    ),
)

# Everyday queries: code suffix, department, zh, en, elder section, popularity rank.
QUERY_ITEMS: tuple[tuple[str, str, str, str, str | None, int], ...] = (
    ("GJJ-0801", "GJJ", "公积金余额一键查", "Provident fund balance", "provident_fund", 1),
    ("GJJ-0802", "GJJ", "公积金缴存明细查询", "Provident fund contributions", "provident_fund", 3),
    ("RS-0801", "RS", "社保参保状态查询", "Social insurance status", "social_security", 2),
    ("RS-0802", "RS", "社保缴费明细查询", "Social insurance contributions", "social_security", 5),
    ("YL-0801", "YL", "养老金发放查询", "Pension payments", "pension", 4),
    ("YB-0801", "YB", "医保个人账户余额查询", "Medical account balance", "medical", 6),
    ("ZJ-0801", "ZJ", "住房信息查询", "Housing information", None, 7),
    ("BDC-0801", "BDC", "不动产登记办理进度查询", "Real estate registration progress", None, 9),
    ("JJ-0801", "JJ", "交通违法记录查询", "Traffic offence records", None, 8),
    ("SW-0801", "SW", "个人所得税纳税记录查询", "Income tax records", None, 12),
    ("JY-0801", "JY", "义务教育入学登记结果查询", "School enrolment result", None, 14),
    ("GA-0801", "GA", "居民身份证办理进度查询", "ID card application progress", "household", 11),
    ("RS-0803", "RS", "社会保障卡状态查询", "Social security card status", "social_security", 10),
    ("YB-0802", "YB", "异地就医备案结果查询", "Medical treatment elsewhere filing status", "medical", 15),
    ("MZ-0801", "MZ", "婚姻登记预约结果查询", "Marriage registration booking status", None, 18),
    ("WJ-0801", "WJ", "预防接种记录查询", "Vaccination records", "medical", 16),
)

# The query the kiosk answers through a dedicated endpoint, by query item code.
QUERY_ENDPOINTS = {
    "GJJ-0801": "provident-fund",
    "GJJ-0802": "provident-fund",
    "RS-0801": "social-insurance",
    "RS-0802": "social-insurance",
    "YL-0801": "social-insurance",
}

# Most used items overall (instant items and services), ranked after the queries above.
POPULAR_INSTANT = (
    "GJJ-0901",
    "RS-0901",
    "MZ-0901",
    "GA-0901",
    "YB-0902",
    "GJJ-0904",
    "RS-0902",
    "ZJ-0901",
    "JJ-0901",
    "SW-0902",
)

# Departments whose ordinary apply items may go cross-province, in the order they are picked.
CROSS_PROVINCE_DEPARTMENTS = ("GJJ", "YB", "RS", "YL", "GA", "MZ", "JJ", "GT", "JY", "CL")


def _department(code: str, county: tuple[str, str] | None = None) -> dict[str, str]:
    for dept in DEPARTMENTS:
        if dept[0] == code:
            name_zh, name_en = dept[1], dept[2]
            if county is not None and name_zh.startswith("市"):
                name_zh = county[0] + name_zh[1:]
                name_en = name_en.replace("Municipal", county[1])
            return {"code": code, "name_zh": name_zh, "name_en": name_en}
    raise KeyError(code)


def _dept_record(code: str) -> tuple[str, str, str, str, str, str, str | None, str, tuple[str, ...]]:
    for dept in DEPARTMENTS:
        if dept[0] == code:
            return dept
    raise KeyError(code)


def _labelled(table: dict[str, tuple[str, str]], code: str) -> dict[str, str]:
    zh, en = table[code]
    return {"code": code, "name_zh": zh, "name_en": en}


def _stable_rank(code: str) -> int:
    # Deterministic pseudo-random popularity for the long tail.
    return 100 + int(hashlib.sha256(code.encode()).hexdigest()[:6], 16) % 5000


def _generic_form(audience: str, kind_letter: str) -> list[Field]:
    fields = [*_company_fields(), _applicant_fields()[2]] if audience == "company" else _applicant_fields()
    if kind_letter == "B":
        fields = [*fields, BANK_CARD]
    if kind_letter in ("L", "R", "F"):
        fields = [
            *fields,
            field("description", "申请事项说明", "What you are applying for", "text", required=False),
        ]
    return fields


def _materials(instant: bool, audience: str) -> tuple[str, str]:
    if instant:
        return (
            "无需提交纸质材料：身份与证照信息由政府部门共享核验，结果即时告知。",
            "No paper needed: identity and certificates are checked against government records; "
            "the result is given at once.",
        )
    if audience == "company":
        return (
            "营业执照（电子证照自动调取）；法定代表人或经办人身份证；申请表（自助机在线填写）。",
            "Business licence (fetched from the e-certificate library); ID card of the legal representative "
            "or agent; application form (filled in on the kiosk).",
        )
    return (
        "居民身份证；申请表（自助机在线填写）；其他材料由部门共享调取。",
        "Resident ID card; application form (filled in on the kiosk); other documents are fetched from "
        "government records.",
    )


def _item(
    code: str,
    dept_code: str,
    name_zh: str,
    name_en: str,
    *,
    kind: str,
    instant: bool,
    elder_section: str | None,
    form: list[Field],
    rank: int,
    county: tuple[str, str] | None = None,
) -> dict[str, Any]:
    dept = _dept_record(dept_code)
    audience, category, life_event, zone = dept[3], dept[4], dept[5], dept[7]
    materials_zh, materials_en = _materials(instant, audience)
    if kind == "query":
        materials_zh, materials_en = (
            "刷身份证或扫城市 App 身份码即可查询。",
            "Show your ID card or city app identity code.",
        )
        form = []
    elif kind == "appointment":
        materials_zh, materials_en = (
            "预约成功后凭取号凭条到对应受理区办理。",
            "Bring the ticket to the zone at the booked time.",
        )
        form = []
    return {
        "code": code,
        "name_zh": name_zh,
        "name_en": name_en,
        "department": _department(dept_code, county),
        "level": "county" if county else "city",
        "audience": audience,
        "category": _labelled(CATEGORIES, category),
        "life_event": _labelled(LIFE_EVENTS, life_event),
        "kind": kind,
        "instant": instant,
        "cross_province": False,
        "partner_cities": [],
        "elder_section": elder_section,
        "appointment_zone": zone if kind == "appointment" else None,
        "form": form,
        "materials_zh": materials_zh,
        "materials_en": materials_en,
        "description_zh": _description_zh(name_zh, kind, instant),
        "description_en": _description_en(name_en, kind, instant),
        "time_limit_days": 0
        if instant or kind != "apply"
        else 5 + int(hashlib.sha256(code.encode()).digest()[0]) % 16,
        "popularity_rank": rank,
    }


def _description_zh(name: str, kind: str, instant: bool) -> str:
    if kind == "query":
        return f"{name}：身份核验后即时显示结果，不打印、不保存个人信息。"
    if kind == "appointment":
        return f"{name}：选择日期和时段，凭取号凭条按时到场办理。"
    if instant:
        return f"{name}为秒批事项：提交后系统自动审核，即时出具结果并短信通知。"
    return f"{name}：在自助机提交申请，部门工作人员在承诺时限内审核，结果短信通知。"


def _description_en(name: str, kind: str, instant: bool) -> str:
    if kind == "query":
        return f"{name}: shown at once after identity check; nothing is printed or kept."
    if kind == "appointment":
        return f"{name}: choose a day and a time, then come with the ticket."
    if instant:
        return f"{name} is approved instantly: rules are checked automatically and the result is sent by SMS."
    return f"{name}: apply at the kiosk; staff review it within the promised time and notify you by SMS."


def _generic_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for dept in DEPARTMENTS:
        code, audience, elder = dept[0], dept[3], dept[6]
        number = 0
        for subject in dept[8]:
            subject_zh, subject_en, kind_letter = subject.split("|")
            for suffix_zh, suffix_en in ACTIONS[kind_letter]:
                number += 1
                item_code = f"{CITY_CODE}-{code}-{number:04d}"
                items.append(
                    _item(
                        item_code,
                        code,
                        subject_zh + suffix_zh,
                        subject_en + suffix_en,
                        kind="apply",
                        instant=False,
                        elder_section=elder if audience == "citizen" else None,
                        form=_generic_form(audience, kind_letter),
                        rank=_stable_rank(item_code),
                    )
                )
    return items


def _county_twins(city_items: list[dict[str, Any]], wanted: int) -> list[dict[str, Any]]:
    """County-level counterparts of city items (same service, a county department handles it)."""
    twins: list[dict[str, Any]] = []
    for index, city_item in enumerate(city_items):
        if len(twins) >= wanted:
            break
        if not city_item["department"]["name_zh"].startswith("市"):
            continue
        county = COUNTIES[index % len(COUNTIES)]
        county_number = COUNTIES.index(county) + 1
        code = city_item["code"].replace(CITY_CODE, f"4117{county_number:02d}", 1)
        twin = dict(city_item)
        twin.update(
            code=code,
            department=_department(city_item["department"]["code"], county),
            level="county",
            popularity_rank=_stable_rank(code),
        )
        twins.append(twin)
    return twins


def build_demo_catalog() -> dict[str, Any]:
    """The whole demo catalogue document (items plus the reference lists the kiosk UI needs)."""
    special: list[dict[str, Any]] = []
    popular = {code: rank for rank, code in enumerate(POPULAR_INSTANT, start=20)}
    for suffix, dept, zh, en, elder, _cross, form in INSTANT_ITEMS:
        item_code = f"{CITY_CODE}-{suffix}"
        dept_audience = _dept_record(dept)[3]
        special.append(
            _item(
                item_code,
                dept,
                zh,
                en,
                kind="apply",
                instant=True,
                elder_section=elder,
                form=form or _generic_form(dept_audience, "C"),
                rank=popular.get(suffix, 40 + len(special)),
            )
        )
    for suffix, dept, zh, en, elder, rank in QUERY_ITEMS:
        item = _item(
            f"{CITY_CODE}-{suffix}",
            dept,
            zh,
            en,
            kind="query",
            instant=False,
            elder_section=elder,
            form=[],
            rank=rank,
        )
        item["query_endpoint"] = QUERY_ENDPOINTS.get(suffix)
        special.append(item)
    zone_departments = {
        "real_estate": "BDC",
        "police": "GA",
        "traffic": "JJ",
        "social": "RS",
        "fund": "GJJ",
        "market": "SJ",
        "tax": "SW",
        "construction": "ZJ",
        "transport": "JT",
        "health": "WJ",
        "civil": "MZ",
    }
    for number, (zone, zone_zh, zone_en, _where) in enumerate(APPOINTMENT_ZONES, start=1):
        dept = zone_departments[zone]
        special.append(
            _item(
                f"{CITY_CODE}-YY-{number:04d}",
                dept,
                f"预约办理：{zone_zh}",
                f"Book a visit: {zone_en}",
                kind="appointment",
                instant=False,
                elder_section=None,
                form=[],
                rank=60 + number,
            )
        )
        special[-1]["appointment_zone"] = zone
    city_items = _generic_items()
    wanted_twins = CATALOG_SIZE - len(special) - len(city_items)
    items = special + city_items + _county_twins(city_items, wanted_twins)
    items = items[:CATALOG_SIZE]
    _mark_cross_province(items)
    _keep_elder_sections_to_high_frequency(items)
    return {
        "items": items,
        "partner_cities": [
            {"code": c, "name_zh": zh, "name_en": en, "province_zh": pzh, "province_en": pen}
            for c, zh, en, pzh, pen in PARTNER_CITIES
        ],
        "elder_sections": [
            {"code": c, "name_zh": zh, "name_en": en} for c, (zh, en) in ELDER_SECTIONS.items()
        ],
        "appointment_zones": [
            {"code": c, "name_zh": zh, "name_en": en, "location_zh": where}
            for c, zh, en, where in APPOINTMENT_ZONES
        ],
        "categories": [{"code": c, "name_zh": zh, "name_en": en} for c, (zh, en) in CATEGORIES.items()],
        "life_events": [{"code": c, "name_zh": zh, "name_en": en} for c, (zh, en) in LIFE_EVENTS.items()],
    }


def _keep_elder_sections_to_high_frequency(items: list[dict[str, Any]]) -> None:
    """Elder-mode sections hold older people's high-frequency needs, not every citizen item.

    A section keeps its instant-approval and query items and the city-level items named in
    ``ELDER_EVERYDAY_ITEMS``; every other item (licences, business registrations, county twins)
    leaves the section and stays reachable in standard mode and by search.
    """
    curated = {f"{CITY_CODE}-{suffix}" for suffix, *_ in (*INSTANT_ITEMS, *QUERY_ITEMS)}
    wanted = {(section, name) for section, names in ELDER_EVERYDAY_ITEMS.items() for name in names}
    found: set[tuple[str, str]] = set()
    for item in items:
        key = (item["elder_section"], item["name_zh"])
        if item["code"] in curated:
            continue
        if key in wanted and item["level"] == "city" and key not in found:
            found.add(key)
        else:
            item["elder_section"] = None
    if wanted - found:  # a renamed subject must not silently empty a section
        raise ValueError(f"elder items not in the catalogue: {sorted(wanted - found)}")


def _mark_cross_province(items: list[dict[str, Any]]) -> None:
    all_cities = [code for code, *_ in PARTNER_CITIES]
    instant_cross = {f"{CITY_CODE}-{suffix}" for suffix, *_rest, cross, _f in INSTANT_ITEMS if cross}
    marked = 0
    for item in items:
        if item["code"] in instant_cross:
            item["cross_province"] = True
            item["partner_cities"] = list(all_cities)
            marked += 1
    for dept in CROSS_PROVINCE_DEPARTMENTS:
        for item in items:
            if marked >= CROSS_PROVINCE_COUNT:
                return
            if (
                item["department"]["code"] == dept
                and item["level"] == "city"
                and item["kind"] == "apply"
                and not item["cross_province"]
                and not item["name_zh"].endswith(("（注销）", "停发", "注销"))
                and (marked % 3 == 0 or dept in ("GJJ", "YB"))
            ):
                item["cross_province"] = True
                # Every partner city handles the provident-fund and medical items; others rotate.
                offset = marked % len(all_cities)
                cities = all_cities if dept in ("GJJ", "YB") else all_cities[offset:] + all_cities[:offset]
                item["partner_cities"] = cities if dept in ("GJJ", "YB") else cities[:2]
                marked += 1
