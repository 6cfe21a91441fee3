"""The what-if page in the admin: who may open it, the prefilled form, the answer (table,
chart, totals, pager load), bad input, and the links from policies and definitions."""

import pytest

from slawatch.definitions.services import definition_create
from slawatch.leads.services import apply_events
from tests.quality import world
from tests.whatif.conftest import assigned

URL = "/admin/whatif/whatif/"


@pytest.fixture
def org(history, django_user_model):
    org = world.make_org(history.cast, django_user_model)
    apply_events([assigned(9, "2026-11-24T09:00:00Z", owner="rep-9")])  # West's
    org.hot = history.hot
    return org


def _form(**changes):
    body = {"start": "2026-11-01", "end": "2026-11-30", "group_by": "team",
            "hot-first_touch_minutes": "30", "hot-follow_up_touches": "0",
            "hot-follow_up_window_minutes": "0", "hot-calendar": "",
            "hot-steps": '[{"at_percent": 50, "notify": "rep", "channel": "slack"},'
                         ' {"at_percent": 100, "notify": "manager", "channel": "slack"}]'}
    body.update(changes)
    return body


@pytest.mark.parametrize("who, status", [("manager_user", 200), ("revops_user", 200),
                                         ("root", 200), ("rep_user", 403),
                                         ("marketer_user", 403)])
def test_the_page_is_for_managers_and_revops(client, org, who, status):
    client.force_login(getattr(org, who))
    assert client.get(URL).status_code == status


def test_the_form_is_prefilled_with_the_current_policies(client, org):
    client.force_login(org.revops_user)
    page = client.get(URL).content.decode()
    assert 'name="hot-first_touch_minutes" value="30"' in page
    assert 'name="warm-first_touch_minutes" value=""' in page  # no warm policy yet
    assert 'name="hot-propose" checked' not in page


def test_a_proposal_shows_actual_against_proposed(client, org):
    client.force_login(org.revops_user)
    response = client.post(URL, _form(**{"hot-propose": "on", "hot-first_touch_minutes": "15"}))
    assert response.status_code == 200
    page = response.content.decode()
    result = response.context["result"]
    east = next(row for row in result["rows"] if row["label"] == "East")
    # handoffs, met, breached, compliance, escalations
    assert east["actual"] == [3, 1, 2, "33.3%", 5]
    assert east["proposed"] == [3, 0, 3, "0.0%", 6]
    assert result["totals"]["proposed"][0] == 4  # West's handoff too, for RevOps
    assert "Compliance: actual vs proposed" in page and "<svg" in page
    pager = {row["label"]: row for row in result["pager_load"]}
    assert pager["Maya Manager"]["proposed"]["escalations"] == 3
    assert 'id="whatif-pager"' in page


def test_a_manager_replays_their_team_only(client, org):
    client.force_login(org.manager_user)
    result = client.post(URL, _form()).context["result"]
    assert [row["label"] for row in result["rows"]] == ["East"]


@pytest.mark.parametrize("changes, message", [
    ({"hot-propose": "on", "hot-first_touch_minutes": "0"},
     "policies[0]: first_touch_minutes: Ensure this value is greater than or equal to 1."),
    ({"hot-propose": "on", "hot-steps": "[{"}, "Hot steps: not JSON"),
    ({"start": "2026-12-01"}, "must be after start"),
])
def test_bad_input_is_a_400_with_the_message(client, org, changes, message):
    client.force_login(org.revops_user)
    response = client.post(URL, _form(**changes))
    assert response.status_code == 400
    assert any(message in error for error in response.context["errors"]), \
        response.context["errors"]
    assert "result" not in response.context


def test_the_policy_page_links_to_the_page_prefilled_with_it(client, org):
    client.force_login(org.revops_user)
    page = client.get(f"/admin/leads/slapolicy/{org.hot.pk}/change/").content.decode()
    link = f"{URL}?policy={org.hot.pk}"
    assert link in page and "Try this change on last quarter" in page
    form = client.get(link).content.decode()
    assert 'name="hot-propose" checked' in form


def test_a_draft_definition_page_links_to_the_page_with_it_picked(client, org):
    draft = definition_create(notify=False, name="Demo is hot", default_heat="warm",
                              crm_heat="ignore", rules=[])
    client.force_login(org.root)
    page = client.get(f"/admin/definitions/leaddefinition/{draft.pk}/change/").content.decode()
    link = f"{URL}?definition={draft.pk}"
    assert link in page
    form = client.get(link).content.decode()
    assert f'<option value="{draft.pk}" selected>' in form
    response = client.post(URL, _form(definition=str(draft.pk), group_by="heat"))
    assert response.status_code == 200
    # No rule matches and CRM heat is ignored: every handoff is warm (no warm policy).
    assert [row["label"] for row in response.context["result"]["rows"]] == ["Hot", "Warm"]
