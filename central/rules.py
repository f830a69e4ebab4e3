"""The instant-approval rule engine: rule sets are data, evaluated against one application.

A rule set is a JSON document::

    {"item_code": ..., "version": "2026.1", "conditions": [
        {"id": "company_active", "on_fail": "reject" | "manual_review", "requires": ["company_found"],
         "check": {...}, "pass_zh": ..., "pass_en": ..., "fail_zh": ..., "fail_en": ...}]}

A ``check`` is one of:

- ``{"lookup": REGISTRY, "key": REF, "as": ALIAS}``: the record exists (later refs read it as
  ``record.ALIAS.field``);
- ``{"ref": REF, "op": OP, "value": VALUE}`` or ``{"ref": REF, "op": OP, "other": REF}`` with OP in
  ``eq ne in not_in ge gt le lt contains present valid_id_number valid_credit_code``; a VALUE may be
  ``{"by_sex": {"male": 60, "female": 55}}`` (picked by the applicant's sex);
- ``{"any": [check, ...]}`` / ``{"all": [check, ...]}`` / ``{"not": check}``.

REFs name a value: ``identity.name``, ``identity.id_number``, ``form.<key>``, ``record.<alias>.<field>``,
``derived.age``, ``derived.sex``.

The decision: every condition passed -> approved; any failed ``reject`` condition -> rejected;
otherwise a failed ``manual_review`` condition -> manual_review. A condition whose ``requires``
failed is not checked (reported as not passed, "skipped"). A registry that cannot be read sends the
application to manual review. The result records the rule-set version and each condition's outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from central.idnumber import birth_date_of, is_valid_id_number, sex_of
from central.registry_demo import is_valid_uscc

RegistryReader = Callable[[str, str], dict[str, Any] | None]


class RegistryUnavailable(Exception):
    """A registry could not be read; the application goes to manual review."""


class RuleSetError(ValueError):
    """A rule set document is malformed."""


@dataclass(frozen=True)
class ConditionResult:
    """One condition's outcome with its reasons."""

    id: str
    passed: bool
    reason_zh: str
    reason_en: str
    skipped: bool = False

    def document(self) -> dict[str, Any]:
        """JSON form for the decision."""
        return {
            "id": self.id,
            "passed": self.passed,
            "skipped": self.skipped,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
        }


@dataclass(frozen=True)
class RuleDecision:
    """Outcome of a rule set."""

    outcome: str  # approved | rejected | manual_review
    rule_set_version: str
    conditions: tuple[ConditionResult, ...]


@dataclass
class _Context:
    identity: dict[str, Any]
    form: dict[str, Any]
    today: date
    read_registry: RegistryReader
    records: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    def resolve(self, ref: str) -> Any:
        head, _, rest = ref.partition(".")
        if head == "identity":
            return self.identity.get(rest)
        if head == "form":
            return self.form.get(rest)
        if head == "record":
            alias, _, name = rest.partition(".")
            record = self.records.get(alias)
            if record is None:
                return None
            return record.get(name) if name else record
        if head == "derived":
            return self._derived(rest)
        raise RuleSetError(f"unknown reference {ref!r}")

    def _derived(self, name: str) -> Any:
        id_number = str(self.identity.get("id_number") or "")
        if not is_valid_id_number(id_number):
            return None
        if name == "sex":
            return sex_of(id_number)
        if name == "age":
            born = birth_date_of(id_number)
            assert born is not None
            had_birthday = (self.today.month, self.today.day) >= (born.month, born.day)
            return self.today.year - born.year - (0 if had_birthday else 1)
        raise RuleSetError(f"unknown derived value {name!r}")


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "present":
        return left not in (None, "", [])
    if op == "valid_id_number":
        return isinstance(left, str) and is_valid_id_number(left)
    if op == "valid_credit_code":
        return isinstance(left, str) and is_valid_uscc(left)
    if op == "eq":
        return left is not None and left == right
    if op == "ne":
        return left is not None and left != right
    if op == "in":
        return left is not None and isinstance(right, list) and left in right
    if op == "not_in":
        return left is not None and isinstance(right, list) and left not in right
    if op == "contains":
        return isinstance(left, list) and right in left
    if op in ("ge", "gt", "le", "lt"):
        a, b = _number(left), _number(right)
        if a is None or b is None:
            return False
        return {"ge": a >= b, "gt": a > b, "le": a <= b, "lt": a < b}[op]
    raise RuleSetError(f"unknown operator {op!r}")


