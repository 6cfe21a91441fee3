"""Factories for the cast: reps, managers, marketers, calendars and policies."""

from datetime import UTC, datetime
from types import SimpleNamespace

import factory

from slawatch.leads.events import DomainEvent
from slawatch.leads.models import SlaPolicy
from slawatch.people.models import Calendar, CrmIdentity, Person, Role, Team


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        # The crm_ids hook writes CrmIdentity rows, not the person: nothing to save again
        # (and factory_boy stops saving after hooks in its next major release).
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.LazyAttribute(lambda p: f"{p.name.lower().replace(' ', '.')}@example.com")
    role = Role.REP
    time_zone = "America/New_York"

    @factory.post_generation
    def crm_ids(self, create, extracted, **kwargs):
        for crm, owner_id in (extracted or {}).items():
            CrmIdentity.objects.create(person=self, crm=crm, owner_id=owner_id)


class CalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Calendar

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "America/New_York"
    hours = factory.LazyFunction(
        lambda: [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)])


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy

    heat = "hot"
    first_touch_minutes = 15
    follow_up_touches = 0
    follow_up_window_minutes = 0
    steps = factory.LazyFunction(lambda: [
        {"at_percent": 50, "notify": "rep", "channel": "slack"},
        {"at_percent": 100, "notify": "manager", "channel": "slack"},
    ])


def make_cast():
    team = TeamFactory(name="East")
    manager = PersonFactory(name="Maya Manager", role=Role.MANAGER, team=team,
                            slack_user_id="UMANAGER")
    director = PersonFactory(name="Dan Director", role=Role.DIRECTOR, team=team)
    team.manager, team.escalation_contact = manager, director
    team.save()
    rep = PersonFactory(name="Rita Rep", team=team, slack_user_id="UREP1",
                        crm_ids={"acme": "rep-7", "hubspot": "81234567"})
    rep2 = PersonFactory(name="Ravi Rep", team=team, slack_user_id="UREP2",
                         crm_ids={"acme": "rep-8", "hubspot": "81234568"})
    marketer = PersonFactory(name="Mia Marketing", role=Role.MARKETING)
    return SimpleNamespace(team=team, manager=manager, director=director, rep=rep, rep2=rep2,
                           marketer=marketer)


def at(text):
    """'2026-11-23 09:00' (UTC) -> aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(event_id, type_, occurred_at, external_id="L-42", crm="acme", touch=None,
          opportunity=None, **lead):
    """A generic-format event as the CRM would post it, parsed into a DomainEvent."""
    body = {"event_id": event_id, "type": type_, "occurred_at": occurred_at, "crm": crm,
            "lead": {"external_id": external_id, **lead}}
    if touch is not None:
        body["touch"] = touch
    if opportunity is not None:
        body["opportunity"] = opportunity
    return DomainEvent.parse(body)
