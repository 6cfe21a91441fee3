"""The lead definition page in a real chromium: the rules editor refuses bad rules naming
the rule and field, the saved draft shows its diff and a preview of the last 90 days, and
one sales-side and one marketing-side click make it active."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from slawatch.definitions.models import LeadDefinition
from tests.quality.world import assign, policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RULES = [
    {"heat": "cold", "when": [{"field": "email_domain", "op": "in", "value": ["student.edu"]}]},
    {"heat": "hot", "when": [{"field": "form", "op": "eq", "value": "demo_request"}]},
]


def ago(minutes):
    return (timezone.now() - timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def leads(org):
    policy()
    assign("L-1", "rep-7", at=ago(60), name="Ana Ruiz", heat="hot",
           properties={"form": "demo_request"})
    assign("L-2", "rep-7", at=ago(50), name="Kid Student", heat="hot", email="kid@student.edu")
    assign("L-3", "rep-7", at=ago(40), name="Ola Nordmann", heat="hot",
           properties={"form": "newsletter"})


def test_editor_validates_and_preview_counts_then_both_sides_approve(org, leads, log_in,
                                                                    screenshot, live_server):
    page = log_in("revops")
    page.goto(f"{live_server.url}/admin/definitions/leaddefinition/add/")
    page.fill("#id_name", "Demo requests are hot")
    page.select_option("#id_crm_heat", "ignore")
    bad = [RULES[0], {"heat": "hot", "when": [{"field": "form", "op": "matches",
                                               "value": "demo"}]}]
    page.fill("#id_rules", json.dumps(bad, indent=2))
    page.click("input[name=_continue]")
    error = page.inner_text(".field-rules .errorlist")
    assert "rule 1 (field 'form')" in error and "op 'matches'" in error
    assert not LeadDefinition.objects.exists()
    screenshot("definition-1-editor-refuses")

    page.fill("#id_rules", json.dumps(RULES, indent=2))
    page.click("input[name=_continue]")
    page.wait_for_selector("#definition-preview")
    assert LeadDefinition.objects.get().rules == RULES
    counts = {row.get_attribute("class"): (row.inner_text().split("\t"))
              for row in page.query_selector_all("#preview-counts tbody tr")}
    # as they are: three hot leads; under the draft: one hot, one cold, one warm (default)
    assert [c[1:3] for c in (counts["heat-hot"], counts["heat-warm"], counts["heat-cold"])] == \
        [["3", "1"], ["0", "1"], ["0", "1"]]
    samples = page.inner_text("#preview-samples")
    assert "Kid Student" in samples and "Ana Ruiz" in samples
    assert "no active definition" in page.inner_text("#definition-diff")
    assert page.is_visible("#approve-button")  # RevOps signs for marketing
    screenshot("definition-2-preview")

    with page.expect_navigation():
        page.click("#approve-button")
    assert "approval is recorded" in page.inner_text("ul.messagelist")
    assert "Awaiting: sales approval" in page.inner_text("#definition-approval")
    page.context.clear_cookies()  # sign out; the sales side signs next
    page = log_in("manager")
    page.goto(f"{live_server.url}/admin/definitions/leaddefinition/"
              f"{LeadDefinition.objects.get().pk}/change/")
    assert page.input_value("#approve-button") == "Approve as sales"
    with page.expect_navigation():
        page.click("#approve-button")
    assert "now active (version 1)" in page.inner_text("ul.messagelist")
    assert "This is the active definition." in page.inner_text("#definition-diff")
    screenshot("definition-3-active")
    definition = LeadDefinition.objects.get()
    assert (definition.status, definition.version) == ("active", 1)
