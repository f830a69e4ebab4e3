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
  ``{"by_sex": {"male": 60, "female": 55}}`` (picked by the applicant's sex); the number comparisons
  (``ge gt le lt``) may add ``"plus": REF`` to the left side (``amount + already paid <= balance``);
- ``{"earlier": [OUTCOME, ...], "same": [REF, ...]}``: the applicant has an earlier decision on this
  item with one of these outcomes (``approved rejected manual_review forwarded``) whose form had the
  same values for the ``form.<key>`` refs in ``same`` (optional); the oldest such decision's day is
  then ``earlier.decided_on``;
- ``{"any": [check, ...]}`` / ``{"all": [check, ...]}`` / ``{"not": check}``.

REFs name a value: ``identity.name``, ``identity.id_number``, ``form.<key>``, ``record.<alias>.<field>``,
``derived.age``, ``derived.sex``, ``earlier.decided_on`` and ``earlier.sum.<form key>`` (the total of
that form field over the applicant's earlier applications for the item that were approved or await
staff review: what is already paid out or promised). A reason may quote an ``earlier`` ref as
``{earlier.decided_on}``; nothing else is substituted into reasons.

The decision: every condition passed -> approved; any failed ``reject`` condition -> rejected;
otherwise a failed ``manual_review`` condition -> manual_review. A condition whose ``requires``
failed is not checked (reported as not passed, "skipped"). A registry that cannot be read sends the
application to manual review. The result records the rule-set version and each condition's outcome.

:func:`validate_rule_set` checks all of this before a rule set is stored, so that a stored rule set
never fails while an application is decided.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from central.idnumber import birth_date_of, is_valid_id_number, sex_of
from central.registry_demo import is_valid_uscc

RegistryReader = Callable[[str, str], dict[str, Any] | None]

UNARY_OPERATORS = frozenset({"present", "valid_id_number", "valid_credit_code"})
NUMBER_OPERATORS = frozenset({"ge", "gt", "le", "lt"})
OPERATORS = UNARY_OPERATORS | NUMBER_OPERATORS | {"eq", "ne", "in", "not_in", "contains"}
OUTCOMES = frozenset({"approved", "rejected", "manual_review", "forwarded"})
# Earlier applications whose amounts count as paid out or promised: approved, or awaiting staff.
HELD_OUTCOMES = frozenset({"approved", "manual_review"})
MAX_VERSION_LENGTH = 40  # the width of the rule_sets.version column
MAX_CHECK_DEPTH = 16  # deeper nesting is a mistake, and would exhaust the stack on evaluation
REASON_KEYS = ("pass_zh", "pass_en", "fail_zh", "fail_en")
_CHECK_KEYS = {
    "lookup": {"lookup", "key", "as"},
    "any": {"any"},
    "all": {"all"},
    "not": {"not"},
    "earlier": {"earlier", "same"},
    "ref": {"ref", "op", "value", "other", "plus"},
}
_PLACEHOLDER = re.compile(r"\{(earlier\.[A-Za-z0-9_.]+)\}")


class RegistryUnavailable(Exception):
    """A registry could not be read; the application goes to manual review."""


class RuleSetError(ValueError):
    """A rule set document is malformed."""


@dataclass(frozen=True)
class EarlierDecision:
    """A decision already stored for the same applicant and item (the reader lists them oldest first)."""

    outcome: str  # approved | rejected | manual_review | forwarded
    decided_on: date  # the day in the service's time zone
    form: Mapping[str, Any]  # the form as the applicant submitted it


EarlierReader = Callable[[], Sequence[EarlierDecision]]


def _no_earlier_decisions() -> Sequence[EarlierDecision]:
    return ()


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
    read_earlier: EarlierReader = _no_earlier_decisions
    records: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    found_earlier: EarlierDecision | None = None  # the match of the last ``earlier`` check
    _earlier: tuple[EarlierDecision, ...] | None = None

    def earlier(self) -> tuple[EarlierDecision, ...]:
        """The applicant's earlier decisions on the item, read once (only by rules that ask)."""
        if self._earlier is None:
            self._earlier = tuple(self.read_earlier())
        return self._earlier

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
        if head == "earlier":
            return self._earlier_value(rest)
        raise RuleSetError(f"unknown reference {ref!r}")

    def _earlier_value(self, name: str) -> Any:
        if name == "decided_on":
            return self.found_earlier.decided_on.isoformat() if self.found_earlier is not None else None
        if name.startswith("sum."):
            key = name.removeprefix("sum.")
            total = Decimal("0.00")
            for decision in self.earlier():
                amount = _number(decision.form.get(key)) if decision.outcome in HELD_OUTCOMES else None
                if amount is not None:
                    total += amount
            return total
        raise RuleSetError(f"unknown earlier value {name!r}")

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
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None  # NaN cannot be compared, nor added up


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
    if "earlier" in check:
        return _find_earlier(check, ctx)
    if "ref" in check:
        left = ctx.resolve(check["ref"])
        if "plus" in check:
            a, b = _number(left), _number(ctx.resolve(check["plus"]))
            left = a + b if a is not None and b is not None else None
        if "other" in check:
            right = ctx.resolve(check["other"])
        else:
            right = check.get("value")
            if isinstance(right, dict) and "by_sex" in right:
                right = right["by_sex"].get(ctx.resolve("derived.sex"))
        return _compare(check["op"], left, right)
    raise RuleSetError(f"unknown check {check!r}")


def _plain(value: Any) -> str | None:
    # Form values as compared across applications: "X-1 " then matches "X-1" as the form check made it.
    return None if value is None else str(value).strip()


def _find_earlier(check: dict[str, Any], ctx: _Context) -> bool:
    """Whether an earlier decision matches; the oldest match becomes ``earlier.decided_on``."""
    outcomes = set(check["earlier"])
    same = [(ref.removeprefix("form."), _plain(ctx.resolve(ref))) for ref in check.get("same", [])]
    ctx.found_earlier = next(
        (
            decision
            for decision in ctx.earlier()
            if decision.outcome in outcomes
            and all(_plain(decision.form.get(key)) == value for key, value in same)
        ),
        None,
    )
    return ctx.found_earlier is not None


def _reason(text: str, ctx: _Context) -> str:
    """A reason with its ``{earlier.…}`` placeholders filled in."""
    if "{earlier." not in text:
        return text

    def value(match: re.Match[str]) -> str:
        found = ctx.resolve(match.group(1))
        return "" if found is None else str(found)

    return _PLACEHOLDER.sub(value, text)


def evaluate(
    rule_set: dict[str, Any],
    identity: dict[str, Any],
    form: dict[str, Any],
    read_registry: RegistryReader,
    today: date,
    read_earlier: EarlierReader = _no_earlier_decisions,
) -> RuleDecision:
    """Apply a (validated) rule set to an application; never raises for bad applicant data.

    ``read_earlier`` lists the applicant's earlier decisions on the same item, oldest first; it is
    called at most once, and only when a condition asks about earlier decisions.
    """
    ctx = _Context(
        identity=identity, form=form, today=today, read_registry=read_registry, read_earlier=read_earlier
    )
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
            results.append(
                ConditionResult(
                    cid, True, _reason(condition["pass_zh"], ctx), _reason(condition["pass_en"], ctx)
                )
            )
        else:
            results.append(
                ConditionResult(
                    cid, False, _reason(condition["fail_zh"], ctx), _reason(condition["fail_en"], ctx)
                )
            )
            failed[cid] = condition.get("on_fail", "reject")
    if not failed:
        outcome = "approved"
    elif "reject" in failed.values() and not unavailable:
        outcome = "rejected"
    else:
        outcome = "manual_review"
    return RuleDecision(outcome, str(rule_set["version"]), tuple(results))


def validate_rule_set(rule_set: Any) -> None:
    """Raise RuleSetError, naming the first problem, when a rule set document is malformed.

    Checked before a rule set is stored: every condition's shape, reasons, ``on_fail`` and
    ``requires`` (ids of earlier conditions), every check's kind, operator and references, at least
    one condition, and a version of 1 to MAX_VERSION_LENGTH characters.
    """
    if not isinstance(rule_set, dict):
        raise RuleSetError("a rule set must be a JSON object")
    version = rule_set.get("version")
    if not isinstance(version, str) or not version.strip():
        raise RuleSetError("a rule set needs a version (text)")
    if len(version) > MAX_VERSION_LENGTH:
        raise RuleSetError(f"the version must be 1 to {MAX_VERSION_LENGTH} characters")
    conditions = rule_set.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        # No condition would approve every application.
        raise RuleSetError("a rule set needs a list of at least one condition")
    seen: set[str] = set()
    for number, condition in enumerate(conditions, start=1):
        if not isinstance(condition, dict):
            raise RuleSetError(f"condition {number} is not an object")
        cid = condition.get("id")
        if not isinstance(cid, str) or not cid:
            raise RuleSetError(f"condition {number} needs an id (text)")
        if cid in seen:
            raise RuleSetError(f"condition id {cid!r} is used twice")
        where = f"condition {cid!r}"
        if "check" not in condition:
            raise RuleSetError(f"{where} lacks 'check'")
        for key in REASON_KEYS:
            text = condition.get(key)
            if not isinstance(text, str):
                raise RuleSetError(f"{where}: {key!r} must be text")
            for ref in _PLACEHOLDER.findall(text):
                _check_ref(ref, f"{where}: {key!r}")
        if condition.get("on_fail", "reject") not in ("reject", "manual_review"):
            raise RuleSetError(f"{where}: on_fail must be reject or manual_review")
        requires = condition.get("requires", [])
        if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
            raise RuleSetError(f"{where}: 'requires' must be a list of condition ids")
        for required in requires:
            if required not in seen:
                raise RuleSetError(f"{where} requires a later or unknown {required!r}")
        _check_check(condition["check"], where, 0)
        seen.add(cid)


def _check_check(check: Any, where: str, depth: int) -> None:
    if depth > MAX_CHECK_DEPTH:
        raise RuleSetError(f"{where}: checks are nested more than {MAX_CHECK_DEPTH} deep")
    if not isinstance(check, dict):
        raise RuleSetError(f"{where}: a check must be an object")
    kinds = [kind for kind in _CHECK_KEYS if kind in check]
    if len(kinds) != 1:
        raise RuleSetError(f"{where}: a check needs exactly one of {', '.join(_CHECK_KEYS)}")
    kind = kinds[0]
    unexpected = sorted(set(check) - _CHECK_KEYS[kind])
    if unexpected:
        raise RuleSetError(f"{where}: unexpected {', '.join(map(repr, unexpected))} in a {kind!r} check")
    if kind == "lookup":
        for key in ("lookup", "as"):
            if not isinstance(check.get(key), str) or not check[key] or "." in check[key]:
                raise RuleSetError(f"{where}: a lookup needs {key!r} (a name without dots)")
        _check_ref(check.get("key"), where)
    elif kind in ("any", "all"):
        if not isinstance(check[kind], list) or not check[kind]:
            raise RuleSetError(f"{where}: {kind!r} needs a non-empty list of checks")
        for sub in check[kind]:
            _check_check(sub, where, depth + 1)
    elif kind == "not":
        _check_check(check["not"], where, depth + 1)
    elif kind == "earlier":
        outcomes = check["earlier"]
        if (
            not isinstance(outcomes, list)
            or not outcomes
            or not all(isinstance(o, str) and o in OUTCOMES for o in outcomes)
        ):
            raise RuleSetError(
                f"{where}: 'earlier' needs a list of outcomes from {', '.join(sorted(OUTCOMES))}"
            )
        same = check.get("same", [])
        if not isinstance(same, list) or not all(isinstance(r, str) and r.startswith("form.") for r in same):
            raise RuleSetError(f"{where}: 'same' must be a list of form.<key> references")
        for ref in same:
            _check_ref(ref, where)
    else:
        _check_comparison(check, where)


def _check_comparison(check: dict[str, Any], where: str) -> None:
    _check_ref(check["ref"], where)
    op = check.get("op")
    if not isinstance(op, str) or op not in OPERATORS:
        raise RuleSetError(f"{where}: unknown operator {op!r} (known: {', '.join(sorted(OPERATORS))})")
    if op in UNARY_OPERATORS:
        if {"value", "other", "plus"} & set(check):
            raise RuleSetError(f"{where}: {op!r} compares nothing: no value, other or plus")
        return
    if ("value" in check) == ("other" in check):
        raise RuleSetError(f"{where}: {op!r} needs either a 'value' or an 'other' reference")
    if "other" in check:
        _check_ref(check["other"], where)
    value = check.get("value")
    if isinstance(value, dict):
        by_sex = value.get("by_sex")
        if set(value) != {"by_sex"} or not isinstance(by_sex, dict) or set(by_sex) != {"male", "female"}:
            raise RuleSetError(f"{where}: an object value must be {{'by_sex': {{'male': .., 'female': ..}}}}")
    elif op in ("in", "not_in") and "value" in check and not isinstance(value, list):
        raise RuleSetError(f"{where}: {op!r} needs a list value")
    if "plus" in check:
        if op not in NUMBER_OPERATORS:
            raise RuleSetError(f"{where}: 'plus' goes with ge, gt, le or lt only")
        _check_ref(check["plus"], where)


def _check_ref(ref: Any, where: str) -> None:
    """Refuse a reference the engine cannot resolve."""
    if not isinstance(ref, str):
        raise RuleSetError(f"{where}: a reference must be text")
    head, _, rest = ref.partition(".")
    alias, _, _name = rest.partition(".")
    known = (
        (head in ("identity", "form") and bool(rest))
        or (head == "record" and bool(alias))
        or (head == "derived" and rest in ("age", "sex"))
        or (head == "earlier" and (rest == "decided_on" or (rest.startswith("sum.") and len(rest) > 4)))
    )
    if not known:
        raise RuleSetError(f"{where}: unknown reference {ref!r}")
