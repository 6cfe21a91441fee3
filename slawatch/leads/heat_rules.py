"""Heat rules: the pure half of a lead definition (no Django here).

A definition is an ordered list of rules; the first rule whose conditions all hold
decides the heat, else the definition's default heat. With `crm_heat = "prefer"` a
heat sent by the CRM (Salesforce Rating, the HubSpot heat property, the generic
event's `heat`) wins over the rules; with `"ignore"` the rules always decide.

    {"heat": "hot", "when": [{"field": "source", "op": "in", "value": ["demo_request"]},
                             {"field": "score", "op": "gte", "value": 80}]}

A condition reads one field of the lead: `source`, `campaign`, `score`,
`email_domain`, `country`, or any CRM property name. Comparisons of text ignore case
and surrounding spaces; a numeric text ("80") equals the number 80. A field that is
missing (or empty) satisfies only `exists: false`: every other operator is false on
it, `ne` and `not_in` included, so a rule never fires on data the CRM did not send.

`validate_rules` checks a proposed list and says which rule and which field is wrong;
`decide_heat` is what the derivation (and any replay) calls for one lead.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from slawatch.leads.events import HEATS

BUILTIN_FIELDS = ("source", "campaign", "score", "email_domain", "country")
OPS = ("eq", "ne", "in", "not_in", "gte", "lte", "contains", "exists")
# Whether a heat sent by the CRM wins over the rules (definitions.models.CrmHeat).
PREFER, IGNORE = "prefer", "ignore"
MAX_RULES = 200
MAX_CONDITIONS = 20
MAX_VALUES = 200
MAX_TEXT = 500
MAX_FIELD = 100


class RuleError(ValueError):
    """A rule is malformed. `index` is the rule's position (0-based), `field` the field
    of the faulty condition (or the rule's own key, e.g. "heat"); the message says both."""

    def __init__(self, index: int | None, field: str | None, message: str):
        self.index, self.field = index, field
        where = f"rule {index}" if index is not None else "rules"
        if field:
            where += f" (field {field!r})"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Definition:
    """One version of the lead definition as the derivation needs it."""

    version: int | None
    default_heat: str
    crm_heat: str = PREFER
    rules: tuple = ()
    effective_from: datetime | None = None
    fields: frozenset = field(default=frozenset(), compare=False)

    @classmethod
    def build(cls, *, version, default_heat, crm_heat, rules, effective_from=None):
        rules = tuple(validate_rules(rules))
        return cls(version=version, default_heat=default_heat, crm_heat=crm_heat, rules=rules,
                   effective_from=effective_from, fields=frozenset(fields_read(rules)))

    def decide(self, lead_fields: Mapping, crm_heat: str | None) -> str:
        return decide_heat(self.rules, self.default_heat, self.crm_heat, lead_fields, crm_heat)


def definition_at(definitions: Sequence[Definition], instant: datetime) -> Definition | None:
    """The definition in force at `instant`: the one with the latest effective_from not
    after it (`definitions` sorted by effective_from). None before the first one."""
    starts = [d.effective_from for d in definitions]
    position = bisect_right(starts, instant)
    return definitions[position - 1] if position else None


# --- validation ------------------------------------------------------------

def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_scalar(value) -> bool:
    return isinstance(value, (str, bool)) or _is_number(value)


def _check_text(value, index, name):
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise RuleError(index, name, f"a value is longer than {MAX_TEXT} characters")
    if isinstance(value, str) and "\x00" in value:  # PostgreSQL's jsonb cannot hold it
        raise RuleError(index, name, "a value cannot contain NUL (\\u0000)")


def _validate_value(op, value, index, name):
    if op == "exists":
        if not isinstance(value, bool):
            raise RuleError(index, name, "exists takes true or false")
    elif op in ("in", "not_in"):
        if not isinstance(value, list) or not value or len(value) > MAX_VALUES \
                or not all(_is_scalar(v) for v in value):
            raise RuleError(index, name, f"{op} takes a non-empty list (at most {MAX_VALUES}) "
                                         "of strings, numbers or booleans")
        for item in value:
            _check_text(item, index, name)
    elif op in ("gte", "lte"):
        if not _is_number(value):
            raise RuleError(index, name, f"{op} takes a number")
    elif op == "contains":
        if not isinstance(value, str) or not value.strip():
            raise RuleError(index, name, "contains takes a non-empty string")
        _check_text(value, index, name)
    else:  # eq, ne
        if not _is_scalar(value):
            raise RuleError(index, name, f"{op} takes a string, number or boolean")
        _check_text(value, index, name)


def _validate_condition(condition, index) -> dict:
    if not isinstance(condition, Mapping):
        raise RuleError(index, None, "each condition must be an object with field, op, value")
    name = condition.get("field")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_FIELD:
        raise RuleError(index, str(name)[:MAX_FIELD] if name is not None else None,
                        f"field must be a non-empty name of at most {MAX_FIELD} characters")
    name = name.strip()
    if "\x00" in name:
        raise RuleError(index, None, "field cannot contain NUL (\\u0000)")
    unknown = set(condition) - {"field", "op", "value"}
    if unknown:
        raise RuleError(index, name, f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    op = condition.get("op")
    if op not in OPS:
        raise RuleError(index, name, f"op {str(op)[:40]!r} is not one of {', '.join(OPS)}")
    if "value" not in condition:
        raise RuleError(index, name, f"{op} needs a value")
    _validate_value(op, condition["value"], index, name)
    return {"field": name, "op": op, "value": condition["value"]}


def validate_rules(rules) -> list[dict]:
    """The rules, normalized (field names stripped), or RuleError naming the rule index and
    the field at fault. An empty list is valid: every lead gets the default heat."""
    if not isinstance(rules, list):
        raise RuleError(None, None, "must be a list of rules")
    if len(rules) > MAX_RULES:
        raise RuleError(None, None, f"at most {MAX_RULES} rules")
    out = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            raise RuleError(index, None, "must be an object with heat and when")
        unknown = set(rule) - {"heat", "when"}
        if unknown:
            raise RuleError(index, None, f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        if rule.get("heat") not in HEATS:
            raise RuleError(index, "heat", f"heat {str(rule.get('heat'))[:40]!r} is not one of "
                                           f"{', '.join(HEATS)}")
        when = rule.get("when")
        if not isinstance(when, list) or not when:
            raise RuleError(index, "when", "a rule needs at least one condition")
        if len(when) > MAX_CONDITIONS:
            raise RuleError(index, "when", f"at most {MAX_CONDITIONS} conditions per rule")
        out.append({"heat": rule["heat"],
                    "when": [_validate_condition(c, index) for c in when]})
    return out


def fields_read(rules) -> set[str]:
    """Every field some rule reads: a change of one of them may change the heat."""
    return {c["field"] for rule in rules for c in rule["when"]}


# --- evaluation ------------------------------------------------------------

def _number(value) -> float | None:
    if _is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _norm(value) -> str:
    """One spelling per value: booleans as true/false, numbers canonical, text folded."""
    if isinstance(value, bool):
        return "true" if value else "false"
    number = _number(value)
    if number is not None:
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value).strip().casefold()


def _missing(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def condition_holds(condition: Mapping, lead_fields: Mapping) -> bool:
    op, expected = condition["op"], condition["value"]
    actual = lead_fields.get(condition["field"])
    if op == "exists":
        return (not _missing(actual)) is expected
    if _missing(actual):
        return False
    if op in ("gte", "lte"):
        number = _number(actual)
        if number is None:
            return False
        return number >= expected if op == "gte" else number <= expected
    if op == "contains":
        return expected.strip().casefold() in _norm(actual)
    if op in ("in", "not_in"):
        found = _norm(actual) in {_norm(v) for v in expected}
        return found if op == "in" else not found
    equal = _norm(actual) == _norm(expected)
    return equal if op == "eq" else not equal


def matching_rule(rules: Sequence[Mapping], lead_fields: Mapping) -> int | None:
    """The index of the first rule whose conditions all hold, or None."""
    for index, rule in enumerate(rules):
        if all(condition_holds(c, lead_fields) for c in rule["when"]):
            return index
    return None


def decide_heat(rules: Sequence[Mapping], default_heat: str, crm_heat_mode: str,
                lead_fields: Mapping, crm_heat: str | None) -> str:
    """The heat of one lead: the CRM's own heat when the mode is `prefer` and it sent one;
    else the first matching rule's heat; else the default. `rules` must be validated."""
    if crm_heat_mode == PREFER and crm_heat in HEATS:
        return crm_heat
    index = matching_rule(rules, lead_fields)
    return rules[index]["heat"] if index is not None else default_heat


def lead_fields(*, source=None, campaign=None, score=None, email=None,
                properties: Mapping | None = None) -> dict:
    """What rules read, from a lead's stored attributes and its CRM properties. A property
    named like a built-in field (say `country`) supplies it; the lead's own attribute wins
    where it has one."""
    out = dict(properties or {})
    domain = email.rsplit("@", 1)[1].strip().lower() if email and "@" in email else None
    for name, value in (("source", source), ("campaign", campaign), ("score", score),
                        ("email_domain", domain)):
        if not _missing(value):
            out[name] = value
    return out
