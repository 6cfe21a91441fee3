"""reports/marketing/ and reports/sales/ over HTTP: money as decimal strings, CSV, scoping."""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from slawatch.economics.models import Rate, Spend
from slawatch.leads.models import Lead
from tests.quality import world
from tests.reports.builders import T0, handoff, lead, opportunity

pytestmark = pytest.mark.django_db
RANGE = {"start": "2026-11-01", "end": "2026-12-01"}


@pytest.fixture
def org(cast, django_user_model):
    return world.make_org(cast, django_user_model)


@pytest.fixture
def history(org):
    mine = handoff(org.rep, status="met", lead_=lead(source="web", campaign="q4"))
    theirs = handoff(org.rep2, status="met", lead_=lead(source="web", campaign="q4"))
    Lead.objects.update(created_in_crm_at=T0)
    opportunity(mine.lead, T0, status="won", amount="1000.00", currency="EUR",
                closed_at=datetime(2026, 11, 20, tzinfo=UTC))
    opportunity(theirs.lead, T0, status="won", amount="300.00", currency="GBP",
                closed_at=datetime(2026, 11, 20, tzinfo=UTC))
    Rate.objects.create(month="2026-10-01", currency="EUR", rate="1.10")
    Spend.objects.create(month="2026-11-01", source="web", campaign="q4", amount="400.00",
                         currency="USD")
    return org


def test_marketing_report_money_is_converted_and_unconverted_is_counted(history):
    body = world.api(history.marketer_user).get("/api/v1/reports/marketing/", RANGE).json()
    [row] = body["rows"]
    assert (row["key"], row["leads"], row["spend"], row["cost_per_lead"]) == \
        ("web", 2, "400.00", "200.00")
    assert (row["won_revenue"], row["unconverted"], row["customers"]) == ("1100.00", 1, 2)
    assert row["roi"] == 1.75 and row["cac"] == "200.00" and row["clv"] == "550.00"
    assert row["currency"] == "USD"


def test_marketing_report_as_csv_and_by_month(history):
    client = world.api(history.marketer_user)
    response = client.get("/api/v1/reports/marketing/",
                          {**RANGE, "group_by": "month", "format": "csv"})
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("key,label,leads,visits,visit_to_lead,spend,")
    assert lines[1].startswith("2026-11,November 2026,2,0,,400.00,")
    bad = client.get("/api/v1/reports/marketing/", {**RANGE, "group_by": "rep"})
    assert bad.status_code == 400 and "group_by must be one of source" in bad.json()["error"]


def test_a_rep_sees_their_own_leads_and_no_spend(history):
    body = world.api(history.rep_user).get("/api/v1/reports/marketing/", RANGE).json()
    [row] = body["rows"]
    assert (row["leads"], row["spend"], row["roi"], row["won_revenue"]) == \
        (1, None, None, "1100.00")


def test_sales_report_by_company(history):
    Lead.objects.update(company="Example Co")
    body = world.api(history.manager_user).get("/api/v1/reports/sales/",
                                              {**RANGE, "group_by": "company"}).json()
    [row] = body["rows"]
    assert (row["label"], row["won"], row["accounts"], row["closing_ratio"]) == \
        ("Example Co", 2, 1, 1.0)
    assert (row["won_revenue"], row["revenue_per_account"], row["unconverted"]) == \
        ("1100.00", "1100.00", 1)


def test_admin_import_page_checks_then_stores(org, client):
    client.force_login(org.marketer_user)
    csv = b"month,source,category,amount,currency\r\n2026-11,web,marketing,12.50,USD\r\n"
    page = client.post("/admin/economics/spend/import/",
                       {"file": SimpleUploadedFile("s.csv", csv), "dry_run": "on"})
    assert page.status_code == 200 and "would store 1 row" in page.content.decode()
    assert not Spend.objects.exists()
    done = client.post("/admin/economics/spend/import/", {"file": SimpleUploadedFile("s.csv", csv)},
                       follow=True)
    assert "stored 1 row" in done.content.decode() and Spend.objects.get().amount == 12.5
    bad = client.post("/admin/economics/spend/import/",
                      {"file": SimpleUploadedFile("s.csv", csv.replace(b"USD", b"EURO"))})
    assert bad.status_code == 400 and "row 1: currency" in bad.content.decode()
    client.force_login(org.rep_user)
    assert client.get("/admin/economics/spend/import/").status_code == 403
