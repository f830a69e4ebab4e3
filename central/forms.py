"""Checking a submitted form against the catalogue item's form fields."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

_PHONE = re.compile(r"^1[3-9][0-9]{9}$")
_DIGITS = re.compile(r"^[0-9]{1,32}$")
MAX_TEXT = 200


def _error(key: str, zh: str, en: str) -> dict[str, str]:
    return {"field": key, "problem_zh": zh, "problem_en": en}


def _check_value(spec: dict[str, Any], value: Any) -> tuple[Any, dict[str, str] | None]:
    key, kind = spec["key"], spec["type"]
    if isinstance(value, bool):
        return value, _error(key, "取值类型错误。", "Wrong kind of value.")
    text = str(value).strip()
    if kind == "text":
        if len(text) > MAX_TEXT:
            return text, _error(key, f"不能超过 {MAX_TEXT} 个字。", f"At most {MAX_TEXT} characters.")
        return text, None
    if kind == "number":
        if not _DIGITS.match(text):
            return text, _error(key, "只能填写数字。", "Digits only.")
        return text, None
    if kind == "amount":
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return text, _error(key, "请填写金额，如 1200.50。", "Enter an amount such as 1200.50.")
        if (
            not amount.is_finite()
            or amount < 0
            or amount > Decimal("1000000000")
            or amount != amount.quantize(Decimal("0.01"))
        ):
            return text, _error(
                key, "金额须为非负数，最多两位小数。", "A non-negative amount with at most two decimals."
            )
        return str(amount.quantize(Decimal("0.01"))), None
    if kind == "phone":
        if not _PHONE.match(text):
            return text, _error(key, "请填写 11 位手机号码。", "Enter an 11-digit mobile number.")
        return text, None
    if kind == "date":
        try:
            return date.fromisoformat(text).isoformat(), None
        except ValueError:
            return text, _error(key, "日期格式应为 YYYY-MM-DD。", "Use the date format YYYY-MM-DD.")
    if kind == "choice":
        allowed = [choice["value"] for choice in spec.get("choices", [])]
        if text not in allowed:
            return text, _error(key, "请从选项中选择。", "Choose one of the options.")
        return text, None
    return text, _error(key, "未知的字段类型。", "Unknown field type.")


def check_form(
    fields: list[dict[str, Any]], form: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The normalised form and the list of problems (empty when the form is acceptable).

    Fields the government already holds (``prefilled_from``) may be echoed by the kiosk but are never
    required; any key the item does not define is refused.
    """
    specs = {spec["key"]: spec for spec in fields}
    errors: list[dict[str, str]] = []
    normalised: dict[str, Any] = {}
    for key in form:
        if key not in specs:
            errors.append(_error(key, "该事项没有这个字段。", "This item has no such field."))
    for key, spec in specs.items():
        value = form.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.get("required") and not spec.get("prefilled_from"):
                errors.append(_error(key, "此项必填。", "This field is required."))
            continue
        checked, problem = _check_value(spec, value)
        if problem is not None:
            errors.append(problem)
        normalised[key] = checked
    return normalised, errors
