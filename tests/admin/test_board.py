import re

import pytest
import time_machine

from slawatch.leads.models import Handoff
from tests.factories import PersonFactory
from tests.quality.world import assign, policy, user_for

BOARD = "/admin/leads/slaboard/"


@pytest.fixture
def board_data(org):
    """At 09:20: L-1 (09:00, hot 15 min) breached; L-2 (09:10) past half; L-3 (09:19) fresh;
    L-W is the other team's."""
    policy()
    with time_machine.travel("2026-11-23 09:20:00Z", tick=False):
        leads = {key: assign(key, owner, at=at) for key, owner, at in [
            ("L-1", "rep-7", "2026-11-23T09:00:00Z"), ("L-2", "rep-8", "2026-11-23T09:10:00Z"),
            ("L-3", "rep-7", "2026-11-23T09:19:00Z"), ("L-W", "rep-9", "2026-11-23T09:00:00Z")]}
    return leads


def rows(response):
    return [(r["handoff"].lead.external_id, r["state"]) for r in response.context["rows"]]


@time_machine.travel("2026-11-23 09:20:00Z", tick=False)
def test_board_orders_unacknowledged_breaches_first_then_by_time_left(org, board_data, login):
    Handoff.objects.filter(lead=board_data["L-3"]).update(
        status="breached", breached_at="2026-11-23T09:34:00Z")  # a breach due later comes first
    response = login(org.manager_user).get(BOARD)
    assert response.status_code == 200
    assert rows(response) == [("L-1", "breach"), ("L-3", "ok"), ("L-2", "warn")]
    html = response.content.decode()
    assert html.count('<svg class="report-chart"') == 3
    assert 'data-due="2026-11-23T09:34:00+00:00"' in html  # L-3, counted down by the page's JS


@time_machine.travel("2026-11-23 09:20:00Z", tick=False)
def test_board_is_for_managers_and_revops_only(org, board_data, login):
    assert login(org.rep_user).get(BOARD).status_code == 403
    assert login(org.marketer_user).get(BOARD).status_code == 403
    assert [k for k, _ in rows(login(org.revops_user).get(BOARD))] == ["L-1", "L-W", "L-2", "L-3"]
    assert login(org.manager_user).get("/admin/board/").url == BOARD
    assert login(org.manager_user).get("/admin/").url == "/admin/board/"  # their home
    index = login(org.manager_user).get("/admin/", {"models": 1}).content.decode()
    assert BOARD in index


@time_machine.travel("2026-11-23 09:20:00Z", tick=False)
def test_acknowledge_from_the_board_takes_the_breach_off_the_top(org, board_data, login):
    client = login(org.manager_user)
    handoff = Handoff.objects.get(lead=board_data["L-1"])
    response = client.post(BOARD, {"action": "acknowledge", "handoff": handoff.pk}, follow=True)
    handoff.refresh_from_db()
    assert handoff.acknowledged_at is not None and handoff.acknowledged_by == "Maya Manager"
    unacked = [r["handoff"].lead.external_id for r in response.context["rows"]
               if r["unacked_breach"]]
    assert unacked == []
    assert "Acknowledged Lead L-1" in response.content.decode()


@time_machine.travel("2026-11-23 09:20:00Z", tick=False)
def test_a_manager_cannot_act_on_another_teams_handoff(org, board_data, login):
    west = Handoff.objects.get(lead=board_data["L-W"])
    response = login(org.manager_user).post(BOARD, {"action": "acknowledge", "handoff": west.pk},
                                            follow=True)
    assert "not yours to act on" in response.content.decode()
    west.refresh_from_db()
    assert west.acknowledged_at is None


