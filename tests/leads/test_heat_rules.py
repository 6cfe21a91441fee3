"""The pure heat-rules engine: validation names the rule and field; evaluation gives every
lead exactly one heat, first match wins, and the CRM's heat wins only under `prefer`."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slawatch.leads.events import HEATS
from slawatch.leads.heat_rules import (
    RuleError,
    condition_holds,
    decide_heat,
    lead_fields,
    matching_rule,
    validate_rules,
)

FIELDS = ["source", "campaign", "score", "email_domain", "country", "form", "is_student"]
TEXTS = ["demo_request", "webinar", "gmail.com", "DE", "de", "", "contact_us", "80"]

scalars = st.one_of(st.sampled_from(TEXTS), st.integers(-5, 120), st.booleans(),
                    st.floats(-5, 120, allow_nan=False))
conditions = st.one_of(
    st.builds(lambda f, op, v: {"field": f, "op": op, "value": v},
              st.sampled_from(FIELDS), st.sampled_from(["eq", "ne"]), scalars),
    st.builds(lambda f, op, v: {"field": f, "op": op, "value": v},
              st.sampled_from(FIELDS), st.sampled_from(["in", "not_in"]),
              st.lists(scalars, min_size=1, max_size=3)),
    st.builds(lambda f, op, v: {"field": f, "op": op, "value": v},
              st.sampled_from(FIELDS), st.sampled_from(["gte", "lte"]), st.integers(-5, 120)),
    st.builds(lambda f, v: {"field": f, "op": "contains", "value": v},
              st.sampled_from(FIELDS), st.sampled_from(["demo", "mail", "8"])),
    st.builds(lambda f, v: {"field": f, "op": "exists", "value": v},
              st.sampled_from(FIELDS), st.booleans()),
)
rules_st = st.lists(st.fixed_dictionaries({"heat": st.sampled_from(HEATS),
                                           "when": st.lists(conditions, min_size=1, max_size=3)}),
                    max_size=6)
leads_st = st.dictionaries(st.sampled_from(FIELDS), st.one_of(st.none(), scalars), max_size=6)
heats_or_none = st.one_of(st.none(), st.sampled_from(HEATS))


@settings(max_examples=300)
@given(rules_st, st.sampled_from(HEATS), st.sampled_from(["prefer", "ignore"]), leads_st,
       heats_or_none)
def test_every_lead_gets_exactly_one_heat_from_the_first_match(rules, default, mode, lead, crm):
    rules = validate_rules(rules)
    heat = decide_heat(rules, default, mode, lead, crm)
    assert heat in HEATS
    if mode == "prefer" and crm:
        assert heat == crm
        return
    matches = [i for i, r in enumerate(rules) if all(condition_holds(c, lead) for c in r["when"])]
    assert heat == (rules[matches[0]]["heat"] if matches else default)


@given(rules_st, leads_st, st.sampled_from(HEATS))
def test_a_matching_rule_put_first_decides_and_a_rule_appended_changes_nothing(rules, lead, heat):
    rules = validate_rules(rules)
    before = decide_heat(rules, "warm", "ignore", lead, None)
    catch_all = {"heat": heat, "when": [{"field": "anything", "op": "exists", "value": False}]}
    assert decide_heat([catch_all, *rules], "warm", "ignore", lead, None) == heat
    if matching_rule(rules, lead) is not None:
        assert decide_heat([*rules, catch_all], "warm", "ignore", lead, None) == before
    else:
        assert decide_heat([*rules, catch_all], "warm", "ignore", lead, None) == heat


@given(rules_st, leads_st)
def test_swapping_two_rules_matters_only_when_both_match(rules, lead):
    rules = validate_rules(rules)
    if len(rules) < 2:
        return
    swapped = [rules[1], rules[0], *rules[2:]]
    first, second = (all(condition_holds(c, lead) for c in r["when"]) for r in rules[:2])
    same = decide_heat(rules, "warm", "ignore", lead, None) == \
        decide_heat(swapped, "warm", "ignore", lead, None)
    if not (first and second):
        assert same
    elif rules[0]["heat"] != rules[1]["heat"]:
        assert not same


@given(rules_st, leads_st, st.sampled_from(HEATS))
def test_ignore_mode_never_looks_at_the_crm_heat(rules, lead, crm):
    rules = validate_rules(rules)
    assert decide_heat(rules, "cold", "ignore", lead, crm) == \
        decide_heat(rules, "cold", "ignore", lead, None)


DEMO = validate_rules([
    {"heat": "cold", "when": [{"field": "email_domain", "op": "in",
                               "value": ["gmail.com", "student.edu"]}]},
    {"heat": "hot", "when": [{"field": "source", "op": "eq", "value": "demo_request"}]},
    {"heat": "hot", "when": [{"field": "score", "op": "gte", "value": 80}]},
])


@pytest.mark.parametrize("lead,heat", [
    (lead_fields(source="Demo_Request "), "hot"),
    (lead_fields(score=80), "hot"),
    (lead_fields(score=79), "warm"),
    (lead_fields(properties={"score": "85"}), "hot"),  # numeric text compares as a number
    (lead_fields(source="demo_request", email="kid@GMAIL.com"), "cold"),  # first match wins
    (lead_fields(), "warm"),
])
def test_documented_examples(lead, heat):
    assert decide_heat(DEMO, "warm", "ignore", lead, None) == heat


def test_a_missing_field_satisfies_only_exists_false():
    for op, value in [("ne", "x"), ("not_in", ["x"]), ("eq", "x"), ("gte", 0), ("lte", 0),
                      ("contains", "x"), ("exists", True)]:
        assert not condition_holds({"field": "country", "op": op, "value": value}, {})
        assert not condition_holds({"field": "country", "op": op, "value": value},
                                   {"country": "  "})
    assert condition_holds({"field": "country", "op": "exists", "value": False}, {})


def test_booleans_and_numbers_compare_by_value():
    assert condition_holds({"field": "paid", "op": "eq", "value": True}, {"paid": "TRUE"})
    assert condition_holds({"field": "n", "op": "in", "value": [3]}, {"n": "3.0"})
    assert not condition_holds({"field": "n", "op": "gte", "value": 3}, {"n": "three"})


@pytest.mark.parametrize("rules,index,field,words", [
    ([{"heat": "hot", "when": [{"field": "score", "op": "between", "value": 3}]}],
     0, "score", "op 'between'"),
    ([{"heat": "hot", "when": [{"field": "a", "op": "eq", "value": 1}]},
      {"heat": "hot", "when": [{"field": "score", "op": "gte", "value": "80"}]}],
     1, "score", "gte takes a number"),
    ([{"heat": "hot", "when": [{"field": "source", "op": "in", "value": "demo"}]}],
     0, "source", "in takes a non-empty list"),
    ([{"heat": "hot", "when": []}], 0, "when", "at least one condition"),
    ([{"heat": "hot"}], 0, "when", "at least one condition"),
    ([{"heat": "boiling", "when": [{"field": "a", "op": "exists", "value": True}]}],
     0, "heat", "not one of hot, warm, cold"),
    ([{"heat": "hot", "when": [{"field": "a", "op": "exists", "value": "yes"}]}],
     0, "a", "exists takes true or false"),
    ([{"heat": "hot", "when": [{"field": "", "op": "eq", "value": 1}]}], 0, "", "field must"),
    ([{"heat": "hot", "when": [{"field": "a", "op": "eq"}]}], 0, "a", "needs a value"),
])
def test_bad_rules_name_the_rule_index_and_field(rules, index, field, words):
    with pytest.raises(RuleError) as caught:
        validate_rules(rules)
    assert caught.value.index == index
    assert caught.value.field == field
    assert f"rule {index}" in str(caught.value) and words in str(caught.value)


def test_rules_must_be_a_list():
    with pytest.raises(RuleError, match="must be a list"):
        validate_rules({"heat": "hot"})
