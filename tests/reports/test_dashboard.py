import re
from datetime import date
from html import unescape

import pytest
from django.contrib.auth.models import Group

from slawatch.economics.models import Spend
from slawatch.quality.models import Commitment
from slawatch.reports.families import FAMILIES, MARKETING
from slawatch.reports.views import presets
from tests.reports.builders import handoff


@pytest.fixture
def staff_client(client, django_user_model, cast):
    user = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(user)
    handoff(cast.rep, status="met", stl_minutes=5)
    handoff(cast.rep, status="breached", stl_minutes=40)
    handoff(cast.rep2, status="met", stl_minutes=2)
    return client


RANGE = {"start": "2026-11-01", "end": "2026-12-01"}


def test_dashboard_shows_table_chart_and_csv_link(staff_client):
    response = staff_client.get("/admin/reports/", {"family": "sla", "group_by": "rep", **RANGE})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg class="report-chart"' in html
    assert "<title>Rita Rep - Compliance: 50.0%</title>" in html  # human headings
    assert "<title>Ravi Rep - Compliance: 100.0%</title>" in html
    table = html[html.index('id="report-table"'):]
    assert "Rita Rep" in table and "50.0%" in table
    assert "met / (met + breached)" in table  # each header carries its definition
    csv_url = unescape(re.search(r'id="csv-download" href="([^"]+)"', html).group(1))
    assert "format=csv" in csv_url and "group_by=rep" in csv_url
    download = staff_client.get(csv_url)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert download.content.decode().splitlines()[0].startswith("key,label,handoffs,met")


def test_grouping_filter_changes_the_rows(staff_client):
    html = staff_client.get("/admin/reports/", {"family": "speed", "group_by": "team",
                                                **RANGE}).content.decode()
    table = html[html.index('id="report-table"'):]
    assert "East" in table and "Rita Rep" not in table


@pytest.mark.parametrize("family", ["sla", "speed", "leakage", "quality", "funnel", "revenue",
                                    "commitments"])
def test_every_family_renders(staff_client, cast, family):
    Commitment.objects.create(rep=cast.rep, year=2026, quarter=4, leads_committed=9)
    response = staff_client.get("/admin/reports/", {"family": family, "quarter": "2026-Q4",
                                                    **RANGE})
    assert response.status_code == 200
    assert "<svg" in response.content.decode()


def test_bad_filter_is_a_400_with_the_message(staff_client):
    response = staff_client.get("/admin/reports/", {"family": "sla", "start": "soon"})
    assert response.status_code == 400
    assert "start must be an ISO date" in response.content.decode()


def test_unknown_family_is_a_400(staff_client):
    response = staff_client.get("/admin/reports/", {"family": "horoscope"})
    assert response.status_code == 400
    assert "family must be one of" in response.content.decode()


def test_dashboard_needs_a_staff_login(client, django_user_model):
    assert client.get("/admin/reports/").status_code == 302
    client.force_login(django_user_model.objects.create_user("plain", password="pw"))
    response = client.get("/admin/reports/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_index_links_to_the_reports(staff_client):
    html = staff_client.get("/admin/").content.decode()
    assert 'href="/admin/reports/report/"' in html
    response = staff_client.get("/admin/reports/report/", {"family": "leakage", **RANGE})
    assert response.status_code == 200 and 'id="report-table"' in response.content.decode()


def test_a_rep_sees_only_their_own_rows_on_the_dashboard(client, django_user_model, cast):
    handoff(cast.rep, status="met", stl_minutes=5)
    handoff(cast.rep2, status="met", stl_minutes=2)
    user = django_user_model.objects.create_user("ravi", password="pw", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="rep")[0])
    cast.rep2.user = user
    cast.rep2.save()
    client.force_login(user)
    html = client.get("/admin/reports/", {"family": "sla", **RANGE}).content.decode()
    table = html[html.index('id="report-table"'):]
    assert "Ravi Rep" in table and "Rita Rep" not in table


def test_family_tabs_keep_the_range_and_grouping(staff_client):
    html = staff_client.get("/admin/reports/", {"family": "sla", "group_by": "heat",
                                                **RANGE}).content.decode()
    assert 'href="?family=leakage&amp;group_by=heat&amp;start=2026-11-01&amp;end=2026-12-01"' in html


def test_every_report_page_has_human_headings_pickers_and_presets(staff_client):
    for name, family in FAMILIES.items():
        html = staff_client.get("/admin/reports/", {"family": name, **(
            RANGE if family.group_bys else {})}).content.decode()
        table = html[html.index('id="report-table"'):]
        headings = table[:table.index("</thead>")]
        for column in family.columns:
            assert f">{column.heading}</abbr>" in headings, (name, column.name)
        if family.group_bys:
            assert 'type="date" name="start" value="2026-11-01"' in html
            assert ">This month</a>" in html and ">Last quarter</a>" in html
            assert ">Year to date</a>" in html


def test_headings_read_as_words():
    headings = {c.name: c.heading for c in MARKETING.columns}
    assert headings["cost_per_lead"] == "Cost per lead"
    assert headings["clv_to_cac"] == "CLV to CAC" and headings["roi"] == "ROI"


def test_presets_are_this_month_last_quarter_and_year_to_date():
    assert presets(date(2026, 2, 14)) == [
        ("This month", date(2026, 2, 1), date(2026, 3, 1)),
        ("Last quarter", date(2025, 10, 1), date(2026, 1, 1)),
        ("Year to date", date(2026, 1, 1), date(2026, 2, 15))]


def test_marketing_page_draws_the_monthly_trends(staff_client):
    Spend.objects.create(month="2026-11-01", source="web", campaign="q4", amount="500.00",
                         currency="USD")
    html = staff_client.get("/admin/reports/", {"family": "marketing", **RANGE}).content.decode()
    for title in ("Spend by month (USD)", "Leads by month", "Won revenue by month (USD)",
                  "Cost per lead by source (USD)", "ROI by campaign"):
        assert f"<title>{title}</title>" in html, title
    assert "<title>November 2026 - Spend by month (USD): 500</title>" in html