def _evaluate_check(check: dict[str, Any], ctx: _Context) -> bool:
    if "lookup" in check:
        key = ctx.resolve(check["key"])
        record = ctx.read_registry(check["lookup"], str(key)) if key not in (None, "") else None
        ctx.records[check["as"]] = record
        return record is not None
    if "any" in check:
        return any(_evaluate_check(sub, ctx) for sub in check["any"])
    if "all" in check:
        return all(_evaluate_check(sub, ctx) for sub in check["all"])
    if "not" in check:
        return not _evaluate_check(check["not"], ctx)
    if "ref" in check:
        left = ctx.resolve(check["ref"])
        if "other" in check:
            right = ctx.resolve(check["other"])
        else:
            right = check.get("value")
            if isinstance(right, dict) and "by_sex" in right:
                right = right["by_sex"].get(ctx.resolve("derived.sex"))
        return _compare(check["op"], left, right)
    raise RuleSetError(f"unknown check {check!r}")


def evaluate(
    rule_set: dict[str, Any],
    identity: dict[str, Any],
    form: dict[str, Any],
    read_registry: RegistryReader,
    today: date,
) -> RuleDecision:
    """Apply a rule set to an application; never raises for bad applicant data."""
    ctx = _Context(identity=identity, form=form, today=today, read_registry=read_registry)
    results: list[ConditionResult] = []
    failed: dict[str, str] = {}
    unavailable = False
    for condition in rule_set["conditions"]:
        cid = condition["id"]
        blocked = [
            r for r in condition.get("requires", []) if r in failed or r not in {c.id for c in results}
        ]
        if blocked:
            results.append(
                ConditionResult(
                    cid, False, "未检查：前置条件不满足。", "Not checked: an earlier condition failed.", True
                )
            )
            failed[cid] = condition.get("on_fail", "reject")
            continue
        try:
            passed = _evaluate_check(condition["check"], ctx)
        except RegistryUnavailable:
            unavailable = True
            results.append(
                ConditionResult(
                    cid,
                    False,
                    "数据暂时无法核验，转人工审核。",
                    "Records could not be checked right now; sent to staff review.",
                )
            )
            failed[cid] = "manual_review"
            continue
        if passed:
            results.append(ConditionResult(cid, True, condition["pass_zh"], condition["pass_en"]))
        else:
            results.append(ConditionResult(cid, False, condition["fail_zh"], condition["fail_en"]))
            failed[cid] = condition.get("on_fail", "reject")
    if not failed:
        outcome = "approved"
    elif "reject" in failed.values() and not unavailable:
        outcome = "rejected"
    else:
        outcome = "manual_review"
    return RuleDecision(outcome, str(rule_set["version"]), tuple(results))


def validate_rule_set(rule_set: dict[str, Any]) -> None:
    """Raise RuleSetError when a rule set document is malformed (checked before it is stored)."""
    if not isinstance(rule_set.get("version"), str) or not isinstance(rule_set.get("conditions"), list):
        raise RuleSetError("a rule set needs a string version and a list of conditions")
    seen: set[str] = set()
    for condition in rule_set["conditions"]:
        for key in ("id", "check", "pass_zh", "pass_en", "fail_zh", "fail_en"):
            if key not in condition:
                raise RuleSetError(f"condition {condition.get('id')!r} lacks {key!r}")
        if condition.get("on_fail", "reject") not in ("reject", "manual_review"):
            raise RuleSetError(f"condition {condition['id']!r}: on_fail must be reject or manual_review")
        for required in condition.get("requires", []):
            if required not in seen:
                raise RuleSetError(f"condition {condition['id']!r} requires a later or unknown {required!r}")
        seen.add(condition["id"])
