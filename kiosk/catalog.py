"""The catalogue of service items the kiosk offers, as data.

The central service publishes the catalogue (items change quickly: the catalogue is data, not code);
``Catalog.from_dict`` reads its JSON form. ``builtin_catalog()`` is the small catalogue compiled in so a
kiosk that has never reached the server still offers its core items.

JSON form::

    {"version": "...",
     "departments": [{"code": "housing_fund", "name_zh": "...", "name_en": "..."}],
     "life_events": [{"code": "retirement", "name_zh": "...", "name_en": "..."}],
     "elder_sections": [{"code": "provident_fund", "name_zh": "...", "name_en": "..."}],
     "items": [{"code": "...", "name_zh": "...", "name_en": "...", "department": "housing_fund",
                "life_events": ["retirement"], "elder_section": "provident_fund",
                "kind": "apply", "instant": true,
                "needs_zh": ["..."], "needs_en": ["..."],
                "form": [{"key": "phone", "type": "phone", "label_zh": "...", "label_en": "...",
                          "prefilled_from": "identity.phone"}],
                "partner_cities": ["qianjiang"], "appointment_zone": null, "query": null,
                "popularity": 10}],
     "partner_cities": [{"code": "qianjiang", "name_zh": "...", "name_en": "..."}],
     "zones": [{"code": "Z01", "name_zh": "...", "name_en": "..."}]}

``elder_sections`` are the few big sections of the elder-mode home (社保, 养老, 医疗, ...); an item's
``elder_section`` (optional) puts it in one of them.

``Catalog.from_api`` converts the API client's catalogue (the central service's published form).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

from kiosk.forms import FieldSpec, FormError

ItemKind = Literal["apply", "query", "appointment"]
ITEM_KINDS: tuple[ItemKind, ...] = ("apply", "query", "appointment")


class CatalogError(ValueError):
    """The catalogue data is malformed; the message names the item and the key."""


@dataclass(frozen=True)
class Group:
    """A department or a life event: a way to browse items."""

    code: str
    name_zh: str
    name_en: str

    def name(self, language: str) -> str:
        return self.name_zh if language == "zh_CN" else self.name_en


@dataclass(frozen=True)
class ServiceItem:
    """One government service item.

    ``kind`` decides the flow: ``apply`` (a form ending in a decision), ``query`` (read live data),
    ``appointment`` (book a slot in an acceptance zone). ``form`` are the item's form fields (see
    ``kiosk.forms`` for which of them are asked). ``partner_cities`` non-empty makes it a cross-province
    item: the citizen chooses which partner city handles it. ``appointment_zone`` fixes the zone of an
    appointment item; ``query`` names the live data a query item reads. ``elder_section`` is the code of
    the elder-mode section that lists the item ("" for none: company items, for example).
    """

    code: str
    name_zh: str
    name_en: str
    department: str
    kind: ItemKind = "apply"
    life_events: tuple[str, ...] = ()
    instant: bool = False
    needs_zh: tuple[str, ...] = ()
    needs_en: tuple[str, ...] = ()
    form: tuple[FieldSpec, ...] = ()
    partner_cities: tuple[str, ...] = ()
    popularity: int = 0
    appointment_zone: str | None = None
    query: str | None = None
    elder_section: str = ""

    def name(self, language: str) -> str:
        return self.name_zh if language == "zh_CN" else self.name_en

    def needs(self, language: str) -> tuple[str, ...]:
        return self.needs_zh if language == "zh_CN" else self.needs_en

    @property
    def cross_province(self) -> bool:
        return bool(self.partner_cities)


@dataclass(frozen=True)
class Catalog:
    """Items plus the ways to browse them. Immutable; a new version replaces the whole object.

    Departments and life events are the standard home's groups; ``elder_sections`` are the elder-mode
    home's sections, a separate set of codes (a section may share its code with a department).
    """

    items: tuple[ServiceItem, ...]
    departments: tuple[Group, ...] = ()
    life_events: tuple[Group, ...] = ()
    version: str = ""
    partner_cities: tuple[Group, ...] = ()
    zones: tuple[Group, ...] = ()
    elder_sections: tuple[Group, ...] = ()
    _by_code: Mapping[str, ServiceItem] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_code: dict[str, ServiceItem] = {}
        for item in self.items:
            if item.code in by_code:
                raise CatalogError(f"duplicate item code {item.code!r}")
            by_code[item.code] = item
        object.__setattr__(self, "_by_code", by_code)

    def item(self, code: str) -> ServiceItem:
        """The item with ``code``; ``KeyError`` if the catalogue has none."""
        return self._by_code[code]

    def get(self, code: str) -> ServiceItem | None:
        return self._by_code.get(code)

    def in_department(self, code: str) -> tuple[ServiceItem, ...]:
        return tuple(i for i in self.items if i.department == code)

    def for_life_event(self, code: str) -> tuple[ServiceItem, ...]:
        return tuple(i for i in self.items if code in i.life_events)

    def group(self, code: str) -> Group | None:
        for g in (*self.departments, *self.life_events):
            if g.code == code:
                return g
        return None

    def city(self, code: str) -> Group | None:
        return next((c for c in self.partner_cities if c.code == code), None)

    def zone(self, code: str) -> Group | None:
        return next((z for z in self.zones if z.code == code), None)

    def items_in_group(self, code: str) -> tuple[ServiceItem, ...]:
        if any(d.code == code for d in self.departments):
            return self.in_department(code)
        return self.for_life_event(code)

    def elder_section(self, code: str) -> Group | None:
        return next((s for s in self.elder_sections if s.code == code), None)

    def in_elder_section(self, code: str) -> tuple[ServiceItem, ...]:
        """The section's items, most used first: sections are large and read a page at a time."""
        listed = [i for i in self.items if i.elder_section == code] if code else []
        return tuple(sorted(listed, key=lambda i: -i.popularity))

    def most_used(self, count: int = 6) -> tuple[ServiceItem, ...]:
        ranked = sorted(self.items, key=lambda i: (-i.popularity, i.code))
        return tuple(ranked[:count])

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Catalog:
        """Read the JSON form; ``CatalogError`` names what is wrong."""
        if not isinstance(raw, Mapping):
            raise CatalogError("catalogue must be an object")
        try:
            items = tuple(_item(i, n) for n, i in enumerate(_list(raw, "items")))
            departments = tuple(_group(g) for g in _list(raw, "departments"))
            life_events = tuple(_group(g) for g in _list(raw, "life_events"))
            cities = tuple(_group(g) for g in _list(raw, "partner_cities"))
            zones = tuple(_group(g) for g in _list(raw, "zones"))
            sections = tuple(_group(g) for g in _list(raw, "elder_sections"))
        except (KeyError, TypeError, FormError) as exc:
            raise CatalogError(f"catalogue entry malformed: {exc}") from None
        known = {d.code for d in departments}
        for item in items:
            if known and item.department not in known:
                raise CatalogError(f"item {item.code!r}: unknown department {item.department!r}")
        _check_sections(items, sections)
        return cls(items, departments, life_events, str(raw.get("version", "")), cities, zones, sections)

    @classmethod
    def from_api(cls, api: Any) -> Catalog:
        """From ``kiosk.api_client.Catalog`` (the central service's catalogue); ``CatalogError`` if bad."""
        departments: dict[str, Group] = {}
        items = []
        try:
            for raw in api.items:
                departments.setdefault(
                    raw.department_code, Group(raw.department_code, raw.department_zh, raw.department_en)
                )
                form = tuple(
                    FieldSpec.from_dict(
                        {
                            "key": f.key,
                            "type": f.type,
                            "label_zh": f.label_zh,
                            "label_en": f.label_en,
                            "hint_zh": f.hint_zh,
                            "hint_en": f.hint_en,
                            "required": f.required,
                            "prefilled_from": f.prefilled_from,
                            "choices": [
                                {"value": c.value, "label_zh": c.label_zh, "label_en": c.label_en}
                                for c in f.choices
                            ],
                        }
                    )
                    for f in raw.form
                )
                kind = raw.kind if raw.kind in ITEM_KINDS else "apply"
                items.append(
                    ServiceItem(
                        code=raw.code,
                        name_zh=raw.name_zh,
                        name_en=raw.name_en,
                        department=raw.department_code,
                        kind=cast(ItemKind, kind),
                        life_events=(raw.life_event_code,) if raw.life_event_code else (),
                        instant=bool(raw.instant),
                        needs_zh=_split_materials(raw.materials_zh),
                        needs_en=_split_materials(raw.materials_en),
                        form=form,
                        partner_cities=tuple(raw.partner_cities) if raw.cross_province else (),
                        # The service ranks 1 = most used; the kiosk sorts by descending popularity.
                        popularity=-int(raw.popularity_rank or 10**6),
                        appointment_zone=raw.appointment_zone,
                        query=raw.query_endpoint,
                        elder_section=_section_code(raw.elder_section),
                    )
                )
            cities = tuple(
                Group(
                    c.code,
                    f"{c.name_zh}（{c.province_zh}）" if c.province_zh else c.name_zh,
                    f"{c.name_en} ({c.province_en})" if c.province_en else c.name_en,
                )
                for c in api.partner_cities
            )
            zones = tuple(Group(z.code, z.name_zh, z.name_en) for z in api.appointment_zones)
            life_events = tuple(Group(g.code, g.name_zh, g.name_en) for g in api.life_events)
            sections = tuple(Group(g.code, g.name_zh, g.name_en) for g in api.elder_sections)
        except (AttributeError, TypeError, ValueError) as exc:
            raise CatalogError(f"catalogue from the service malformed: {exc}") from None
        _check_sections(items, sections)
        return cls(
            tuple(items),
            tuple(departments.values()),
            life_events,
            str(api.version),
            cities,
            zones,
            sections,
        )


