"""POST handoffs/{id}/reassign/ and snooze/: the Slack buttons' rules, clear 4xx."""

import time_machine
from django.utils import timezone

from slawatch.leads.models import Handoff
from tests.quality import world

NOW = "2026-11-23 09:05:00Z"


def _handoff(org):
    world.policy()
    world.assign("L-1", "rep-7")
    return Handoff.objects.get(lead__external_id="L-1")


def _post(user, handoff, verb, **body):
    return world.api(user).post(f"/api/v1/handoffs/{handoff.pk}/{verb}/", body, format="json")


@time_machine.travel(NOW, tick=False)
def test_the_rep_may_snooze_but_not_reassign(cast, django_user_model):
    org = world.make_org(cast, django_user_model)
    handoff = _handoff(org)
    response = _post(org.rep_user, handoff, "snooze", minutes=45)
    assert response.status_code == 200
    handoff.refresh_from_db()
    assert handoff.snoozed_until == timezone.now() + timezone.timedelta(minutes=45)
    refused = _post(org.rep_user, handoff, "reassign", to=org.rep2.pk)
    assert refused.status_code == 403 and "may reassign" in refused.json()["detail"]
    assert Handoff.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_marketing_and_other_teams_cannot_act(cast, django_user_model):
    org = world.make_org(cast, django_user_model)
    handoff = _handoff(org)
    assert _post(org.marketer_user, handoff, "snooze", minutes=5).status_code == 403
    assert _post(org.west_manager_user, handoff, "reassign").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_reassign_without_to_uses_the_round_robin(cast, django_user_model):
    org = world.make_org(cast, django_user_model)
    handoff = _handoff(org)
    response = _post(org.manager_user, handoff, "reassign")
    assert response.status_code == 200 and response.json()["rep"] == org.rep2.pk
    handoff.refresh_from_db()
    assert handoff.close_reason == "reassigned"


@time_machine.travel(NOW, tick=False)
def test_bad_input_is_a_400_naming_the_field(cast, django_user_model):
    org = world.make_org(cast, django_user_model)
    handoff = _handoff(org)
    assert "minutes" in _post(org.manager_user, handoff, "snooze", minutes=0).json()
    assert "minutes" in _post(org.manager_user, handoff, "snooze").json()
    assert "to" in _post(org.manager_user, handoff, "reassign", to=999999).json()
    assert Handoff.objects.count() == 1 and Handoff.objects.get().snoozed_until is None


@time_machine.travel(NOW, tick=False)
def test_a_rep_without_an_owner_id_in_the_leads_crm_is_refused_clearly(cast, django_user_model):
    org = world.make_org(cast, django_user_model)
    handoff = _handoff(org)
    org.rep2.crm_identities.filter(crm="acme").delete()
    response = _post(org.manager_user, handoff, "reassign", to=org.rep2.pk)
    assert response.status_code == 400
    [message] = response.json()["to"]
    assert message.startswith("Ravi Rep has no acme owner id, so the lead cannot be reassigned")
    assert Handoff.objects.count() == 1
