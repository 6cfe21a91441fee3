"""Stored leads under an active definition: heat from rules, definition_version on the
handoffs API, properties on the leads API; and the admin preview's counts against a plain
computation over the same leads."""

import json

import pytest
import time_machine

from slawatch.definitions import selectors, services
from slawatch.definitions.models import LeadDefinition
from slawatch.leads.models import Handoff, Lead
from slawatch.leads.services import apply_events
from tests.definitions.conftest import HOT_RULES
from tests.factories import PolicyFactory, at, event
from tests.ingest.signing import generic_headers
from tests.quality.world import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def policies(db):
    for heat, minutes in (("hot", 15), ("warm", 60), ("cold", 240)):
        PolicyFactory(heat=heat, first_touch_minutes=minutes)


def _activate(org, when, **overrides):
    body = {"name": "signed", "default_heat": "warm", "crm_heat": "ignore", "rules": HOT_RULES,
            **overrides}
    with time_machine.travel(when, tick=False):
        definition = services.definition_create(by=org.revops_user, **body)
        services.definition_approve(definition=definition, user=org.manager_user)
        return services.definition_approve(definition=definition, user=org.marketer_user)


def test_handoffs_opened_after_activation_take_heat_from_the_rules(org, policies):
    with time_machine.travel(at("2026-11-23 08:00"), tick=False):
        apply_events([event("e1", "lead.assigned", "2026-11-23T08:00:00Z", external_id="OLD",
                            owner="rep-7", properties={"form": "demo_request"})])
    _activate(org, at("2026-11-23 08:30"))
    with time_machine.travel(at("2026-11-23 09:05"), tick=False):
        apply_events([event("e2", "lead.assigned", "2026-11-23T09:00:00Z", external_id="NEW",
                            owner="rep-7", heat="cold",
                            properties={"form": "demo_request", "paid": True})])
    old = Handoff.objects.get(lead__external_id="OLD")
    new = Handoff.objects.get(lead__external_id="NEW")
    assert (old.heat, old.definition_version) == ("warm", None)  # judged before v1 existed
    assert (new.heat, new.definition_version) == ("hot", 1)      # CRM's cold ignored
    assert new.first_touch_due_at == at("2026-11-23 09:15")
    rows = {h["lead"]["external_id"]: h for h in
            api(org.root).get("/api/v1/handoffs/").json()["results"]}
    assert rows["NEW"]["definition_version"] == 1 and rows["OLD"]["definition_version"] is None
    lead = api(org.root).get("/api/v1/leads/", {"external_id": "NEW"}).json()["results"][0]
    assert lead["properties"] == {"form": "demo_request", "paid": True}
    assert lead["heat"] == "hot" and lead["crm_heat"] == "cold"


def test_a_generic_event_with_bad_properties_is_a_400_and_stores_nothing(org, client, settings):
    body = json.dumps({"event_id": "p1", "type": "lead.updated", "crm": "acme",
                       "occurred_at": "2026-11-23T09:00:00Z",
                       "lead": {"external_id": "L", "properties": {"score": {"x": 1}}}}).encode()
    settings.SLAWATCH_EVENTS_SECRET = "s3cret"
    response = client.post("/webhooks/events/", body, content_type="application/json",
                           **generic_headers("s3cret", body))
    assert response.status_code == 400
    assert "lead.properties.score" in response.json()["error"]
    assert not Lead.objects.exists()


def _plain_counts(definition, leads):
    """The preview's figures computed the obvious way, one lead at a time."""
    was, would = {}, {}
    for lead in leads:
        fields = dict(lead.properties)
        if lead.score is not None:
            fields["score"] = lead.score
        if lead.source:
            fields["source"] = lead.source
        if "@" in lead.email:
            fields["email_domain"] = lead.email.split("@")[1].lower()
        heat = definition.default_heat
        for rule in definition.rules:
            if all(_holds(c, fields) for c in rule["when"]):
                heat = rule["heat"]
                break
        was[lead.heat or "warm"] = was.get(lead.heat or "warm", 0) + 1
        would[heat] = would.get(heat, 0) + 1
    return was, would


def _holds(condition, fields):
    value = fields.get(condition["field"])
    if value is None:
        return False
    if condition["op"] == "gte":
        return float(value) >= condition["value"]
    if condition["op"] == "eq":
        return str(value).lower() == str(condition["value"]).lower()
    if condition["op"] == "in":
        return str(value).lower() in [str(v).lower() for v in condition["value"]]
    raise AssertionError(condition)