def _section_code(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CatalogError(f"'elder_section' must be a string or null, not {type(value).__name__}")
    return value


def _check_sections(items: Iterable[ServiceItem], sections: Sequence[Group]) -> None:
    """Every section code an item names must be a listed section (when the catalogue lists any)."""
    codes = [s.code for s in sections]
    if len(set(codes)) != len(codes):
        raise CatalogError("duplicate elder section code")
    for item in items:
        if codes and item.elder_section and item.elder_section not in codes:
            raise CatalogError(f"item {item.code!r}: unknown elder section {item.elder_section!r}")


def _list(raw: Mapping[str, Any], key: str) -> Sequence[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise CatalogError(f"{key!r} must be a list")
    return value


def _strs(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"{where} must be a list of strings")
    return tuple(value)


def _group(raw: Mapping[str, Any]) -> Group:
    return Group(str(raw["code"]), str(raw["name_zh"]), str(raw["name_en"]))


def _item(raw: Mapping[str, Any], index: int) -> ServiceItem:
    code = raw.get("code")
    if not isinstance(code, str) or not code:
        raise CatalogError(f"item #{index}: 'code' missing")
    kind = raw.get("kind", "apply")
    if kind not in ITEM_KINDS:
        raise CatalogError(f"item {code!r}: 'kind' must be one of {', '.join(ITEM_KINDS)}")
    for key in ("name_zh", "name_en", "department"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise CatalogError(f"item {code!r}: {key!r} missing")
    return ServiceItem(
        code=code,
        name_zh=raw["name_zh"],
        name_en=raw["name_en"],
        department=raw["department"],
        kind=cast(ItemKind, kind),
        life_events=_strs(raw.get("life_events", []), f"item {code!r}: 'life_events'"),
        instant=bool(raw.get("instant", False)),
        needs_zh=_strs(raw.get("needs_zh", []), f"item {code!r}: 'needs_zh'"),
        needs_en=_strs(raw.get("needs_en", []), f"item {code!r}: 'needs_en'"),
        form=tuple(FieldSpec.from_dict(f) for f in _list(raw, "form")),
        partner_cities=_strs(raw.get("partner_cities", []), f"item {code!r}: 'partner_cities'"),
        popularity=int(raw.get("popularity", 0)),
        appointment_zone=raw.get("appointment_zone"),
        query=raw.get("query"),
        elder_section=_section_code(raw.get("elder_section")),
    )


def _split_materials(text: str) -> tuple[str, ...]:
    parts = [p.strip(" 。.") for p in text.replace("；", "、").replace(";", "、").split("、")]
    return tuple(p for p in parts if p)


def _g(code: str, zh: str, en: str) -> dict[str, str]:
    return {"code": code, "name_zh": zh, "name_en": en}


def _field(
    key: str,
    type_: str,
    zh: str,
    en: str,
    hint_zh: str = "",
    hint_en: str = "",
    *,
    prefilled_from: str | None = None,
    choices: tuple[tuple[str, str, str], ...] = (),
) -> dict[str, Any]:
    return {
        "key": key,
        "type": type_,
        "label_zh": zh,
        "label_en": en,
        "hint_zh": hint_zh,
        "hint_en": hint_en,
        "prefilled_from": prefilled_from,
        "choices": [{"value": v, "label_zh": czh, "label_en": cen} for v, czh, cen in choices],
    }


_APPLICANT = [
    _field("applicant_name", "text", "申请人姓名", "Applicant name", prefilled_from="identity.name"),
    _field("id_number", "text", "身份证号码", "ID number", prefilled_from="identity.id_number"),
]
_PHONE_FIELD = _field(
    "phone",
    "phone",
    "手机号码",
    "Mobile phone",
    "审批结果将以短信发送到这个号码",
    "The decision is sent to this number by text message",
    prefilled_from="identity.phone",
)
# 16 to 19 digits with a Luhn check digit: ``kiosk.forms`` knows the field by its key (BANK_CARD_KEY).
_BANK_FIELD = _field(
    "bank_card_number",
    "number",
    "本人银行卡号",
    "Your bank card number",
    "16 至 19 位数字，款项将转入此卡",
    "16 to 19 digits; the money is paid into this card",
)

# The compiled-in catalogue: the core items of the service hall, used until the first snapshot arrives.
_BUILTIN: dict[str, Any] = {
    "version": "builtin-1",
    "departments": [
        _g("housing_fund", "公积金", "Housing provident fund"),
        _g("social_security", "社保", "Social security"),
        _g("construction", "住房和城乡建设", "Housing and construction"),
        _g("civil_affairs", "民政", "Civil affairs"),
        _g("service_hall", "政务服务大厅", "Service hall"),
        _g("medical_insurance", "医疗保障", "Medical insurance"),
        _g("public_security", "公安户政", "Household registration"),
    ],
    # The elder-mode home's five big sections (the central catalogue's codes and names).
    "elder_sections": [
        _g("social_security", "社保", "Social security"),
        _g("pension", "养老", "Pension"),
        _g("medical", "医疗", "Medical"),
        _g("provident_fund", "公积金", "Provident fund"),
        _g("household", "户籍", "Household"),
    ],
    "life_events": [
        _g("retirement", "退休养老", "Retirement"),
        _g("buying_home", "买房租房", "Buying or renting a home"),
        _g("running_business", "企业经营", "Running a business"),
        _g("moving_city", "异地办事", "Living in another city"),
    ],
    "partner_cities": [
        _g("yueyang", "岳阳（湖南）", "Yueyang (Hunan)"),
        _g("changzhi", "长治（山西）", "Changzhi (Shanxi)"),
        _g("xiantao", "仙桃（湖北）", "Xiantao (Hubei)"),
        _g("qianjiang", "潜江（湖北）", "Qianjiang (Hubei)"),
    ],
    "zones": [],
    "items": [
        {
            "code": "HF-BALANCE",
            "elder_section": "provident_fund",
            "name_zh": "公积金余额查询",
            "name_en": "Housing provident fund balance",
            "department": "housing_fund",
            "life_events": ["buying_home", "retirement"],
            "kind": "query",
            "query": "provident-fund",
            "needs_zh": ["居民身份证或“咱的驻马店”身份码"],
            "needs_en": ["ID card or the city app's identity code"],
            "popularity": 100,
        },
        {
            "code": "HF-WITHDRAW-RETIRE",
            "elder_section": "provident_fund",
            "name_zh": "退休提取住房公积金",
            "name_en": "Withdraw provident fund on retirement",
            "department": "housing_fund",
            "life_events": ["retirement"],
            "instant": True,
            "needs_zh": ["居民身份证", "本人银行卡号", "联系电话"],
            "needs_en": ["ID card", "Your bank card number", "A contact phone number"],
            "form": [*_APPLICANT, _BANK_FIELD, _PHONE_FIELD],
            "popularity": 80,
        },
        {
            "code": "HF-WITHDRAW-XPROV",
            "elder_section": "provident_fund",
            "name_zh": "跨省提取住房公积金",
            "name_en": "Withdraw provident fund across provinces",
            "department": "housing_fund",
            "life_events": ["moving_city", "retirement"],
            "needs_zh": ["居民身份证", "本人银行卡号", "联系电话"],
            "needs_en": ["ID card", "Your bank card number", "A contact phone number"],
            "form": [*_APPLICANT, _BANK_FIELD, _PHONE_FIELD],
            "partner_cities": ["yueyang", "changzhi", "xiantao", "qianjiang"],
            "popularity": 40,
        },
        {
            "code": "CN-HOIST-DEREG",
            "name_zh": "建筑起重设备注销备案",
            "name_en": "Deregister construction hoisting equipment",
            "department": "construction",
            "life_events": ["running_business"],
            "instant": True,
            "needs_zh": ["居民身份证", "设备备案编号", "联系电话"],
            "needs_en": ["ID card", "Equipment filing number", "A contact phone number"],
            "form": [
                _field(
                    "equipment_record_number",
                    "text",
                    "设备备案编号",
                    "Equipment record number",
                    "字母、数字和 - ，见设备备案证",
                    "Letters, digits and -, on the filing certificate",
                ),
                _field(
                    "deregistration_reason",
                    "choice",
                    "注销原因",
                    "Reason for deregistration",
                    "点击一个选项",
                    "Tap one option",
                    choices=(
                        ("scrapped", "报废", "Scrapped"),
                        ("transferred", "转让出本省", "Sold out of the province"),
                        ("lost", "灭失", "Lost or destroyed"),
                    ),
                ),
                _PHONE_FIELD,
            ],
            "popularity": 30,
        },
        {
            "code": "SS-PENSION-CERT",
            "elder_section": "pension",
            "name_zh": "养老保险参保证明",
            "name_en": "Pension insurance certificate",
            "department": "social_security",
            "life_events": ["retirement", "moving_city"],
            "instant": True,
            "needs_zh": ["居民身份证"],
            "needs_en": ["ID card"],
            "form": [
                *_APPLICANT,
                _field(
                    "purpose",
                    "choice",
                    "证明的用途",
                    "What the certificate is for",
                    "点击一个选项",
                    "Tap one option",
                    choices=(
                        ("housing", "购房", "House purchase"),
                        ("school", "子女入学", "School enrolment"),
                        ("other", "其他", "Other"),
                    ),
                ),
            ],
            "popularity": 70,
        },
        {
            "code": "CA-ELDER-ALLOWANCE",
            "elder_section": "pension",
            "name_zh": "高龄津贴申请",
            "name_en": "Old-age allowance application",
            "department": "civil_affairs",
            "life_events": ["retirement"],
            "needs_zh": ["居民身份证", "本人银行卡号", "联系电话"],
            "needs_en": ["ID card", "Your bank card number", "A contact phone number"],
            "form": [*_APPLICANT, _BANK_FIELD, _PHONE_FIELD],
            "popularity": 50,
        },
        {
            "code": "SS-INSURANCE-STATUS",
            "elder_section": "social_security",
            "name_zh": "社保参保状态查询",
            "name_en": "Social insurance status",
            "department": "social_security",
            "life_events": ["retirement", "moving_city"],
            "kind": "query",
            "query": "social-insurance",
            "needs_zh": ["居民身份证或“咱的驻马店”身份码"],
            "needs_en": ["ID card or the city app's identity code"],
            "popularity": 25,
        },
        {
            "code": "MI-TREATMENT-ELSEWHERE",
            "elder_section": "medical",
            "name_zh": "异地就医备案",
            "name_en": "Register for medical treatment in another city",
            "department": "medical_insurance",
            "life_events": ["moving_city", "retirement"],
            "needs_zh": ["居民身份证", "联系电话"],
            "needs_en": ["ID card", "A contact phone number"],
            "form": [
                *_APPLICANT,
                _field(
                    "filing_type",
                    "choice",
                    "备案类型",
                    "Type of filing",
                    "点击一个选项",
                    "Tap one option",
                    choices=(
                        ("retired_elsewhere", "异地安置退休", "Retired and living in another city"),
                        ("living_elsewhere", "异地长期居住", "Living in another city long term"),
                        ("referral", "转诊就医", "Referred to a hospital elsewhere"),
                    ),
                ),
                _PHONE_FIELD,
            ],
            "popularity": 20,
        },
        {
            "code": "PS-HOUSEHOLD-CERT",
            "elder_section": "household",
            "name_zh": "户籍证明开具",
            "name_en": "Household registration certificate",
            "department": "public_security",
            "life_events": ["moving_city"],
            "needs_zh": ["居民身份证", "联系电话"],
            "needs_en": ["ID card", "A contact phone number"],
            "form": [
                *_APPLICANT,
                _field(
                    "purpose",
                    "choice",
                    "证明的用途",
                    "What the certificate is for",
                    "点击一个选项",
                    "Tap one option",
                    choices=(
                        ("pension", "领取养老金", "Drawing a pension"),
                        ("school", "子女入学", "School enrolment"),
                        ("other", "其他", "Other"),
                    ),
                ),
                _PHONE_FIELD,
            ],
            "popularity": 15,
        },
        {
            "code": "HALL-APPOINTMENT",
            "name_zh": "综合受理区预约",
            "name_en": "Book a service-hall appointment",
            "department": "service_hall",
            "life_events": ["buying_home", "running_business"],
            "kind": "appointment",
            "needs_zh": ["居民身份证"],
            "needs_en": ["ID card"],
            "popularity": 90,
        },
    ],
}


def builtin_catalog() -> Catalog:
    """The compiled-in catalogue."""
    return Catalog.from_dict(_BUILTIN)


def merge_items(catalog: Catalog, extra: Iterable[ServiceItem]) -> Catalog:
    """A catalogue with ``extra`` items appended (used to build large catalogues for benchmarks)."""
    return replace(catalog, items=(*catalog.items, *extra))
