"""CRUD and validation for the configuration resources: teams, people, calendars, policies."""

import pytest

from slawatch.leads.models import SlaPolicy
from slawatch.leads.services import apply_events
from slawatch.people.models import Calendar, CrmIdentity, Person, Team
from tests.factories import PolicyFactory, event

API = "/api/v1"
WEEK = [{"weekday": d, "start": "09:00", "end": "17:30"} for d in range(5)]
STEPS = [{"at_percent": 50, "notify": "rep", "channel": "slack"},
         {"after_breach_minutes": 30, "notify": "escalation_contact", "channel": "email",
          "repeat_minutes": 60}]


# --- teams and people ------------------------------------------------------------------------

def test_team_crud(admin_api, cast):
    created = admin_api.post(f"{API}/teams/", {
        "name": "West", "manager": cast.manager.pk, "escalation_contact": cast.director.pk,
        "slack_webhook_url": "https://hooks.slack.com/services/T1/B2/x"}, format="json")
    assert created.status_code == 201, created.data
    team_id = created.data["id"]
    assert isinstance(team_id, int)
    read = admin_api.get(f"{API}/teams/{team_id}/").data
    assert (read["name"], read["manager"], read["escalation_contact"]) == (
        "West", cast.manager.pk, cast.director.pk)
    changed = admin_api.patch(f"{API}/teams/{team_id}/", {"name": "West Coast"}, format="json")
    assert changed.status_code == 200 and Team.objects.get(pk=team_id).name == "West Coast"
    listed = admin_api.get(f"{API}/teams/").data["results"]
    assert {t["name"] for t in listed} == {"East", "West Coast"}
    assert admin_api.delete(f"{API}/teams/{team_id}/").status_code == 204
    assert not Team.objects.filter(pk=team_id).exists()


def test_team_with_a_bad_webhook_url_is_refused(admin_api, db):
    response = admin_api.post(f"{API}/teams/", {"name": "X", "slack_webhook_url": "not a url"},
                              format="json")
    assert response.status_code == 400 and "slack_webhook_url" in response.data


def test_person_created_before_the_team_is_attached_with_patch(admin_api, db):
    person = admin_api.post(f"{API}/people/", {
        "name": "Rosa Rep", "email": "rosa@example.com", "role": "rep",
        "time_zone": "Europe/Berlin", "slack_user_id": "U123",
        "crm_ids": {"hubspot": "111", "acme-crm": "rep-7"}}, format="json")
    assert person.status_code == 201, person.data
    assert person.data["team"] is None
    assert person.data["crm_ids"] == {"hubspot": "111", "acme-crm": "rep-7"}
    team = admin_api.post(f"{API}/teams/", {"name": "South", "manager": person.data["id"]},
                          format="json")
    assert team.status_code == 201, team.data
    patched = admin_api.patch(f"{API}/people/{person.data['id']}/",
                              {"team": team.data["id"]}, format="json")
    assert patched.status_code == 200, patched.data
    read = admin_api.get(f"{API}/people/{person.data['id']}/").data
    assert read["team"] == team.data["id"]
    assert read["crm_ids"] == {"hubspot": "111", "acme-crm": "rep-7"}  # untouched by PATCH
    assert (read["time_zone"], read["slack_user_id"], read["role"]) == ("Europe/Berlin", "U123",
                                                                       "rep")


