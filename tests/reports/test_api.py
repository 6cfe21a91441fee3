import csv
import io

import pytest
from django.contrib.auth.models import Group

from slawatch.access import roles
from tests.factories import PersonFactory, TeamFactory
from tests.reports.builders import T0, handoff, lead, window_params

SLA_COLUMNS = {"key", "label", "handoffs", "met", "breached", "open", "compliance",
               "speed_to_lead_median_minutes", "speed_to_lead_p90_minutes"}


@pytest.fixture
def history(cast):
    handoff(cast.rep, status="met", stl_minutes=4)
    handoff(cast.rep, status="met", stl_minutes=10)
    handoff(cast.rep, status="breached", stl_minutes=50)
    handoff(cast.rep2, status="open")
    return cast


def test_sla_report_has_the_pinned_shape(admin_api, history):
    response = admin_api.get("/api/v1/reports/sla/", window_params(group_by="rep"))
    assert response.status_code == 200
    assert set(response.json()) == {"rows"}
    rows = {r["label"]: r for r in response.json()["rows"]}
    rita = rows["Rita Rep"]
    assert SLA_COLUMNS <= set(rita)
    assert rita["key"] == str(history.rep.pk)
    assert (rita["handoffs"], rita["met"], rita["breached"], rita["open"]) == (3, 2, 1, 0)
    assert rita["compliance"] == pytest.approx(2 / 3, abs=1e-4)
    assert rita["speed_to_lead_median_minutes"] == 10.0
    assert rita["speed_to_lead_p90_minutes"] == pytest.approx(42.0)  # 10 + 0.8 * 40
    ravi = rows["Ravi Rep"]
    assert ravi["compliance"] is None and ravi["speed_to_lead_median_minutes"] is None


def test_default_range_is_the_last_30_days(admin_api, history, time_machine):
    time_machine.move_to(T0.replace(day=20))
    assert admin_api.get("/api/v1/reports/sla/").json()["rows"][0]["handoffs"] >= 1
    time_machine.move_to(T0.replace(month=12, day=20))
    assert admin_api.get("/api/v1/reports/sla/").json()["rows"] == []


def test_end_is_exclusive(admin_api, history):
    rows = admin_api.get("/api/v1/reports/sla/",
                         {"start": "2026-11-01", "end": T0.isoformat()}).json()["rows"]
    assert rows == []


@pytest.mark.parametrize("query, message", [
    ({"group_by": "planet"}, "group_by must be one of"),
    ({"start": "yesterday"}, "start must be an ISO date"),
    ({"end": "2026-13-45"}, "end must be an ISO date"),
    ({"start": "2026-11-30", "end": "2026-11-01"}, "must be before end"),
    ({"format": "xml"}, "format must be json or csv"),
])
def test_bad_parameters_are_400_with_a_message(admin_api, history, query, message):
    response = admin_api.get("/api/v1/reports/sla/", query)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_bad_parameters_with_csv_format_still_answer_json(admin_api, history):
    response = admin_api.get("/api/v1/reports/sla/", {"format": "csv", "group_by": "x"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_csv_has_header_rows_and_filename(admin_api, history):
    response = admin_api.get("/api/v1/reports/sla/", window_params(group_by="team", format="csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="slawatch-sla-by-team-20261101-20261130.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert SLA_COLUMNS <= set(rows[0])
    assert rows[0]["label"] == "East" and rows[0]["handoffs"] == "4"
    assert rows[0]["compliance"] == "0.6667"


def test_csv_of_an_empty_report_still_has_its_header(admin_api, cast):
    response = admin_api.get("/api/v1/reports/leakage/", {"format": "csv"})
    assert response.content.decode().splitlines() == [
        "key,label,handoffs,never_touched,dropped_after_first_touch,never_touched_rate,dropped_rate"]


@pytest.mark.parametrize("family", ["sla", "speed", "leakage", "quality", "funnel", "revenue",
                                    "commitments"])
def test_every_family_answers_json_and_csv(admin_api, history, family):
    assert admin_api.get(f"/api/v1/reports/{family}/", window_params()).status_code == 200
    response = admin_api.get(f"/api/v1/reports/{family}/", window_params(format="csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_commitments_reject_a_bad_quarter(admin_api, cast):
    response = admin_api.get("/api/v1/reports/commitments/", {"quarter": "2026-Q5"})
    assert response.status_code == 400
    assert "quarter must look like 2026-Q4" in response.json()["error"]


def test_reports_need_authentication(api_client, history):
    assert api_client.get("/api/v1/reports/sla/").status_code in (401, 403)


def _user_for(person, role, django_user_model):
    user = django_user_model.objects.create_user(f"u{person.pk}", password="pw")
    person.user = user
    person.save()
    group, _ = Group.objects.get_or_create(name=role)
    user.groups.add(group)
    return user


def test_a_rep_sees_only_their_own_rows(api_client, history, django_user_model):
    api_client.force_authenticate(_user_for(history.rep2, roles.REP, django_user_model))
    rows = api_client.get("/api/v1/reports/sla/", window_params()).json()["rows"]
    assert [(r["label"], r["handoffs"]) for r in rows] == [("Ravi Rep", 1)]


def test_a_manager_sees_their_team(api_client, history, django_user_model):
    # another team's handoff, which the manager must not see
    handoff(PersonFactory(name="Wendy West", team=TeamFactory(name="West")), status="met")
    api_client.force_authenticate(_user_for(history.manager, roles.MANAGER, django_user_model))
    rows = api_client.get("/api/v1/reports/sla/", window_params(group_by="team")).json()["rows"]
    assert [(r["label"], r["handoffs"]) for r in rows] == [("East", 4)]


def test_a_user_without_a_role_sees_nothing(api_client, history, django_user_model):
    api_client.force_authenticate(django_user_model.objects.create_user("nobody", password="pw"))
    assert api_client.get("/api/v1/reports/sla/", window_params()).json()["rows"] == []


def test_openapi_schema_defines_every_figure(admin_api):
    schema = admin_api.get("/api/v1/schema/", {"format": "json"}).json()
    assert "/api/v1/reports/sla/" in schema["paths"]
    row = schema["components"]["schemas"]["SlaReportRow"]["properties"]
    assert "met / (met + breached)" in row["compliance"]["description"]
    assert "linear interpolation" in row["speed_to_lead_p90_minutes"]["description"]
    for name in ("speed", "leakage", "quality", "funnel", "revenue", "commitments"):
        props = schema["components"]["schemas"][f"{name.capitalize()}ReportRow"]["properties"]
        assert all(p.get("description") for p in props.values()), name


def test_csv_cells_from_crm_text_cannot_become_formulas(admin_api, cast):

    handoff(cast.rep, lead_=lead(campaign='=HYPERLINK("http://evil.example","x")'))
    response = admin_api.get("/api/v1/reports/sla/", window_params(group_by="campaign",
                                                                    format="csv"))
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["key"].startswith("'=HYPERLINK(")
