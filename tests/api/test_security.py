"""Who may read configuration, what it shows, and who may act on a handoff (docs/SECURITY.md)."""

import pytest

from slawatch.leads.models import Handoff
from slawatch.people.models import Team
from tests.factories import PersonFactory
from tests.quality import world
from tests.quality.world import api, assign, policy, user_for

API = "/api/v1"
HOOK = "https://hooks.slack.com/services/T1/B2/secret-part"


@pytest.fixture
def org(cast, django_user_model):
    cast.team.slack_webhook_url = HOOK
    cast.team.save()
    return world.make_org(cast, django_user_model)


@pytest.mark.parametrize("path", ["teams/", "calendars/", "policies/"])
def test_reps_and_users_without_a_role_cannot_read_configuration(org, django_user_model, path):
    nobody = django_user_model.objects.create_user("nobody", password="pw")
    assert api(org.rep_user).get(f"{API}/{path}").status_code == 403
    assert api(nobody).get(f"{API}/{path}").status_code == 403
    assert api(org.revops_user).get(f"{API}/{path}").status_code == 200


def test_the_webhook_url_is_write_only(org):
    for user in (org.manager_user, org.marketer_user, org.revops_user, org.root):
        response = api(user).get(f"{API}/teams/{org.team.pk}/")
        assert response.status_code == 200, user
        assert "slack_webhook_url" not in response.json()
        assert response.json()["slack_webhook_url_set"] is True
        assert "secret-part" not in api(user).get(f"{API}/teams/").content.decode()
    assert api(org.root).get(f"{API}/teams/{org.west.pk}/").json()["slack_webhook_url_set"] is False
    schema = api(org.root).get(f"{API}/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    team_read = schema.json()["components"]["schemas"]["Team"]["properties"]
    assert "slack_webhook_url" not in team_read and "slack_webhook_url_set" in team_read


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:6379/", "http://169.254.169.254/latest/meta-data/",
    "https://hooks.example.com/T1/B2", "http://hooks.slack.com/services/x",
    "https://10.0.0.5/hook"])
def test_a_webhook_url_outside_the_outbound_policy_is_a_400(org, settings, url):
    settings.SLAWATCH_OUTBOUND_ALLOWED_HOSTS = ()
    client = api(org.root)
    response = client.post(f"{API}/teams/", {"name": "New", "slack_webhook_url": url},
                           format="json")
    assert response.status_code == 400
    assert "SLAWATCH_OUTBOUND_ALLOWED_HOSTS" in str(response.data["slack_webhook_url"])
    response = client.patch(f"{API}/teams/{org.team.pk}/", {"slack_webhook_url": url},
                            format="json")
    assert response.status_code == 400
    assert Team.objects.get(pk=org.team.pk).slack_webhook_url == HOOK
    assert not Team.objects.filter(name="New").exists()


def test_allow_listed_hosts_and_slack_hooks_are_accepted(org, settings):
    settings.SLAWATCH_OUTBOUND_ALLOWED_HOSTS = ("chat.internal",)
    client = api(org.root)
    for url in (HOOK, "http://chat.internal:8080/hook"):
        response = client.patch(f"{API}/teams/{org.team.pk}/", {"slack_webhook_url": url},
                                format="json")
        assert response.status_code == 200, response.data
        assert Team.objects.get(pk=org.team.pk).slack_webhook_url == url


@pytest.fixture
def handoff(org):
    policy()
    assign("L-1", "rep-7")  # Rita Rep, team East
    return Handoff.objects.get(lead__external_id="L-1")


def _ack(user, handoff):
    return api(user).post(f"{API}/handoffs/{handoff.pk}/acknowledge/")


def test_the_rep_acknowledges_their_own_handoff_through_the_api(org, handoff):
    assert _ack(org.rep_user, handoff).status_code == 200
    handoff.refresh_from_db()
    assert handoff.acknowledged_by == "Rita Rep"


def test_a_manager_on_the_team_who_is_not_its_manager_is_refused(org, handoff,
                                                                 django_user_model):
    """Same rule as Slack and the board: seeing a handoff is not the right to act on it."""
    other = PersonFactory(name="Mo Manager", role="manager", team=org.team)
    response = _ack(user_for(other, django_user_model, "mo"), handoff)
    assert response.status_code == 403
    assert response.json()["detail"].startswith("Only the handoff's rep, the team's manager")
    handoff.refresh_from_db()
    assert handoff.acknowledged_at is None


def test_marketing_and_other_teams_cannot_acknowledge(org, handoff):
    assert _ack(org.marketer_user, handoff).status_code == 403
    assert _ack(org.west_manager_user, handoff).status_code == 404  # not even visible
    assert _ack(org.rep2_user, handoff).status_code == 404
    assert _ack(org.manager_user, handoff).status_code == 200


@pytest.mark.parametrize("to", ["west_rep", "revops", "marketer"])
def test_reassign_names_nobody_outside_the_managers_scope(org, handoff, to):
    """`to` is a person id; a manager sees the people of their teams only (people/), so an
    id outside them is "does not exist", not a refusal that names the person and their
    role. The handoff stays with its rep."""
    target = getattr(org, to)
    response = api(org.manager_user).post(f"{API}/handoffs/{handoff.pk}/reassign/",
                                          {"to": target.pk}, format="json")
    assert response.status_code == 400
    assert target.name not in response.content.decode()
    assert "does not exist" in response.json()["to"][0]
    handoff.refresh_from_db()
    assert handoff.closed_at is None and handoff.rep == org.rep


def test_snooze_and_reassign_of_another_teams_handoff_are_404(org, handoff):
    for verb, body in (("snooze", {"minutes": 30}), ("reassign", {"to": org.west_rep.pk})):
        for user in (org.west_manager_user, org.west_rep_user, org.rep2_user):
            response = api(user).post(f"{API}/handoffs/{handoff.pk}/{verb}/", body,
                                      format="json")
            assert response.status_code == 404, (verb, user)
    assert api(org.marketer_user).post(f"{API}/handoffs/{handoff.pk}/snooze/", {"minutes": 30},
                                       format="json").status_code == 403
    handoff.refresh_from_db()
    assert handoff.snoozed_until is None and handoff.closed_at is None


@pytest.mark.parametrize("path", ["definitions/", "what-if/", "spend/", "policies/"])
def test_a_json_body_over_the_upload_limit_is_refused_and_stores_nothing(org, settings, path):
    """DRF (3.15+) reads JSON and form bodies through request.body, so Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE applies (400); the CSV imports, which read the stream
    themselves, check it on their own (tests/economics/test_security.py)."""
    from slawatch.definitions.models import LeadDefinition

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"name": "x" * 2000, "default_heat": "warm", "crm_heat": "ignore", "rules": []}
    response = api(org.root).post(f"{API}/{path}", body, format="json")
    assert response.status_code == 400
    assert not LeadDefinition.objects.exists()
    small = api(org.root).post(f"{API}/definitions/", {**body, "name": "short"}, format="json")
    assert small.status_code == 201
