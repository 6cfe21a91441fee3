"""spend/, visits/, rates/ and their CSV imports through the REST API."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from slawatch.economics.models import Rate, Spend, Visits
from tests.quality import world

pytestmark = pytest.mark.django_db

HEADER = "month,source,campaign,category,amount,currency"


@pytest.fixture
def org(cast, django_user_model):
    return world.make_org(cast, django_user_model)


@pytest.fixture
def marketer(org):
    return world.api(org.marketer_user)


def post_csv(client, text, path="/api/v1/spend/import/", **params):
    query = "".join(f"&{k}={v}" for k, v in params.items()).replace("&", "?", 1)
    body = text.encode("utf-8") if isinstance(text, str) else text
    return client.generic("POST", path + query, body, content_type="text/csv")


def test_spend_is_created_and_read_with_money_as_a_decimal_string(marketer):
    response = marketer.post("/api/v1/spend/", {"month": "2026-11", "source": "web",
                                                "category": "marketing", "amount": "1250.5",
                                                "currency": "eur"}, format="json")
    assert response.status_code == 201, response.json()
    body = marketer.get(f"/api/v1/spend/{response.json()['id']}/").json()
    assert (body["month"], body["amount"], body["currency"], body["campaign"]) == \
        ("2026-11", "1250.50", "EUR", "")


@pytest.mark.parametrize("field, value, message", [
    ("month", "2026-13", "month must be YYYY-MM"),
    ("amount", "-1", "greater than or equal to 0"),
    ("currency", "XYZ", "ISO 4217"),
    ("category", "brand", "not a valid choice"),
])
def test_bad_spend_fields_are_400_naming_the_field(marketer, field, value, message):
    fields = {"month": "2026-11", "source": "web", "category": "marketing", "amount": "1",
              "currency": "USD", field: value}
    response = marketer.post("/api/v1/spend/", fields, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not Spend.objects.exists()


def test_import_accepts_bom_and_crlf_and_stores_every_row(marketer):
    text = "\ufeff" + "\r\n".join([HEADER, "2026-11,web,q4,marketing,1000.00,USD",
                                   "2026-11,web,,sales,250,EUR",
                                   "2026-12,event,expo,marketing,99.99,gbp"]) + "\r\n"
    response = post_csv(marketer, text)
    assert response.status_code == 200, response.json()
    assert (response.json()["rows"], response.json()["created"], response.json()["replaced"]) == \
        (3, 3, 0)
    stored = {(s.source, s.campaign, s.category): (s.amount, s.currency)
              for s in Spend.objects.all()}
    assert stored == {("web", "q4", "marketing"): (Decimal("1000.00"), "USD"),
                      ("web", "", "sales"): (Decimal("250.00"), "EUR"),
                      ("event", "expo", "marketing"): (Decimal("99.99"), "GBP")}


def test_reimport_replaces_the_same_month_source_campaign_and_category_and_says_so(marketer):
    post_csv(marketer, f"{HEADER}\n2026-11,web,q4,marketing,1000.00,USD\n")
    response = post_csv(marketer, f"{HEADER}\n2026-11,web,q4,marketing,1200.00,USD\n"
                                  "2026-11,web,q4,sales,300.00,USD\n")
    body = response.json()
    assert (body["created"], body["replaced"]) == (1, 1)
    assert body["replacements"] == [{"row": 1, "what": "2026-11 / web / q4 / marketing",
                                     "was": "1000.00 USD"}]
    assert "1 replacing an earlier figure" in body["message"]
    assert Spend.objects.get(category="marketing").amount == Decimal("1200.00")
    assert Spend.objects.count() == 2


def test_dry_run_reports_and_stores_nothing(marketer):
    response = post_csv(marketer, f"{HEADER}\n2026-11,web,q4,marketing,1000.00,USD\n", dry_run=1)
    assert response.status_code == 200
    assert response.json()["dry_run"] is True and response.json()["created"] == 1
    assert "would store 1 row" in response.json()["message"]
    assert not Spend.objects.exists()


def test_one_bad_row_stores_nothing_and_every_problem_is_listed(marketer):
    text = "\n".join([HEADER, "2026-11,web,q4,marketing,10,USD",
                      "2026-13,web,q4,marketing,10,USD",
                      "2026-11,web,q4,brand,-5,USD",
                      "2026-11,event,,marketing,ten,XYZ"])
    response = post_csv(marketer, text)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors == [
        "row 2: month must be YYYY-MM (e.g. 2026-11), not '2026-13'",
        "row 3: category 'brand' is not one of marketing, sales",
        "row 3: amount -5 is negative",
        "row 4: amount 'ten' is not a number (e.g. 1250.00)",
        "row 4: currency 'XYZ' is not an ISO 4217 currency code (e.g. USD, EUR)",
    ]
    assert "nothing was stored" in response.json()["error"]
    assert not Spend.objects.exists()


@pytest.mark.parametrize("text, error", [
    ("", "the file is empty"),
    (HEADER + "\r\n", "the file has a header but no rows"),
    ("month,source,category,amount,currency,channel\n2026-11,web,marketing,1,USD,x\n",
     "unknown column 'channel'"),
    ("month,source,amount,currency\n2026-11,web,1,USD\n", "missing column 'category'"),
    (HEADER + "\n2026-11,web,q4,marketing,1,USD,extra\n", "row 1: 7 cells"),
    (HEADER + "\n2026-11,web,q4,marketing,1,USD\n2026-11,web,q4,marketing,2,USD\n",
     "row 2: repeats the month, source, campaign, category of row 1"),
])
def test_malformed_files_are_400_and_say_why(marketer, text, error):
    response = post_csv(marketer, text)
    assert response.status_code == 400
    assert any(error in e for e in response.json()["errors"]), response.json()
    assert not Spend.objects.exists()


def test_import_takes_a_multipart_file_too(marketer):
    upload = SimpleUploadedFile("spend.csv", f"{HEADER}\n2026-11,web,,marketing,5,USD\n".encode(),
                                content_type="text/csv")
    response = marketer.post("/api/v1/spend/import/", {"file": upload}, format="multipart")
    assert response.status_code == 200 and Spend.objects.count() == 1


def test_visits_import_and_replace(marketer):
    assert post_csv(marketer, "month,source,visits\n2026-11,web,1200\n",
                    path="/api/v1/visits/import/").status_code == 200
    response = post_csv(marketer, "month,source,visits\n2026-11,web,1500\n2026-11,event,-3\n",
                        path="/api/v1/visits/import/")
    assert response.status_code == 400
    assert response.json()["errors"] == ["row 2: visits '-3' is not a whole number of 0 or more"]
    assert Visits.objects.get().visits == 1200
    body = post_csv(marketer, "month,source,visits\n2026-11,web,1500\n",
                    path="/api/v1/visits/import/").json()
    assert body["replacements"][0]["was"] == "1200 visits"
    assert Visits.objects.get().visits == 1500


@pytest.mark.parametrize("rate", ["0", "-1.5"])
def test_a_rate_of_zero_or_below_is_a_400(marketer, rate):
    response = marketer.post("/api/v1/rates/", {"month": "2026-11", "currency": "EUR",
                                                "rate": rate}, format="json")
    assert response.status_code == 400
    assert response.json()["rate"] == ["rate must be greater than 0"]
    assert not Rate.objects.exists()


def test_a_rate_is_stored_and_the_reporting_currency_needs_none(marketer):
    ok = marketer.post("/api/v1/rates/", {"month": "2026-11", "currency": "EUR", "rate": "1.08"},
                       format="json")
    assert ok.status_code == 201 and ok.json()["rate"] == "1.08000000"
    same = marketer.post("/api/v1/rates/", {"month": "2026-11", "currency": "USD", "rate": "1"},
                         format="json")
    assert same.status_code == 400 and "reporting currency" in same.json()["currency"][0]


def test_reps_may_neither_read_nor_import_spend(org, marketer):
    post_csv(marketer, f"{HEADER}\n2026-11,web,,marketing,5,USD\n")
    rep = world.api(org.rep_user)
    assert rep.get("/api/v1/spend/").status_code == 403
    assert post_csv(rep, f"{HEADER}\n2026-11,web,,marketing,9,USD\n").status_code == 403
    assert Spend.objects.get().amount == Decimal("5.00")
    assert world.api(org.manager_user).get("/api/v1/spend/").status_code == 200
    assert post_csv(world.api(org.manager_user),
                    f"{HEADER}\n2026-11,web,,marketing,9,USD\n").status_code == 403
    assert post_csv(world.api(org.revops_user),
                    f"{HEADER}\n2026-11,web,,marketing,9,USD\n").status_code == 200


def test_bad_dry_run_flag_is_a_400(marketer):
    response = post_csv(marketer, f"{HEADER}\n2026-11,web,,marketing,5,USD\n", dry_run="maybe")
    assert response.status_code == 400 and "dry_run" in response.json()["error"]


def test_a_second_figure_for_the_same_key_through_the_api_is_a_400(marketer):
    fields = {"month": "2026-11", "source": "web", "category": "marketing", "amount": "1",
              "currency": "USD"}
    assert marketer.post("/api/v1/spend/", fields, format="json").status_code == 201
    again = marketer.post("/api/v1/spend/", {**fields, "amount": "2"}, format="json")
    assert again.status_code == 400 and "unique" in str(again.json())
    assert Spend.objects.get().amount == Decimal("1.00")
