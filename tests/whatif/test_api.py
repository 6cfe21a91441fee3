"""`POST /api/v1/what-if/`: the pinned shape, exact figures on a known history, CSV,
role scoping and bad input."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from slawatch.escalation.models import Escalation
from slawatch.leads.models import Handoff, LeadEvent, Milestone, SlaPolicy, Touch
from slawatch.leads.services import apply_events, handoff_acknowledge
from slawatch.access import roles
from tests.factories import CalendarFactory, PersonFactory, TeamFactory, at
from tests.whatif.conftest import RANGE, assigned, hot_policy, touched

URL = "/api/v1/what-if/"


def post(client, body, **query):
    suffix = "".join(f"?{k}={v}" for k, v in query.items())
    return client.post(URL + suffix, body, format="json")


def figures(handoffs, met, breached, escalations):
    compliance = None if not met + breached else round(met / (met + breached), 4)
    return {"handoffs": handoffs, "met": met, "breached": breached, "compliance": compliance,
            "escalations": escalations}


def test_answer_has_the_pinned_shape_and_equals_actual_without_a_proposal(admin_api, history):
    response = post(admin_api, {**RANGE, "group_by": "rep"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert {"rows", "totals"} <= set(body)
    [row] = body["rows"]
    assert (row["key"], row["label"]) == (str(history.cast.rep.pk), "Rita Rep")
    # 20 min: met, warned at 15; 40 min: breached, warned and paged; never: the same.
    assert row["actual"] == figures(3, 1, 2, 5)
    assert row["proposed"] == row["actual"]
    assert body["totals"] == {"actual": row["actual"], "proposed": row["actual"]}


def test_a_shorter_first_touch_breaches_more_and_pages_more(admin_api, history):
    body = post(admin_api, {**RANGE, "policies": [hot_policy(first_touch_minutes=15)]}).json()
    assert body["totals"]["actual"] == figures(3, 1, 2, 5)
    assert body["totals"]["proposed"] == figures(3, 0, 3, 6)


def test_a_longer_first_touch_breaches_less(admin_api, history):
    body = post(admin_api, {**RANGE, "policies": [hot_policy(first_touch_minutes=60)]}).json()
    # 20 and 40 min are met; only the untouched lead breaches. Warnings at 30 min: one fires.
    assert body["totals"]["proposed"] == figures(3, 2, 1, 3)


def test_pager_load_counts_escalations_per_recipient_per_week(admin_api, history):
    body = post(admin_api, {**RANGE, "policies": [hot_policy(first_touch_minutes=15)]}).json()
    load = {row["label"]: row for row in body["pager_load"]}
    assert load["Rita Rep"]["actual"]["escalations"] == 3
    assert load["Rita Rep"]["proposed"]["escalations"] == 3
    assert load["Maya Manager"]["actual"]["escalations"] == 2
    assert load["Maya Manager"]["proposed"]["escalations"] == 3
    weeks = 29 / 7
    assert body["weeks"] == round(weeks, 2)
    assert load["Maya Manager"]["proposed"]["per_week"] == round(3 / weeks, 2)
    assert load["Maya Manager"]["recipient"] == f"person:{history.cast.manager.pk}"


def test_a_repeating_step_counts_every_repeat_until_acknowledged(admin_api, history):
    nag = {"after_breach_minutes": 0, "notify": "escalation_contact", "channel": "email",
           "repeat_minutes": 60}
    lead3 = Handoff.objects.get(lead__external_id="L-3")
    handoff_acknowledge(handoff=lead3, by="Maya", at=at("2026-11-23 14:10"))
    body = post(admin_api, {**RANGE, "policies": [hot_policy(steps=[nag])]}).json()
    load = {row["label"]: row for row in body["pager_load"]}
    # L-2: breach at 10:30, met 10:40 -> one. L-3: breach 11:30, repeats 12:30, 13:30, then
    # acknowledged at 14:10 -> three.
    assert load["Dan Director"]["proposed"]["escalations"] == 4
    # Actual (the policy in force): L-3 warned at 11:15, but acknowledged before nothing else.
    assert body["totals"]["actual"]["escalations"] == 5


def test_a_business_hours_calendar_moves_the_due_times(admin_api, history):
    berlin = CalendarFactory(name="Berlin", time_zone="Europe/Berlin",
                             hours=[{"weekday": d, "start": "11:15", "end": "18:00"}
                                    for d in range(5)])
    # Berlin opens at 11:15 CET = 10:15 UTC, so every clock starts there: L-1 (touched
    # 09:20) and L-2 (due 10:45, touched 10:40) are met; L-3 (handed 11:00) is due 11:30.
    body = post(admin_api, {**RANGE, "policies": [hot_policy(calendar=berlin.pk)]}).json()
    assert body["totals"]["actual"] == figures(3, 1, 2, 5)
    # Warnings at 50 %: L-2 at 10:30 (before its touch), L-3 at 11:15; L-3's breach page.
    assert body["totals"]["proposed"] == figures(3, 2, 1, 3)


def test_group_by_heat_and_week(admin_api, history):
    apply_events([assigned(4, "2026-11-10T09:00:00Z", heat="warm")])
    body = post(admin_api, {**RANGE, "group_by": "heat"}).json()
    assert [(r["key"], r["label"]) for r in body["rows"]] == [("hot", "Hot"), ("warm", "Warm")]
    body = post(admin_api, {**RANGE, "group_by": "week"}).json()
    assert [r["key"] for r in body["rows"]] == ["2026-11-09", "2026-11-23"]
    assert body["rows"][1]["label"] == "Week of 2026-11-23"


def test_csv_has_rows_and_a_total_row(admin_api, history):
    response = post(admin_api, {**RANGE, "policies": [hot_policy(first_touch_minutes=15)]},
                    format="csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "slawatch-what-if-by-rep-20261101-20261130.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["label"] for r in rows] == ["Rita Rep", "Total"]
    assert (rows[1]["actual_breached"], rows[1]["proposed_breached"]) == ("2", "3")
    assert rows[0]["proposed_compliance"] == "0.0" and rows[0]["actual_compliance"] == "0.3333"


def _login(api_client, person, group):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(f"u{person.pk}", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    person.user = user
    person.save()
    api_client.force_authenticate(user)
    return api_client


def test_a_manager_replays_only_their_teams_handoffs(api_client, history):
    west = TeamFactory(name="West")
    PersonFactory(name="Walt Rep", team=west, crm_ids={"acme": "rep-9"})
    apply_events([assigned(5, "2026-11-24T09:00:00Z", owner="rep-9")])
    client = _login(api_client, history.cast.manager, roles.MANAGER)
    body = post(client, {**RANGE, "group_by": "team"}).json()
    assert [r["label"] for r in body["rows"]] == ["East"]
    assert body["totals"]["actual"]["handoffs"] == 3


def test_a_rep_replays_only_their_own_handoffs(api_client, history):
    apply_events([assigned(6, "2026-11-24T09:00:00Z", owner="rep-8")])
    client = _login(api_client, history.cast.rep2, roles.REP)
    body = post(client, {**RANGE}).json()
    assert [r["label"] for r in body["rows"]] == ["Ravi Rep"]


def test_anonymous_is_refused(api_client, history):
    assert post(api_client, RANGE).status_code in (401, 403)


def _policy_error(admin_api, field, value):
    """What policies/ says about the same bad value."""
    body = hot_policy(**{field: value})
    body["heat"] = "warm"  # no clash with the stored hot policy
    response = admin_api.post("/api/v1/policies/", body, format="json")
    assert response.status_code == 400
    return response.json()[field]


@pytest.mark.parametrize("field, value", [
    ("first_touch_minutes", 0),
    ("touch_kinds", ["pigeon"]),
    ("calendar", 99999),
])
def test_an_invalid_policy_gets_the_policies_message(admin_api, history, field, value):
    expected = _policy_error(admin_api, field, value)
    response = post(admin_api, {**RANGE, "policies": [hot_policy(**{field: value})]})
    assert response.status_code == 400
    assert response.json() == {"policies": {"0": {field: expected}}}  # DRF: by list index


def test_an_invalid_ladder_gets_the_policies_message(admin_api, history):
    steps = [{"at_percent": 50, "notify": "ceo", "channel": "slack"}]
    expected = _policy_error(admin_api, "steps", steps)
    response = post(admin_api, {**RANGE, "policies": [hot_policy(steps=steps)]})
    assert response.json() == {"policies": {"0": {"steps": expected}}}


def test_follow_ups_without_a_window_get_the_model_message(admin_api, history):
    response = post(admin_api, {**RANGE, "policies": [hot_policy(follow_up_touches=2)]})
    assert response.status_code == 400
    assert response.json()["policies"]["0"]["follow_up_window_minutes"] == [
        "required when follow-ups are required"]


@pytest.mark.parametrize("body, field, message", [
    ({"start": "2026-11-30", "end": "2026-11-01"}, "end", "must be after start"),
    ({"start": "2026-11-30", "end": "2026-11-30"}, "end", "must be after start"),
    ({"start": "2025-01-01", "end": "2026-11-30"}, "end", "at most 366 days"),
    ({"start": "yesterday"}, "start", "start must be an ISO date"),
    ({"group_by": "source"}, "group_by", "group_by must be one of rep, team, heat, week"),
    ({"policies": [hot_policy(), hot_policy(first_touch_minutes=5)]}, "policies",
     "one proposed policy per heat; hot"),
    ({"policies": [hot_policy(heat="lukewarm")]}, "policies", "not a valid choice"),
])
def test_bad_input_is_400_with_a_field_message(admin_api, history, body, field, message):
    response = post(admin_api, {**RANGE, **body})
    assert response.status_code == 400
    assert message in str(response.json()[field])


def test_bad_input_with_csv_format_still_answers_json(admin_api, history):
    response = post(admin_api, {**RANGE, "group_by": "source"}, format="csv")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def _counts():
    return [model.objects.count() for model in (Handoff, Milestone, Touch, LeadEvent,
                                                Escalation, SlaPolicy, Handoff.history.model)]


def test_a_what_if_stores_nothing(admin_api, history):
    before = _counts()
    with CaptureQueriesContext(connection) as queries:
        response = post(admin_api, {**RANGE, "policies": [hot_policy(first_touch_minutes=5)]})
    assert response.status_code == 200
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert _counts() == before
    assert Handoff.objects.filter(status="breached").count() == 2


def test_an_end_at_the_start_of_time_is_a_400_not_a_crash(admin_api, history):
    response = post(admin_api, {"end": "0001-01-02"})
    assert response.status_code == 400
    assert "end" in response.json()