def test_preview_counts_match_a_plain_computation(org, policies):
    now = at("2026-11-23 12:00")
    specs = [("A", {"form": "demo_request"}, None, "a@acme.com", "hot"),
             ("B", {}, 85, "b@acme.com", None), ("C", {}, 10, "c@student.edu", "hot"),
             ("D", {"form": "webinar"}, 50, "d@acme.com", "cold"),
             ("E", {}, None, "e@gmail.com", None), ("F", {"score": "90"}, None, "f@x.org", None)]
    for i, (ext, props, score, email, heat) in enumerate(specs):
        lead = {"properties": props, "email": email}
        if score is not None:
            lead["score"] = score
        if heat:
            lead["heat"] = heat
        apply_events([event(f"c{i}", "lead.created", f"2026-11-{10 + i}T09:00:00Z",
                            external_id=ext, **lead)])
    apply_events([event("ancient", "lead.created", "2026-07-01T09:00:00Z", external_id="OLD",
                        properties={"form": "demo_request"})])  # outside the 90 days
    draft = services.definition_create(by=org.revops_user, name="draft", default_heat="warm",
                                       crm_heat="ignore", rules=HOT_RULES)
    result = selectors.preview(draft, now=now)
    in_window = Lead.objects.exclude(external_id="OLD")
    was, would = _plain_counts(draft, in_window)
    assert result.leads == 6
    assert {h: n for h, n in result.was.items() if n} == was
    assert {h: n for h, n in result.would.items() if n} == would
    assert would == {"hot": 3, "cold": 2, "warm": 1}
    rows = {row["key"]: row for row in result.rule_rows(draft)}
    assert rows[0]["count"] == 2 and {lead.external_id for lead in rows[0]["samples"]} == {"C", "E"}
    assert rows[1]["count"] == 1 and rows[2]["count"] == 2 and rows["default"]["count"] == 1
    prefer = services.definition_create(by=org.revops_user, name="prefer", default_heat="warm",
                                        crm_heat="prefer", rules=HOT_RULES)
    rows = {row["key"]: row for row in selectors.preview(prefer, now=now).rule_rows(prefer)}
    assert rows["crm"]["count"] == 3  # A, C and D sent a heat of their own


def test_diff_against_active_shows_the_changed_rule(org, policies):
    _activate(org, at("2026-11-01 09:00"))
    draft = services.definition_create(by=org.revops_user, name="v2", default_heat="cold",
                                       crm_heat="ignore", rules=HOT_RULES[1:])
    diff = "\n".join(selectors.diff_against_active(draft))
    assert "--- active v1" in diff
    assert '-  "default_heat": "warm",' in diff and '+  "default_heat": "cold",' in diff
    removed = [line for line in diff.splitlines() if line.startswith("-")]
    assert any('"email_domain"' in line for line in removed)


def test_a_future_effective_from_lets_the_previous_definition_decide_until_then(org, policies):
    _activate(org, at("2026-11-01 09:00"))  # v1: a score of 80 is hot
    lenient = [{"heat": "hot", "when": [{"field": "score", "op": "gte", "value": 50}]}]
    _activate(org, at("2026-11-10 09:00"), rules=lenient,
              effective_from=at("2026-11-20 00:00"))  # v2, signed now, deciding later
    timeline = [(d.version, d.effective_from) for d in selectors.definitions_in_force()]
    assert timeline == [(1, at("2026-11-01 09:00")), (2, at("2026-11-20 00:00"))]
    with time_machine.travel(at("2026-11-21 09:00"), tick=False):
        apply_events([event("a", "lead.assigned", "2026-11-15T09:00:00Z", external_id="EARLY",
                            owner="rep-7", score=60),
                      event("b", "lead.assigned", "2026-11-20T09:00:00Z", external_id="LATE",
                            owner="rep-7", score=60)])
    assert Handoff.objects.get(lead__external_id="EARLY").definition_version == 1
    assert Handoff.objects.get(lead__external_id="EARLY").heat == "warm"
    assert Handoff.objects.get(lead__external_id="LATE").definition_version == 2
    assert Handoff.objects.get(lead__external_id="LATE").heat == "hot"


def test_a_definition_superseded_before_it_took_effect_never_decides(org, policies):
    _activate(org, at("2026-11-01 09:00"), effective_from=at("2026-12-01 00:00"))
    _activate(org, at("2026-11-02 09:00"), name="sooner")
    first = LeadDefinition.objects.get(version=1)
    assert (first.status, first.retired_at) == ("retired", at("2026-11-02 09:00"))
    assert [d.version for d in selectors.definitions_in_force()] == [2]
