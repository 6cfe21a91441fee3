"""What-if as an insider would try it (docs/SECURITY.md, docs/WHATIF.md): it replays only
the caller's rows, and one question cannot hold a web worker for long."""

import pytest

from slawatch.leads.services import apply_events
from tests.factories import PersonFactory, TeamFactory
from tests.whatif.conftest import RANGE, assigned
from tests.whatif.test_api import URL, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def west(history):
    team = TeamFactory(name="West")
    PersonFactory(name="Walt Westrep", team=team, crm_ids={"acme": "rep-9"})
    apply_events([assigned(9, "2026-11-24T09:00:00Z", owner="rep-9")])
    return team


def test_a_user_with_no_role_replays_nothing_and_learns_no_name(api_client, history, west,
                                                                django_user_model):
    nobody = django_user_model.objects.create_user("nobody", is_staff=True)
    api_client.force_authenticate(nobody)
    body = post(api_client, {**RANGE, "group_by": "team"}).json()
    assert body["rows"] == [] and body["pager_load"] == []
    assert body["totals"]["actual"]["handoffs"] == 0


def test_a_range_with_more_handoffs_than_the_limit_is_a_400_before_any_replay(
        admin_api, history, west, settings):
    settings.SLAWATCH_WHATIF_MAX_HANDOFFS = 3  # the range holds 4
    response = post(admin_api, RANGE)
    assert response.status_code == 400
    assert "4 handoffs" in response.json()["end"][0] and "at most 3" in response.json()["end"][0]
    settings.SLAWATCH_WHATIF_MAX_HANDOFFS = 4
    assert post(admin_api, RANGE).status_code == 200


def test_a_replay_over_its_time_budget_stops_with_a_400(admin_api, history, west, settings):
    """The budget is checked between chunks of leads; a budget of 0 s is over at the first
    check, so the answer is the refusal, not a worker killed by gunicorn's timeout."""
    settings.SLAWATCH_WHATIF_SECONDS = 0
    response = post(admin_api, RANGE, format="csv")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "longer than 0 s" in response.json()["end"][0]
    settings.SLAWATCH_WHATIF_SECONDS = 30
    assert post(admin_api, RANGE).status_code == 200


def test_the_admin_page_says_the_same_when_the_range_is_too_big(client, admin_user, history,
                                                                west, settings):
    settings.SLAWATCH_WHATIF_MAX_HANDOFFS = 3
    client.force_login(admin_user)
    response = client.post("/admin/whatif/whatif/", {"start": "2026-11-01", "end": "2026-11-30",
                                                     "group_by": "team"})
    assert response.status_code == 400 and "result" not in response.context
    assert any("at most 3 can be replayed" in e for e in response.context["errors"])


def test_what_if_has_its_own_lower_rate_per_user(api_client, history, settings,
                                                 django_user_model):
    from django.core.cache import cache

    settings.SLAWATCH_API_THROTTLE_WHATIF = "2/minute"
    cache.clear()
    busy = django_user_model.objects.create_user("busy", is_staff=True)
    api_client.force_authenticate(busy)
    codes = [post(api_client, RANGE).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert api_client.get("/api/v1/handoffs/").status_code == 200  # other resources go on


def test_a_user_who_cannot_read_definitions_cannot_name_one(api_client, history,
                                                            django_user_model):
    """definitions/ needs view_leaddefinition; the what-if's `definition` must not answer
    with a definition's name and status to someone who may not read it."""
    from slawatch.definitions.services import definition_create

    draft = definition_create(name="Secret plan", rules=[], notify=False)
    nobody = django_user_model.objects.create_user("nobody", is_staff=True)
    api_client.force_authenticate(nobody)
    response = post(api_client, {**RANGE, "definition": draft.pk})
    assert response.status_code == 400 and "Secret plan" not in response.content.decode()
    assert "does not exist" in response.json()["definition"][0]


def test_the_admin_page_prefills_only_policies_the_manager_may_see(client, history,
                                                                   django_user_model):
    """`?policy=<id>` showed any team's policy (minutes, ladder) to any manager, who has
    no view permission on policies: now the defaults and their own teams' only."""
    from tests.factories import PolicyFactory
    from tests.quality import world

    org = world.make_org(history.cast, django_user_model)
    theirs = PolicyFactory(heat="hot", team=org.west, first_touch_minutes=7)
    own = PolicyFactory(heat="hot", team=org.team, first_touch_minutes=9)
    client.force_login(org.manager_user)
    form = client.get(f"/admin/whatif/whatif/?policy={theirs.pk}").context["form"]
    hot = next(block for block in form["heats"] if block["heat"] == "hot")
    assert not hot["propose"] and hot["first_touch_minutes"] == "30"  # the default's
    form = client.get(f"/admin/whatif/whatif/?policy={own.pk}").context["form"]
    hot = next(block for block in form["heats"] if block["heat"] == "hot")
    assert hot["propose"] and hot["first_touch_minutes"] == "9"
    client.force_login(org.revops_user)
    form = client.get(f"/admin/whatif/whatif/?policy={theirs.pk}").context["form"]
    assert next(b for b in form["heats"] if b["heat"] == "hot")["first_touch_minutes"] == "7"