def test_crm_ids_are_replaced_by_a_new_object(admin_api, cast):
    response = admin_api.patch(f"{API}/people/{cast.rep.pk}/",
                               {"crm_ids": {"hubspot": "999"}}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["crm_ids"] == {"hubspot": "999"}
    assert dict(CrmIdentity.objects.filter(person=cast.rep).values_list("crm", "owner_id")) == \
        {"hubspot": "999"}


def test_crm_id_of_another_person_is_refused(admin_api, cast):
    response = admin_api.post(f"{API}/people/", {"name": "Copy", "crm_ids": {"acme": "rep-7"}},
                              format="json")
    assert response.status_code == 400
    assert "already belongs to another person" in str(response.data["crm_ids"])
    assert not Person.objects.filter(name="Copy").exists()


@pytest.mark.parametrize("payload, field", [
    ({"name": "P", "role": "ceo"}, "role"),
    ({"name": "P", "time_zone": "Mars/Olympus"}, "time_zone"),
    ({"name": "P", "email": "not-an-email"}, "email"),
    ({"name": "P", "crm_ids": ["hubspot"]}, "crm_ids"),
    ({"name": "P", "team": 987654}, "team"),
])
def test_invalid_person_is_400_with_the_field(admin_api, db, payload, field):
    response = admin_api.post(f"{API}/people/", payload, format="json")
    assert response.status_code == 400 and field in response.data, response.data
    assert not Person.objects.exists()


def test_person_filters(admin_api, cast):
    reps = admin_api.get(f"{API}/people/", {"role": "rep"}).data["results"]
    assert {p["name"] for p in reps} == {"Rita Rep", "Ravi Rep"}


# --- calendars -----------------------------------------------------------------------------

def test_calendar_crud_with_hours_holidays_and_country(admin_api, db):
    created = admin_api.post(f"{API}/calendars/", {
        "name": "Berlin office", "time_zone": "Europe/Berlin", "always_open": False,
        "hours": WEEK + [{"weekday": 5, "start": "10:00", "end": "12:00"}],
        "holidays": ["2026-12-24", "2026-12-31"], "country": "de"}, format="json")
    assert created.status_code == 201, created.data
    calendar = Calendar.objects.get(pk=created.data["id"])
    assert calendar.country == "DE" and calendar.holidays == ["2026-12-24", "2026-12-31"]
    assert calendar.hours[5] == {"weekday": 5, "start": "10:00", "end": "12:00"}
    read = admin_api.get(f"{API}/calendars/{calendar.pk}/").data
    assert read["hours"][0] == {"weekday": 0, "start": "09:00", "end": "17:30"}
    assert read["holidays"] == ["2026-12-24", "2026-12-31"]
    changed = admin_api.patch(f"{API}/calendars/{calendar.pk}/", {"always_open": True,
                                                                   "hours": []}, format="json")
    assert changed.status_code == 200, changed.data
    assert admin_api.delete(f"{API}/calendars/{calendar.pk}/").status_code == 204


def test_calendar_country_is_optional_and_may_be_null(admin_api, db):
    response = admin_api.post(f"{API}/calendars/", {
        "name": "No country", "time_zone": "UTC", "hours": WEEK, "country": None}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["country"] == "" and Calendar.objects.get().country == ""


def test_calendar_until_midnight_is_accepted(admin_api, db):
    response = admin_api.post(f"{API}/calendars/", {
        "name": "Late", "time_zone": "UTC", "hours": [{"weekday": 0, "start": "18:00",
                                                       "end": "24:00"}]}, format="json")
    assert response.status_code == 201, response.data


@pytest.mark.parametrize("payload, field, message", [
    ({"hours": [{"weekday": 0, "start": "17:00", "end": "09:00"}]}, "hours",
     "end 09:00 must be after start 17:00"),
    ({"hours": [{"weekday": 7, "start": "09:00", "end": "17:00"}]}, "hours", "6"),
    ({"hours": [{"weekday": 0, "start": "9am", "end": "17:00"}]}, "hours", ""),
    ({"time_zone": "Mars/Olympus", "hours": WEEK}, "time_zone", "not a known time zone"),
    ({"country": "XX", "hours": WEEK}, "country", "not a country"),
    ({"holidays": ["24.12.2026"], "hours": WEEK}, "holidays", ""),
    ({"hours": []}, "hours", "needs hours"),
])
def test_invalid_calendar_is_400_with_a_field_message(admin_api, db, payload, field, message):
    response = admin_api.post(f"{API}/calendars/", {"name": "Bad", "time_zone": "UTC", **payload},
                              format="json")
    assert response.status_code == 400, response.data
    assert field in response.data and message in str(response.data[field])
    assert not Calendar.objects.exists()


def test_calendar_in_use_cannot_be_deleted_quietly(admin_api, db):
    calendar = Calendar.objects.create(name="Used", hours=WEEK)
    PolicyFactory(calendar=calendar)
    response = admin_api.delete(f"{API}/calendars/{calendar.pk}/")
    assert response.status_code == 409
    assert "SLA policy" in response.json()["detail"]
    assert Calendar.objects.filter(pk=calendar.pk).exists()


# --- policies ------------------------------------------------------------------------------

def test_policy_crud_with_a_ladder(admin_api, cast):
    calendar = Calendar.objects.create(name="Office", hours=WEEK)
    created = admin_api.post(f"{API}/policies/", {
        "heat": "hot", "team": cast.team.pk, "first_touch_minutes": 15, "follow_up_touches": 2,
        "follow_up_window_minutes": 1440, "calendar": calendar.pk,
        "touch_kinds": ["call", "email"], "steps": STEPS}, format="json")
    assert created.status_code == 201, created.data
    policy = SlaPolicy.objects.get(pk=created.data["id"])
    assert (policy.heat, policy.team, policy.calendar) == ("hot", cast.team, calendar)
    assert policy.touch_kinds == ["call", "email"]
    assert [s["notify"] for s in policy.steps] == ["rep", "escalation_contact"]
    read = admin_api.get(f"{API}/policies/{policy.pk}/").data
    assert read["steps"][0]["at_percent"] == 50 and read["steps"][1]["repeat_minutes"] == 60
    changed = admin_api.patch(f"{API}/policies/{policy.pk}/", {"first_touch_minutes": 30},
                              format="json")
    assert changed.status_code == 200, changed.data
    policy.refresh_from_db()
    assert policy.first_touch_minutes == 30 and len(policy.steps) == 2
    assert admin_api.delete(f"{API}/policies/{policy.pk}/").status_code == 204


def test_default_policy_has_no_team_and_no_calendar(admin_api, db):
    response = admin_api.post(f"{API}/policies/", {"heat": "warm", "first_touch_minutes": 60},
                              format="json")
    assert response.status_code == 201, response.data
    assert response.data["team"] is None and response.data["calendar"] is None


def policy(**overrides):
    return {"heat": "hot", "first_touch_minutes": 15, **overrides}


@pytest.mark.parametrize("payload, field, message", [
    (policy(steps=[{"notify": "rep", "channel": "slack"}]), "steps",
     "needs exactly one of at_percent or after_breach_minutes"),
    (policy(steps=[{"at_percent": 50, "notify": "rep", "channel": "slack",
                    "repeat_minutes": 0}]), "steps", "repeat_minutes"),
    (policy(steps=[{"at_percent": 150, "notify": "rep", "channel": "slack"}]), "steps", "100"),
    (policy(steps=[{"at_percent": 50, "notify": "ceo", "channel": "slack"}]), "steps", "ceo"),
    (policy(heat="lukewarm"), "heat", "lukewarm"),
    (policy(first_touch_minutes=-5), "first_touch_minutes", ""),
    (policy(touch_kinds=["carrier pigeon"]), "touch_kinds", "carrier pigeon"),
    (policy(follow_up_touches=2), "follow_up_window_minutes", "required"),
    (policy(calendar=987654), "calendar", ""),
    (policy(first_touch_minutes=0), "first_touch_minutes", "greater than or equal to 1"),
])
def test_invalid_policy_is_400_with_a_field_message(admin_api, db, payload, field, message):
    response = admin_api.post(f"{API}/policies/", payload, format="json")
    assert response.status_code == 400, response.data
    assert field in response.data, response.data
    assert message in str(response.data[field])
    assert not SlaPolicy.objects.exists()


def test_repeat_minutes_below_one_names_the_step_field(admin_api, db):
    response = admin_api.post(f"{API}/policies/", policy(steps=[
        {"at_percent": 50, "notify": "rep", "channel": "slack"},
        {"at_percent": 100, "notify": "manager", "channel": "slack", "repeat_minutes": 0.5}]),
        format="json")
    assert response.status_code == 400
    errors = response.json()["steps"]  # keyed by the failing step's index
    assert list(errors) == ["1"]
    assert errors["1"]["repeat_minutes"] == ["Ensure this value is greater than or equal to 1."]


@pytest.mark.parametrize("team", ["cast_team", None])
def test_duplicate_heat_and_team_is_400(admin_api, cast, team):
    team_id = cast.team.pk if team else None
    PolicyFactory(heat="hot", team_id=team_id)
    response = admin_api.post(f"{API}/policies/", policy(team=team_id), format="json")
    assert response.status_code == 400
    assert "already exists" in str(response.data["heat"])
    assert SlaPolicy.objects.count() == 1


def test_same_heat_for_another_team_is_fine(admin_api, cast):
    PolicyFactory(heat="hot")
    response = admin_api.post(f"{API}/policies/", policy(team=cast.team.pk), format="json")
    assert response.status_code == 201, response.data


def test_changing_a_policy_into_a_duplicate_is_400(admin_api, db):
    PolicyFactory(heat="hot")
    warm = PolicyFactory(heat="warm")
    response = admin_api.patch(f"{API}/policies/{warm.pk}/", {"heat": "hot"}, format="json")
    assert response.status_code == 400 and "already exists" in str(response.data["heat"])


def test_person_with_handoffs_cannot_be_deleted(admin_api, cast):
    PolicyFactory(heat="hot")
    apply_events([event("1", "lead.assigned", "2026-11-23T09:00:00Z", owner="rep-7")])
    response = admin_api.delete(f"{API}/people/{cast.rep.pk}/")
    assert response.status_code == 409
    assert "handoff" in response.json()["detail"]
    assert Person.objects.filter(pk=cast.rep.pk).exists()
