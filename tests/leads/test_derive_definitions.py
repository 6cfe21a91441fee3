"""The derivation under lead definitions (pure, no database): the definition in force when a
handoff starts decides its heat from the lead's fields and properties as of that instant;
a rule-field change before the first touch re-tiers with due = the earlier of old and new;
the result depends only on the set of events, never on their order."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from slawatch.clock import BusinessCalendar
from slawatch.leads import derive as d
from slawatch.leads.heat_rules import Definition

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MINUTES = {"hot": 15, "warm": 60, "cold": 240}
RULES = [
    {"heat": "cold", "when": [{"field": "email_domain", "op": "eq", "value": "student.edu"}]},
    {"heat": "hot", "when": [{"field": "form", "op": "eq", "value": "demo_request"}]},
    {"heat": "hot", "when": [{"field": "score", "op": "gte", "value": 80}]},
]
V1 = Definition.build(version=1, default_heat="warm", crm_heat="ignore", rules=RULES,
                      effective_from=T0)


def _policy(heat, team_id):
    return {"policy_id": heat, "heat": heat, "first_touch_minutes": MINUTES[heat],
            "follow_up_touches": 0, "follow_up_window_minutes": 0, "touch_kinds": [],
            "steps": [], "calendar": None}


def _ctx(definitions=(V1,)):
    return d.Context(crm="acme", now=T0 + timedelta(hours=6), default_heat="warm",
                     person_for_owner=lambda crm, owner: {"rep-7": 7, "rep-8": 8}.get(owner),
                     team_of=lambda person: None, policy_for=_policy,
                     calendar_for=lambda spec: BusinessCalendar(always_open=True),
                     definitions=tuple(definitions))


def _fact(key, type_, minute, touch=None, **lead):
    data = {"lead": lead}
    if touch:
        data["touch"] = touch
    return d.Fact(key, type_, T0 + timedelta(minutes=minute), data)


def _first(plan):
    handoff = plan.handoffs[0]
    return handoff.heat, handoff.first_touch_due_at, handoff.definition_version


def test_rules_decide_the_heat_of_a_handoff_opened_under_the_definition():
    plan = d.derive([_fact("a", "lead.assigned", 5, owner="rep-7",
                           properties={"form": "demo_request"})], _ctx())
    assert _first(plan) == ("hot", T0 + timedelta(minutes=20), 1)
    assert plan.attrs["heat"] == "hot" and plan.attrs["properties"] == {"form": "demo_request"}


def test_a_handoff_opened_before_the_definition_keeps_the_crm_or_default_heat():
    later = Definition.build(version=1, default_heat="cold", crm_heat="ignore", rules=RULES,
                             effective_from=T0 + timedelta(hours=1))
    plan = d.derive([_fact("a", "lead.assigned", 5, owner="rep-7", score=95)], _ctx([later]))
    assert _first(plan) == ("warm", T0 + timedelta(minutes=65), None)


def test_crm_heat_prefer_lets_the_crm_win_and_ignore_does_not():
    facts = [_fact("a", "lead.assigned", 0, owner="rep-7", heat="cold", score=95)]
    assert _first(d.derive(facts, _ctx()))[0] == "hot"
    prefer = Definition.build(version=2, default_heat="warm", crm_heat="prefer", rules=RULES,
                              effective_from=T0)
    assert _first(d.derive(facts, _ctx([prefer])))[0] == "cold"


def test_a_rule_field_change_before_first_touch_re_tiers_to_the_earlier_due():
    facts = [_fact("a", "lead.assigned", 0, owner="rep-7", score=40),
             _fact("b", "lead.updated", 10, score=85)]
    heat, due, version = _first(d.derive(facts, _ctx()))
    assert (heat, version) == ("hot", 1)
    assert due == T0 + timedelta(minutes=25)  # 10 + 15 beats the warm 60
    # a downgrade keeps the earlier due: an upgrade never relaxes, a downgrade never helps
    facts = [_fact("a", "lead.assigned", 0, owner="rep-7", score=90),
             _fact("b", "lead.updated", 5, properties={"form": "x"}, email="k@student.edu")]
    assert _first(d.derive(facts, _ctx())) == ("cold", T0 + timedelta(minutes=15), 1)


def test_a_rule_field_change_after_the_first_touch_changes_nothing():
    touch = {"kind": "call", "at": (T0 + timedelta(minutes=5)).isoformat(), "by": "rep-7"}
    facts = [_fact("a", "lead.assigned", 0, owner="rep-7", score=40),
             _fact("t", "lead.touched", 5, touch=touch),
             _fact("b", "lead.updated", 10, score=85)]
    assert _first(d.derive(facts, _ctx())) == ("warm", T0 + timedelta(minutes=60), 1)


def test_a_field_no_rule_reads_does_not_re_tier():
    facts = [_fact("a", "lead.assigned", 0, owner="rep-7", score=40),
             _fact("b", "lead.updated", 10, properties={"industry": "retail"})]
    handoff = d.derive(facts, _ctx()).handoffs[0]
    assert (handoff.heat, handoff.milestones[0].started_at) == ("warm", T0)


def test_properties_are_last_seen_and_null_clears():
    facts = [_fact("b", "lead.updated", 30, properties={"form": "webinar", "country": None}),
             _fact("a", "lead.created", 0, properties={"form": "demo_request", "country": "DE"})]
    assert d.derive(facts, _ctx()).attrs["properties"] == {"form": "webinar"}


values = st.one_of(st.none(), st.sampled_from(["demo_request", "webinar"]), st.integers(0, 100))
updates = st.lists(st.tuples(st.integers(0, 120), st.sampled_from(["score", "form", "email"]),
                             values), max_size=6)


def _update(i, minute, name, value):
    if name == "email":
        return _fact(f"u{i}", "lead.updated", minute,
                     email="x@student.edu" if value == "demo_request" else "x@acme.com")
    if name == "score":
        return _fact(f"u{i}", "lead.updated", minute,
                     score=value if isinstance(value, int) else None)
    return _fact(f"u{i}", "lead.updated", minute, properties={"form": value})


def _state(plan):
    return (plan.attrs, [(h.handed_off_at, h.heat, h.rep_id, h.definition_version,
                          [(m.seq, m.started_at, m.due_at, m.met_at, m.breached_at)
                           for m in h.milestones]) for h in plan.handoffs])


@settings(max_examples=150, deadline=None)
@given(updates, st.integers(0, 60), st.integers(0, 120), st.booleans(), st.randoms())
def test_the_result_does_not_depend_on_event_order(changes, assigned, reassigned, touch, rnd):
    facts = [_fact("a", "lead.assigned", assigned, owner="rep-7"),
             _fact("r", "lead.assigned", reassigned, owner="rep-8")]
    facts += [_update(i, *change) for i, change in enumerate(changes)]
    if touch:
        at = (T0 + timedelta(minutes=70)).isoformat()
        facts.append(_fact("t", "lead.touched", 70, touch={"kind": "call", "at": at}))
    expected = _state(d.derive(list(facts), _ctx()))
    shuffled = list(facts)
    rnd.shuffle(shuffled)
    assert _state(d.derive(shuffled, _ctx())) == expected
    for handoff in d.derive(shuffled, _ctx()).handoffs:
        assert handoff.heat in MINUTES  # exactly one heat each