@time_machine.travel("2026-11-23 09:20:00Z", tick=False)
def test_reassign_from_the_board_opens_a_handoff_for_the_chosen_rep(org, board_data, login):
    client = login(org.manager_user)
    handoff = Handoff.objects.get(lead=board_data["L-3"])
    page = client.get(BOARD).content.decode()
    assert re.search(rf'name="handoff" value="{handoff.pk}">\s*<select name="rep"', page)
    client.post(BOARD, {"action": "reassign", "handoff": handoff.pk, "rep": org.rep2.pk})
    handoffs = Handoff.objects.filter(lead=board_data["L-3"]).order_by("handed_off_at")
    assert [(h.rep, h.close_reason) for h in handoffs] == [(org.rep, "reassigned"), (org.rep2, "")]
    # The West rep is not the East manager's to hand work to, nor to learn the name of.
    response = client.post(BOARD, {"action": "reassign", "handoff": handoffs[1].pk,
                                   "rep": org.west_rep.pk}, follow=True)
    assert "Choose a rep of the handoff" in response.content.decode()
    assert "Wendy Westrep" not in response.content.decode()
    assert Handoff.objects.filter(lead=board_data["L-3"]).count() == 2


@time_machine.travel("2026-11-23 09:20:00Z", tick=False)
def test_charts_aggregate_the_last_30_days(org, board_data, login):
    Handoff.objects.filter(lead=board_data["L-2"]).update(status="met", speed_to_lead_seconds=300)
    Handoff.objects.filter(lead=board_data["L-3"]).update(status="met", speed_to_lead_seconds=900)
    data = login(org.manager_user).get(BOARD).context["chart_data"]
    assert data["compliance"][-1] == ("23 Nov", 0.6667)
    assert data["compliance"][0][1] is None  # no handoffs that day: a gap, not 0 %
    assert dict(data["speed_by_heat"]) == {"Hot": 10.0, "Warm": None, "Cold": None}
    assert data["breaches_by_rep"] == [("Rita Rep", 1)]


@time_machine.travel("2026-11-23 09:20:00Z", tick=False)
def test_board_figures_are_the_reports_figures_for_the_same_range(org, board_data, login):
    """One KPI layer: the board's speed is the report's median (not a mean), its
    compliance and breaches the report's, for the same 30 days and the same scope."""
    for key, seconds in (("L-1", 60), ("L-2", 120), ("L-3", 900)):  # mean 6 min, median 2
        Handoff.objects.filter(lead=board_data[key]).update(status="met",
                                                            speed_to_lead_seconds=seconds)
    Handoff.objects.filter(lead=board_data["L-1"]).update(status="breached")
    client = login(org.manager_user)
    data = client.get(BOARD).context["chart_data"]
    query = "start=2026-10-24T09:20:00Z&end=2026-11-23T09:20:00Z"
    by_heat = {r["label"]: r for r in
               client.get(f"/api/v1/reports/sla/?group_by=heat&{query}").json()["rows"]}
    assert dict(data["speed_by_heat"])["Hot"] == by_heat["Hot"]["speed_to_lead_median_minutes"] == 2.0
    by_day = client.get(f"/api/v1/reports/sla/?group_by=day&{query}").json()["rows"]
    assert [(r["key"], r["compliance"]) for r in by_day] == [("2026-11-23", 0.6667)]
    assert data["compliance"][-1] == ("23 Nov", 0.6667)
    by_rep = client.get(f"/api/v1/reports/sla/?group_by=rep&{query}").json()["rows"]
    assert data["breaches_by_rep"] == [(r["label"], r["breached"]) for r in by_rep if r["breached"]]


@time_machine.travel("2026-11-23 09:20:00Z", tick=False)
def test_a_manager_of_the_team_who_is_not_its_manager_cannot_act(org, board_data, login,
                                                                  django_user_model):
    """The board applies the same rule as Slack and the API (access.handoff_rules): a
    second manager on team East sees the team's board but only its manager and escalation
    contact (and RevOps) may act."""

    other = PersonFactory(name="Mo Manager", role="manager", team=org.team)
    client = login(user_for(other, django_user_model, "mo"))
    handoff = Handoff.objects.get(lead=board_data["L-1"])
    page = client.get(BOARD)
    assert [k for k, _ in rows(page)][:1] == ["L-1"]
    assert not any(r["may_acknowledge"] or r["reassign_to"] for r in page.context["rows"])
    response = client.post(BOARD, {"action": "acknowledge", "handoff": handoff.pk}, follow=True)
    assert "Only the handoff&#x27;s rep, the team&#x27;s manager" in response.content.decode()
    client.post(BOARD, {"action": "reassign", "handoff": handoff.pk, "rep": org.rep2.pk})
    handoff.refresh_from_db()
    assert handoff.acknowledged_at is None and handoff.closed_at is None
