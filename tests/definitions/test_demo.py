"""The demo ships a signed, active lead definition, and its leads take their heat from it."""

import random
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from slawatch.definitions.models import LeadDefinition
from slawatch.demo import cast, history
from slawatch.escalation.models import Escalation
from slawatch.leads.heat_rules import decide_heat, lead_fields, validate_rules
from slawatch.leads.models import Handoff, Lead

pytestmark = pytest.mark.django_db


def test_demo_data_has_an_active_definition_deciding_every_heat(db, settings):
    settings.SLAWATCH_DEMO = True
    call_command("slawatch_demo_data", "--days", "8", "--per-day", "2", "--hot-minutes", "1",
                 stdout=open("/dev/null", "w"))
    definition = LeadDefinition.objects.get(status="active")
    assert definition.version == 1 and not definition.activated_alone
    assert {(a.person.name, a.side) for a in definition.approvals.all()} == {
        ("Maya Chen", "sales"), ("Mia Wong", "marketing")}
    assert not Escalation.objects.filter(kind="definition").exists()  # seeded quietly
    handoffs = Handoff.objects.select_related("lead")
    assert handoffs and all(h.definition_version == 1 for h in handoffs)
    assert not Lead.objects.exclude(crm_heat="").exists()  # the CRM sent no heat at all
    assert set(Counter(h.heat for h in handoffs)) == {"hot", "warm", "cold"}
    for handoff in handoffs:
        lead = handoff.lead
        assert lead.properties.keys() == {"form", "country"}
        assert handoff.heat == decide_heat(
            definition.rules, "warm", "ignore",
            lead_fields(source=lead.source, score=lead.score, email=lead.email,
                        properties=lead.properties), None)
    call_command("slawatch_demo_data", "--days", "8", "--per-day", "2", "--hot-minutes", "1",
                 stdout=open("/dev/null", "w"))
    assert LeadDefinition.objects.count() == 1


def test_generated_fields_give_the_intended_heat_under_the_demo_definition():
    rules = validate_rules(cast.DEFINITION["rules"])
    rng = random.Random(3)
    for heat in ("hot", "warm", "cold") * 200:
        lead = cast.lead_fields(rng, "x", heat)
        fields = lead_fields(source=lead["source"], score=lead["score"], email=lead["email"],
                             properties=lead["properties"])
        assert decide_heat(rules, "warm", "ignore", fields, None) == heat
    built = history.build(datetime(2026, 11, 23, tzinfo=UTC), days=4, per_day=1)
    assert all("heat" not in body["lead"] for lead in built for body in lead.events)
