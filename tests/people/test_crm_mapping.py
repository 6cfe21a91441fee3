"""Mapping a CRM owner id to a person, from every entry point, gives waiting leads their clock.

A lead assigned to an owner id nobody holds waits unmapped (no handoff, no clock). RevOps
maps the owner in the admin (person page inline or CRM identity page) or through the API;
each path goes through the one mapping service, so the lead is derived again at once.
"""

import threading

import pytest
import time_machine
from django.db import connection

from slawatch.leads.models import Handoff, Lead
from slawatch.leads.owners import OwnerIdTaken, person_set_crm_ids
from slawatch.leads.services import apply_events
from slawatch.people.models import CrmIdentity, Person, Role
from tests.factories import PersonFactory, PolicyFactory, event

NOW = "2026-11-23 09:05:00Z"


@pytest.fixture
def waiting(cast):
    """L-9 was assigned at 09:00 to hubspot owner 999, whom no person holds yet."""
    PolicyFactory(heat="hot", first_touch_minutes=15)
    with time_machine.travel(NOW, tick=False):
        apply_events([event("w1", "lead.assigned", "2026-11-23T09:00:00Z", external_id="L-9",
                            crm="hubspot", owner="999", heat="hot")])
    lead = Lead.objects.get(external_id="L-9")
    assert lead.owner is None and not Handoff.objects.filter(lead=lead).exists()
    return lead


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))
    return client


def _inline_post(person, rows):
    """The person change form as the browser posts it, with the CRM identity inline."""
    data = {"name": person.name, "email": person.email, "role": person.role,
            "team": person.team_id or "", "time_zone": person.time_zone,
            "slack_user_id": person.slack_user_id, "is_active": "on",
            "digest_time": "08:00",
            "crm_identities-TOTAL_FORMS": str(len(rows)),
            "crm_identities-INITIAL_FORMS": str(sum(1 for r in rows if r.get("id"))),
            "crm_identities-MIN_NUM_FORMS": "0", "crm_identities-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        for key, value in {"person": person.pk, **row}.items():
            data[f"crm_identities-{i}-{key}"] = value
    return data


def _assert_clock_started(lead, person):
    lead.refresh_from_db()
    handoff = Handoff.objects.get(lead=lead)
    assert lead.owner == person and handoff.rep == person
    assert handoff.first_touch_due_at.isoformat() == "2026-11-23T09:15:00+00:00"


@time_machine.travel(NOW, tick=False)
def test_mapping_the_owner_in_the_person_inline_starts_the_waiting_leads_clock(
        cast, waiting, superuser_client, django_capture_on_commit_callbacks):
    commit_hooks = django_capture_on_commit_callbacks
    person = cast.rep2
    rows = [{"id": i.pk, "crm": i.crm, "owner_id": i.owner_id} for i in person.crm_identities.all()]
    rows = [r for r in rows if r["crm"] != "hubspot"] + [{"crm": "hubspot", "owner_id": "999"}]
    person.crm_identities.filter(crm="hubspot").delete()
    with commit_hooks(execute=True):
        response = superuser_client.post(f"/admin/people/person/{person.pk}/change/",
                                         _inline_post(person, rows))
    assert response.status_code == 302, response.content.decode()[:2000]
    _assert_clock_started(waiting, person)


@time_machine.travel(NOW, tick=False)
def test_mapping_the_owner_on_the_crm_identity_page_starts_the_waiting_leads_clock(
        cast, waiting, superuser_client, django_capture_on_commit_callbacks):
    commit_hooks = django_capture_on_commit_callbacks
    person = PersonFactory(name="Nina New", team=cast.team, role=Role.REP)
    with commit_hooks(execute=True):
        response = superuser_client.post("/admin/people/crmidentity/add/",
                                         {"person": person.pk, "crm": "hubspot", "owner_id": "999"})
    assert response.status_code == 302, response.content.decode()[:2000]
    _assert_clock_started(waiting, person)
    # Deleting the mapping there takes the clock away again: the mapping was wrong.
    identity = CrmIdentity.objects.get(crm="hubspot", owner_id="999")
    with commit_hooks(execute=True):
        response = superuser_client.post(f"/admin/people/crmidentity/{identity.pk}/delete/",
                                         {"post": "yes"})
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.owner is None


@time_machine.travel(NOW, tick=False)
def test_mapping_the_owner_through_the_api_starts_the_waiting_leads_clock(
        cast, waiting, admin_api, django_capture_on_commit_callbacks):
    commit_hooks = django_capture_on_commit_callbacks
    person = PersonFactory(name="Nina New", team=cast.team, role=Role.REP)
    with commit_hooks(execute=True):
        response = admin_api.patch(f"/api/v1/people/{person.pk}/",
                                   {"crm_ids": {"hubspot": "999"}}, format="json")
    assert response.status_code == 200, response.data
    _assert_clock_started(waiting, person)


def test_an_owner_id_held_by_another_person_is_refused_and_nothing_changes(cast, admin_api):
    person = PersonFactory(name="Nina New", team=cast.team)
    response = admin_api.patch(f"/api/v1/people/{person.pk}/",
                               {"crm_ids": {"hubspot": "81234567", "acme": "new-1"}}, format="json")
    assert response.status_code == 400
    assert "already belongs to another person (Rita Rep)" in str(response.data["crm_ids"])
    assert not person.crm_identities.exists()  # the valid half was not stored either


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_for_one_owner_id_one_wins_and_the_other_gets_owner_id_taken(cast):
    """Two requests give the same id to two people at once: one succeeds, the other is a
    clean OwnerIdTaken (a 400 in the API), never an IntegrityError (a 500)."""
    people = [PersonFactory(name=f"Racer {n}", team=cast.team) for n in range(2)]
    rounds = 20 if connection.vendor != "sqlite" else 1
    for round_ in range(rounds):
        owner_id = f"race-{round_}"
        outcomes: list[str] = []
        barrier = threading.Barrier(2)

        def claim(person):
            try:
                if connection.vendor != "sqlite":
                    barrier.wait(timeout=10)
                person_set_crm_ids(person=Person.objects.get(pk=person.pk),
                                   crm_ids={"hubspot": owner_id})
                outcomes.append("won")
            except OwnerIdTaken:
                outcomes.append("taken")
            except Exception as exc:  # anything else is the bug this test is about
                outcomes.append(repr(exc))
            finally:
                connection.close()

        if connection.vendor != "sqlite":
            threads = [threading.Thread(target=claim, args=(p,)) for p in people]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:  # SQLite serializes writers: the second sees the first's row
            for person in people:
                claim(person)
        assert sorted(outcomes) == ["taken", "won"], f"round {round_}: {outcomes}"
        assert CrmIdentity.objects.filter(crm="hubspot", owner_id=owner_id).count() == 1
